"""EventBus: a Redpanda cluster with Schema Registry, HTTP proxy, admin API, Console and managed topics."""

from collections.abc import Sequence
from typing import Any

import pulumi

from components.event_bus import alerts, files, images
from components.event_bus.settings import EventBusSettings
from components.model import (
    CA_FILE,
    SECRETS_DIR,
    TLS_CA,
    Port,
    Probe,
    Replica,
    Route,
    Runtime,
    Telemetry,
    Volume,
    WebUi,
    Workload,
)
from components.secrets import generated_password

REDPANDA_USER = images.REDPANDA.runs_as
CONSOLE_USER = images.CONSOLE.runs_as
DECOMMISSION = "redpanda-decommission"
# the platform's own clients of the Kafka and admin APIs
OPERATORS = ["redpanda-console", "redpanda-topics", DECOMMISSION]


class EventBus(pulumi.ComponentResource):
    bootstrap_servers: str
    host_bootstrap_servers: str | None
    schema_registry_url: str
    http_proxy_url: str
    admin_urls: list[str]
    console_url: str
    host_admin_url: str | None
    host_schema_registry_url: str | None
    sasl_username: str | None
    sasl_password: pulumi.Output[str] | None
    telemetry: Telemetry
    uis: list[WebUi]

    def __init__(
        self,
        name: str,
        args: EventBusSettings,
        runtime: Runtime,
        opts: pulumi.ResourceOptions | None = None,
        previous_password: pulumi.Output[str] | None = None,
    ) -> None:
        """`previous_password`: the superuser's password the stack had before, which a running cluster may still
        hold while a rotation converges."""
        super().__init__("dictamesh:eventbus:EventBus", name, None, opts)
        brokers = [runtime.address("redpanda", n) for n in range(args.brokers)]
        founders = files.seeds(brokers)
        tls = runtime.encrypts
        service = runtime.address("redpanda") if tls else None
        password = generated_password(f"{name}-superuser-password", self) if args.sasl else None
        # on a stack deployed before, the cluster holds the password of its last update until the topics job
        # has set a new one; else the one it was founded with
        previous = (previous_password or password) if password else None
        host = args.host_ports
        kafka_external = Port("kafka-external", files.EXTERNAL["kafka-external"], host.kafka, external=True)
        ports = [
            # the HTTP proxy and Schema Registry inside each broker are Kafka clients of the partition leaders
            Port("kafka", files.KAFKA, clients=["redpanda", *OPERATORS, *args.clients]),
            Port("schema-registry", files.SCHEMA_REGISTRY),
            Port("http-proxy", files.HTTP_PROXY),
            admin := Port("admin", files.ADMIN, host_port=host.admin, clients=[*OPERATORS, "prometheus"]),
            Port("rpc", files.RPC, clients=["redpanda"]),
            kafka_external,
            registry_external := Port(
                "schema-registry-external",
                files.EXTERNAL["schema-registry-external"],
                host.schema_registry,
                external=True,
            ),
            Port("http-proxy-external", files.EXTERNAL["http-proxy-external"], host.http_proxy, external=True),
        ]

        def args_for(replica: Replica) -> Sequence[str]:
            return files.broker_args(args, replica, founders)

        bootstrap_user = "RP_BOOTSTRAP_USER"

        cluster = Workload(
            name="redpanda",
            component="event-bus",
            image=args.image,
            run_as=REDPANDA_USER,
            resources=args.resources,
            replicas=args.brokers,
            scales=True,
            command=files.START_COMMAND,
            args=args_for,
            env={
                "ADMIN_URL": files.admin_url(service),
                **({"ADMIN_CA": TLS_CA, "ADMIN_NAME": service} if service else {}),
            },
            files={
                files.BROKER_SCRIPT: files.script("broker.sh"),
                files.BASE_CONFIG: files.redpanda_yaml(args, founders if tls else ()),
                f"{files.CONFIG_DIR}/.bootstrap.yaml": files.bootstrap_yaml(args),
            },
            # read by the founders only, as the cluster forms: a new password restarts no broker (the topics job
            # sets it); a broker started before it logs in with the old one to drain, and stops undrained if refused
            secret_env={bootstrap_user: pulumi.Output.concat(files.SUPERUSER, ":", password)} if password else {},
            no_restart=frozenset({bootstrap_user}),
            ports=ports,
            volumes={"data": Volume(files.DATA_DIR, args.storage)},
            scratch=["/tmp", files.CONFIG_DIR],
            # a new cluster's brokers open the admin API only once every seed answers: 20 minutes, as the chart;
            # ready once the cluster is healthy, so a rolling restart waits for it before the next broker
            probe=Probe(
                command=["sh", "-c", files.ready_check(service)],
                ready_command=["sh", "-c", files.healthy_check(service)],
                liveness_tcp_port=files.ADMIN,
                startup_seconds=1200,
            ),
            clients=[*OPERATORS, *args.clients],
            peer_discovery=True,
            stop_grace_seconds=90,  # broker.sh drains for up to 45 s, then the broker stops
            tls_server=tls,
            # before any broker goes, those the stack no longer names are decommissioned
            retire=self._decommission_job(args, brokers, password, previous, tls),
        )
        ready = runtime.deploy(cluster, self)

        # under SASL the Console logs in as its own user, which the topics job makes before the Console starts
        console_password = generated_password(f"{name}-console-password", self) if password else None
        # runs on every change of the topics, the cluster properties or a user: never only at founding
        converged = runtime.deploy(
            self._topic_job(args, brokers, password, previous, tls, console_password=console_password),
            self,
            depends_on=ready,
        )

        console_port = Port("http", 8080, host_port=host.console)
        console_file = "/etc/redpanda-console/config.yaml"
        console_config = (
            {console_file: console_password.apply(lambda pw: files.console_config(brokers, pw, tls))}
            if console_password
            else {}
        )
        runtime.deploy(
            Workload(
                name="redpanda-console",
                component="event-bus-console",
                image=args.console_image,
                run_as=CONSOLE_USER,
                resources=args.console_resources,
                env={"CONFIG_FILEPATH": console_file},
                files={} if console_password else {console_file: files.console_config(brokers, tls=tls)},
                secrets=console_config,
                ports=[console_port],
                # no tool of its image is known (images.CONSOLE): Kubernetes asks over HTTP, Docker cannot check
                probe=Probe(command=[], http_path="/admin/health", http_port=8080),
                clients=args.clients,
                tls_trust="redpanda" if tls else None,
            ),
            self,
            depends_on=[*ready, *converged],
        )

        self.bootstrap_servers = ",".join(f"{b}:{files.KAFKA}" for b in brokers)
        published = [runtime.published(kafka_external, n) for n in range(args.brokers)]
        self.host_bootstrap_servers = ",".join(p for p in published if p) or None
        scheme = "https" if tls else "http"
        self.schema_registry_url = f"{scheme}://{runtime.address('redpanda')}:{files.SCHEMA_REGISTRY}"
        self.http_proxy_url = f"{scheme}://{runtime.address('redpanda')}:{files.HTTP_PROXY}"
        self.admin_urls = [f"{scheme}://{b}:{files.ADMIN}" for b in brokers]
        # for clients on the developer's machine, where the target publishes ports
        host_admin, host_registry = runtime.published(admin), runtime.published(registry_external)
        self.host_admin_url = f"http://{host_admin}" if host_admin else None
        self.host_schema_registry_url = f"http://{host_registry}" if host_registry else None
        self.console_url = f"http://{runtime.published(console_port) or runtime.address('redpanda-console') + ':8080'}"
        self.telemetry = alerts.telemetry(args.brokers, tls)
        # the community Console has no login of its own
        self.uis = [WebUi("console", [Route("/", "redpanda-console", console_port.port)], login=False, admin=True)]
        self.sasl_username = files.SUPERUSER if password else None
        self.sasl_password = password
        self.register_outputs(
            {
                "bootstrap_servers": self.bootstrap_servers,
                "schema_registry_url": self.schema_registry_url,
                "console_url": self.console_url,
            }
        )

    def _topic_job(
        self,
        args: EventBusSettings,
        brokers: list[str],
        password: pulumi.Output[str] | None,
        previous: pulumi.Output[str] | None,
        tls: bool,
        *,
        console_password: pulumi.Output[str] | None,
    ) -> Workload:
        """Under SASL it also makes the Console's user (its password, CONSOLE_ACLS): the Console waits for it."""
        script, spec, cluster = "/opt/dictamesh/topics.sh", "/etc/dictamesh/topics.tsv", "/etc/dictamesh/cluster.tsv"
        acls, console_file = "/etc/dictamesh/console-acls.tsv", f"{SECRETS_DIR}/console-password"
        env = {"TOPICS_FILE": spec, "CLUSTER_FILE": cluster, **_rpk_env(brokers, password, tls)}
        job_files = {
            script: files.script("topics.sh"),
            spec: files.topics_spec(args.topics),
            cluster: files.cluster_properties(args),
        }
        login = _login(password, previous)
        if console_password is not None:
            env |= {"CONSOLE_USER": files.CONSOLE_USER, "CONSOLE_PASS_FILE": console_file, "CONSOLE_ACLS_FILE": acls}
            job_files[acls] = files.console_acls()
            login["secrets"] = {**login["secrets"], console_file: console_password}
        return Workload(
            name="redpanda-topics",
            component="event-bus-topics",
            image=args.image,
            run_as=REDPANDA_USER,
            resources=args.topics_job_resources,
            kind="job",
            command=["/bin/bash", script],
            env=env,
            files=job_files,
            **login,
            tls_trust="redpanda" if tls else None,
        )

    def _decommission_job(
        self,
        args: EventBusSettings,
        brokers: list[str],
        password: pulumi.Output[str] | None,
        previous: pulumi.Output[str] | None,
        tls: bool,
    ) -> Workload:
        """Runs when the set of brokers changes, before any broker does: it decommissions those that leave, and
        waits until their replicas have moved (deadline: 2 hours), or fails first with what stands in the way."""
        script = "/opt/dictamesh/decommission.sh"
        scheme = "https" if tls else "http"
        return Workload(
            name=DECOMMISSION,
            component="event-bus-decommission",
            image=args.image,
            run_as=REDPANDA_USER,
            resources=args.topics_job_resources,
            kind="job",
            deadline_seconds=7200,
            command=["/bin/bash", script],
            env={
                "KEEP_HOSTS": " ".join(brokers),
                "ADMIN_URLS": ",".join(f"{scheme}://{b}:{files.ADMIN}" for b in brokers),
                **({"ADMIN_CA": CA_FILE} if tls else {}),
                **_rpk_env(brokers, password, tls),
            },
            files={script: files.script("decommission.sh")},
            **_login(password, previous),
            tls_trust="redpanda" if tls else None,
        )


PASSWORD_FILE, PREVIOUS_FILE = f"{SECRETS_DIR}/sasl-password", f"{SECRETS_DIR}/sasl-previous-password"


def _rpk_env(brokers: Sequence[str], password: pulumi.Output[str] | None, tls: bool) -> dict[str, str]:
    """rpk's -X settings as environment: brokers, admin hosts, TLS against the CA, the superuser's login."""
    env = {
        "RPK_BROKERS": ",".join(f"{b}:{files.KAFKA}" for b in brokers),
        "RPK_ADMIN_HOSTS": ",".join(f"{b}:{files.ADMIN}" for b in brokers),
        "HOME": "/tmp",
    }
    if tls:
        env |= {
            "RPK_TLS_ENABLED": "true",
            "RPK_TLS_CA": CA_FILE,
            "RPK_ADMIN_TLS_ENABLED": "true",
            "RPK_ADMIN_TLS_CA": CA_FILE,
        }
    if password:
        env |= {
            "RPK_USER": files.SUPERUSER,
            "RPK_SASL_MECHANISM": "SCRAM-SHA-256",
            "RPK_PASS_FILE": PASSWORD_FILE,
            "PREVIOUS_PASS_FILE": PREVIOUS_FILE,
        }
    return env


def _login(password: pulumi.Output[str] | None, previous: pulumi.Output[str] | None) -> dict[str, Any]:
    """A job's secret files: the superuser's password, and the one before it, which the cluster holds until the
    topics job sets the new one. The one before changes on the update after a rotation, and runs no job again."""
    if password is None or previous is None:
        return {}
    return {"secrets": {PASSWORD_FILE: password, PREVIOUS_FILE: previous}, "no_restart": frozenset({PREVIOUS_FILE})}
