"""Settings of the observability set, under `dictamesh:observability`."""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from components.change import SWITCHED
from components.fields import ClaimSize, DnsLabel, HostPort, Image, Resources, Section, matching
from components.footprint import Footprint, pods
from components.model import Severity
from components.observability import images

# Prometheus's own duration syntax (model.ParseDuration): units y, w, d, h, m, s, ms, largest first
PromDuration = Annotated[
    str,
    matching(
        r"([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?",
        "a Prometheus duration such as 15s, 5m, 15d or 1h30m",
    ),
]
GoDuration = Annotated[str, matching(r"([0-9]+h)?([0-9]+m)?([0-9]+s)?", "a duration in h, m and s, e.g. 168h")]
HttpUrl = Annotated[str, matching(r"https?://[^\s/$.?#][^\s]*", "an http:// or https:// URL")]
HostAndPort = Annotated[str, matching(r"[A-Za-z0-9.-]+:[0-9]{1,5}", "host:port, e.g. smtp.example.com:587")]


class Receiver(Section):
    """Where alerts go. `url` and `password` are secrets: set them with `pulumi config set --secret --path`."""

    name: DnsLabel
    type: Literal["webhook", "slack", "email"]
    severities: list[Severity] = Field(default=["critical", "warning"], description="alerts of these severities")
    url: HttpUrl | None = Field(default=None, description="webhook: the endpoint; slack: the incoming-webhook URL")
    channel: str | None = Field(default=None, description="slack: the channel, e.g. #platform-alerts")
    to: str | None = Field(default=None, description="email: the recipient")
    sender: str | None = Field(default=None, description="email: the From address")
    smarthost: HostAndPort | None = Field(default=None, description="email: the SMTP server")
    username: str | None = Field(default=None, description="email: the SMTP user")
    password: str | None = Field(default=None, description="email: the SMTP password")

    @model_validator(mode="after")
    def _complete(self) -> Self:
        needed = {"webhook": ["url"], "slack": ["url"], "email": ["to", "sender", "smarthost"]}[self.type]
        missing = [key for key in needed if getattr(self, key) is None]
        if missing:
            raise ValueError(f"{', '.join(missing)}: required for a receiver of type {self.type}")
        if (self.username is None) != (self.password is None):
            # Alertmanager sends without authenticating when either is missing
            raise ValueError("username and password: set both, or neither for an SMTP server without login")
        return self


# Jobs the platform's own components scrape: an application's job must not take one of these names.
PLATFORM_JOBS = (
    "postgres",
    "redis",
    "redpanda",
    "prometheus",
    "alertmanager",
    "grafana",
    "jaeger",
    "sentry-clickhouse",
    "kube-state-metrics",  # Kubernetes alone: the jobs' watcher
)


class Heartbeat(Section):
    """A dead man's switch: Alertmanager posts the always-firing Watchdog alert to `url` every `interval`, and the
    service there (healthchecks.io, Dead Man's Snitch, an Opsgenie heartbeat) pages when the posts stop, as
    they do when Prometheus or Alertmanager is dead. `url` is a secret: set it with `pulumi config set --secret`."""

    url: HttpUrl
    interval: PromDuration = Field(default="1m", description="how often the Watchdog is posted")


class ExtraTarget(Section):
    """An application's own metrics endpoint, scraped beside the platform's."""

    job: DnsLabel
    targets: list[HostAndPort] = Field(
        min_length=1,
        description="host:port as Prometheus reaches it: <service>:<port> in the stack's namespace, "
        "<service>.<namespace>:<port> in another (Prometheus is let out there on that port)",
    )
    path: str = "/metrics"

    @model_validator(mode="after")
    def _own_job(self) -> Self:
        if self.job in PLATFORM_JOBS:
            raise ValueError(f"job = {self.job!r}: taken by the platform ({', '.join(PLATFORM_JOBS)})")
        return self

    def reach(self) -> tuple[dict[str, list[int]], list[int]]:
        """Where Prometheus must be let out to scrape the targets: ports per namespace of the cluster
        (`<service>.<namespace>[.svc...]:port`), and ports outside it (an address or another DNS name). A bare
        service name is in the stack's own namespace, which lets every pod out already."""
        namespaces: dict[str, list[int]] = {}
        outside: list[int] = []
        for target in self.targets:
            host, port = target.rsplit(":", 1)
            parts = host.split(".")
            if len(parts) == 1:
                continue
            if not host.replace(".", "").isdigit() and (len(parts) == 2 or parts[2] == "svc"):
                namespaces.setdefault(parts[1], []).append(int(port))
            else:
                outside.append(int(port))
        return namespaces, outside


class ObservabilityPorts(Section):
    prometheus: HostPort = 9090
    alertmanager: HostPort = 9093
    grafana: HostPort = 3000
    jaeger_ui: HostPort = 16686
    otlp_grpc: HostPort = 4317
    otlp_http: HostPort = 4318


class ObservabilityResources(Section):
    prometheus: Resources = Resources(cpu="500m", memory="384Mi")
    alertmanager: Resources = Resources(cpu="100m", memory="64Mi", ephemeral_storage="256Mi")
    grafana: Resources = Resources(cpu="250m", memory="256Mi")
    jaeger: Resources = Resources(cpu="250m", memory="256Mi")


class ObservabilityStorage(Section):
    prometheus: ClaimSize = "10Gi"
    alertmanager: ClaimSize = "1Gi"
    grafana: ClaimSize = "1Gi"
    jaeger: ClaimSize = "10Gi"


class JaegerSettings(Section):
    storage: Literal["memory", "badger"] = Field(
        default="memory", description="memory: bounded, lost on restart; badger: on a volume"
    )
    max_traces: int = Field(default=10000, ge=100, description="memory storage: traces kept")
    span_ttl: GoDuration = Field(default="168h", description="badger storage: how long spans are kept")


class ObservabilitySettings(Section):
    enabled: Annotated[bool, SWITCHED] = True
    prometheus_image: Image = images.PROMETHEUS.image
    alertmanager_image: Image = images.ALERTMANAGER.image
    grafana_image: Image = images.GRAFANA.image
    jaeger_image: Image = images.JAEGER.image
    kube_state_metrics_image: Image = Field(
        default=images.KUBE_STATE_METRICS.image, description="Kubernetes: what turns failed Jobs into metrics"
    )
    scrape_interval: PromDuration = "15s"
    evaluation_interval: PromDuration = "15s"
    retention: PromDuration = Field(default="15d", description="how long Prometheus keeps samples")
    retention_size: bool = Field(
        default=False, description="also cap Prometheus's data at 80% of its volume (staging and prod)"
    )
    storage: ObservabilityStorage = ObservabilityStorage()
    resources: ObservabilityResources = ObservabilityResources()
    host_ports: ObservabilityPorts = ObservabilityPorts()
    receivers: list[Receiver] = []
    heartbeat: Heartbeat | None = Field(default=None, description="where the Watchdog alert proves alerting alive")
    extra_targets: list[ExtraTarget] = Field(default_factory=list, description="applications' own scrape targets")
    jaeger: JaegerSettings = JaegerSettings()
    runbook_url: str = Field(
        default="docs/runbook.md", description="the runbook alerts link to; set its web URL in the repository"
    )

    @model_validator(mode="after")
    def _absolute_runbook(self) -> Self:
        """A relative link in a Slack message or an email opens nothing."""
        if self.receivers and not self.runbook_url.startswith(("https://", "http://")):
            raise ValueError(
                f"runbookUrl = {self.runbook_url!r}: alerts leave for receivers, where a relative link opens "
                "nothing; set the runbook's web URL (https://...)"
            )
        return self

    def footprint(self) -> Footprint:
        """Prometheus, Alertmanager and Grafana with their claims; Jaeger with one under badger (else a Deployment)."""
        resources, storage = self.resources, self.storage
        badger = self.jaeger.storage == "badger"
        return (
            pods(resources.prometheus, claims=[storage.prometheus])
            + pods(resources.alertmanager, claims=[storage.alertmanager])
            + pods(resources.grafana, claims=[storage.grafana])
            + pods(resources.jaeger, claims=[storage.jaeger] if badger else [], surge=not badger)
        )

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        for kind, names in (
            ("receivers", [r.name for r in self.receivers]),
            ("extraTargets", [t.job for t in self.extra_targets]),
        ):
            for index, name in enumerate(names):
                if names.count(name) > 1:
                    raise ValueError(f"{kind}[{index}] = {name!r}: names must be unique")
        return self
