"""Observability: Prometheus, Alertmanager, Grafana and Jaeger v2, fed by what the other components publish."""

import dataclasses
from collections.abc import Sequence

import pulumi

from components.model import (
    SECRETS_DIR,
    Port,
    Probe,
    Route,
    Runtime,
    ScrapeTarget,
    Telemetry,
    Volume,
    WebUi,
    Workload,
)
from components.observability import alertmanager, dashboards, grafana, images, jaeger, job_metrics, prometheus
from components.observability.alerts import ALERTS
from components.observability.settings import ObservabilitySettings
from components.quantity import memory_bytes
from components.secrets import generated_password

GRAFANA_ADMIN = "admin"


def _http_probe(port: int, path: str, startup_seconds: int = 120) -> Probe:
    """The images carry busybox wget: the same check runs as a Docker health check."""
    return Probe(
        command=["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}"],
        http_path=path,
        http_port=port,
        startup_seconds=startup_seconds,
    )


class Observability(pulumi.ComponentResource):
    prometheus_url: str
    alertmanager_url: str
    grafana_url: str
    jaeger_url: str
    otlp_grpc_endpoint: str
    otlp_http_endpoint: str
    grafana_admin_user: str
    grafana_admin_password: pulumi.Output[str]
    uis: list[WebUi]

    def __init__(
        self,
        name: str,
        args: ObservabilitySettings,
        runtime: Runtime,
        published: Sequence[Telemetry],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`published` is what the other components expose; this set adds its own targets and alerts."""
        super().__init__("dictamesh:observability:Observability", name, None, opts)
        ports = args.host_ports
        own = Telemetry(
            group="observability",
            targets=[
                ScrapeTarget("prometheus", "prometheus", prometheus.PORT),
                ScrapeTarget("alertmanager", "alertmanager", alertmanager.PORT),
                ScrapeTarget("grafana", "grafana", grafana.PORT),
                ScrapeTarget("jaeger", "jaeger", jaeger.METRICS),
            ],
            alerts=ALERTS,
        )
        telemetry = [*published, own]
        if runtime.has_api:  # jobs are API objects there: their failures become metrics
            runtime.deploy(
                Workload(
                    name=job_metrics.NAME,
                    component="job-metrics",
                    image=args.kube_state_metrics_image,
                    run_as=images.KUBE_STATE_METRICS.runs_as,
                    resources=job_metrics.RESOURCES,
                    args=job_metrics.args(),
                    ports=[Port("http", job_metrics.PORT, clients=["prometheus"])],
                    probe=job_metrics.PROBE,
                    watches=job_metrics.WATCHES,
                ),
                self,
            )
            telemetry.append(job_metrics.TELEMETRY)

        prometheus_port = Port("http", prometheus.PORT, host_port=ports.prometheus)
        rule_files = {
            f"{prometheus.CONFIG_DIR}/rules/{t.group}.yml": prometheus.rules(t, args.runbook_url)
            for t in telemetry
            if t.alerts
        }
        runtime.deploy(
            Workload(
                name="prometheus",
                component="metrics",
                image=args.prometheus_image,
                run_as=images.PROMETHEUS.runs_as,
                resources=args.resources.prometheus,
                args=prometheus.args(args, memory_bytes(args.storage.prometheus), runtime.public_url("prometheus")),
                files={
                    f"{prometheus.CONFIG_DIR}/prometheus.yml": prometheus.config(
                        args, telemetry, runtime.endpoint, runtime.endpoint("alertmanager", alertmanager.PORT)
                    ),
                    **rule_files,
                },
                ports=[prometheus_port],
                volumes={"data": Volume(prometheus.DATA_DIR, args.storage.prometheus)},
                # replaying the write-ahead log of a full volume takes minutes; not ready then, yet alive
                probe=dataclasses.replace(
                    _http_probe(prometheus.PORT, "/-/ready", startup_seconds=600), liveness_http_path="/-/healthy"
                ),
                # Grafana queries it; it scrapes itself through its own Service, which NetworkPolicy sees too
                clients=["grafana", "prometheus"],
                egress_namespaces=prometheus.egress_namespaces(args.extra_targets),
                egress_ports=prometheus.egress_ports(args.extra_targets),
                tls_trust=prometheus.trusted(telemetry),
            ),
            self,
        )

        receiver_secrets = {
            path: pulumi.Output.secret(value)
            for receiver in args.receivers
            for path, value in alertmanager.secrets(receiver).items()
        }
        if args.heartbeat:
            receiver_secrets[alertmanager.HEARTBEAT_URL_FILE] = pulumi.Output.secret(args.heartbeat.url)
        inhibits = [inhibit for t in telemetry for inhibit in t.inhibits]
        alertmanager_port = Port("http", alertmanager.PORT, host_port=ports.alertmanager)
        runtime.deploy(
            Workload(
                name="alertmanager",
                component="alerting",
                image=args.alertmanager_image,
                run_as=images.ALERTMANAGER.runs_as,
                resources=args.resources.alertmanager,
                args=alertmanager.args(runtime.public_url("alertmanager")),
                files={
                    f"{alertmanager.CONFIG_DIR}/alertmanager.yml": alertmanager.config(
                        args.receivers, inhibits, args.heartbeat
                    )
                },
                secrets=receiver_secrets,
                ports=[alertmanager_port],
                volumes={"data": Volume(alertmanager.DATA_DIR, args.storage.alertmanager)},
                probe=_http_probe(alertmanager.PORT, "/-/ready"),
                clients=["prometheus", "grafana"],
                egress_ports=alertmanager.egress_ports(args.receivers, args.heartbeat),
            ),
            self,
        )

        jaeger_ui = Port("ui", jaeger.UI, host_port=ports.jaeger_ui, clients=["grafana"])
        runtime.deploy(
            Workload(
                name="jaeger",
                component="tracing",
                image=args.jaeger_image,
                run_as=images.JAEGER.runs_as,
                resources=args.resources.jaeger,
                args=["--config", jaeger.CONFIG],
                files={jaeger.CONFIG: jaeger.config(args.jaeger)},
                ports=[
                    Port("otlp-grpc", jaeger.OTLP_GRPC, host_port=ports.otlp_grpc, clients=["*"]),
                    Port("otlp-http", jaeger.OTLP_HTTP, host_port=ports.otlp_http, clients=["*"]),
                    jaeger_ui,
                    Port("health", jaeger.HEALTH, clients=[]),
                    Port("metrics", jaeger.METRICS, clients=["prometheus"]),
                ],
                # the image (alpine, USER 10001) has no /badger: a fresh volume there belongs to root
                volumes={"data": Volume(jaeger.DATA_DIR, args.storage.jaeger, root_owned=True)}
                if args.jaeger.storage == "badger"
                else {},
                probe=_http_probe(jaeger.HEALTH, "/status"),
            ),
            self,
        )

        password = generated_password(f"{name}-grafana-admin-password", self)
        password_file = f"{SECRETS_DIR}/grafana-admin-password"
        # signs Grafana's cookies and encrypts the datasource secrets it stores: never the built-in default
        secret_key = generated_password(f"{name}-grafana-secret-key", self)
        secret_key_file = f"{SECRETS_DIR}/grafana-secret-key"
        grafana_port = Port("http", grafana.PORT, host_port=ports.grafana)

        def url(workload: str, port: int) -> str:
            return f"http://{runtime.endpoint(workload, port)}"

        provisioning = {
            f"{grafana.PROVISIONING}/datasources/datasources.yaml": grafana.datasources(
                url("prometheus", prometheus.PORT), url("jaeger", jaeger.UI), url("alertmanager", alertmanager.PORT)
            ),
            f"{grafana.PROVISIONING}/dashboards/dashboards.yaml": grafana.dashboard_provider(),
            **{f"{grafana.DASHBOARDS_DIR}/{file}": text for file, text in dashboards.dashboards().items()},
        }
        runtime.deploy(
            Workload(
                name="grafana",
                component="dashboards",
                image=args.grafana_image,
                run_as=images.GRAFANA.runs_as,
                resources=args.resources.grafana,
                command=["/bin/sh", grafana.START_SCRIPT],
                env=grafana.environment(GRAFANA_ADMIN, password_file, secret_key_file, runtime.public_url("grafana")),
                files={**provisioning, grafana.START_SCRIPT: grafana.start_script()},
                secrets={password_file: password, secret_key_file: secret_key},
                ports=[grafana_port],
                volumes={"data": Volume(grafana.DATA_DIR, args.storage.grafana)},
                probe=_http_probe(grafana.PORT, "/api/health"),
                clients=["prometheus"],
            ),
            self,
        )

        def user_url(port: Port, workload: str) -> str:
            return f"http://{runtime.published(port) or runtime.endpoint(workload, port.port)}"

        self.prometheus_url = user_url(prometheus_port, "prometheus")
        self.alertmanager_url = user_url(alertmanager_port, "alertmanager")
        self.grafana_url = user_url(grafana_port, "grafana")
        self.jaeger_url = user_url(jaeger_ui, "jaeger")
        self.otlp_grpc_endpoint = runtime.endpoint("jaeger", jaeger.OTLP_GRPC)
        self.otlp_http_endpoint = f"http://{runtime.endpoint('jaeger', jaeger.OTLP_HTTP)}"
        self.grafana_admin_user = GRAFANA_ADMIN
        # Grafana has its login; Prometheus, Alertmanager and the Jaeger UI have none
        self.uis = [
            WebUi("grafana", [Route("/", "grafana", grafana.PORT)], login=True),
            WebUi("jaeger", [Route("/", "jaeger", jaeger.UI)], login=False),
            WebUi("prometheus", [Route("/", "prometheus", prometheus.PORT)], login=False),
            WebUi("alertmanager", [Route("/", "alertmanager", alertmanager.PORT)], login=False, admin=True),
        ]
        self.grafana_admin_password = password
        self.register_outputs({"prometheus_url": self.prometheus_url, "grafana_url": self.grafana_url})
