"""The typed settings of a stack: every value a component reads, validated before anything is built.

Field names are snake_case here and camelCase in the stack files (`dictamesh:eventBus.brokers`).
Defaults are the dev values; `config.ENVIRONMENT_DEFAULTS` lays staging and prod values under the
stack file's own.
"""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel

from components.cache.settings import CacheSettings
from components.catalog.settings import CatalogSettings
from components.change import DATASTORE, OnChange
from components.event_bus.settings import EventBusSettings
from components.fields import Section
from components.footprint import Footprint, pods
from components.observability import job_metrics
from components.observability.settings import ObservabilitySettings
from components.runtime.kubernetes import tls_reload
from components.runtime.kubernetes.settings import KubernetesSettings
from components.sentry.settings import SentrySettings

Environment = Literal["dev", "staging", "prod"]
Target = Literal["docker", "kubernetes"]


NEW_STACK = "a stack keeps them for life: deploy another stack for another one"


class DockerSettings(Section):
    host: Annotated[
        str | None,
        OnChange("none", "refused", f"another engine would start empty, its volumes left on this one; {NEW_STACK}"),
    ] = Field(default=None, description="Docker engine address; DOCKER_HOST or the local socket when unset")


class Settings(Section):
    stack: str
    environment: Annotated[
        Environment,
        OnChange("refused", "refused", f"each environment has its own defaults and protection; {NEW_STACK}"),
    ]
    target: Annotated[
        Target, OnChange("refused", "refused", f"the data lives on the target it was made on; {NEW_STACK}")
    ]
    docker: DockerSettings = DockerSettings()
    kubernetes: Annotated[KubernetesSettings, OnChange("live", "none")] = KubernetesSettings()
    catalog: Annotated[CatalogSettings, DATASTORE] = CatalogSettings()
    cache: Annotated[CacheSettings, DATASTORE] = CacheSettings()
    event_bus: Annotated[EventBusSettings, OnChange("rolling", "rolling")] = EventBusSettings()
    observability: Annotated[ObservabilitySettings, DATASTORE] = ObservabilitySettings()
    sentry: Annotated[SentrySettings, DATASTORE] = SentrySettings()

    @property
    def protect(self) -> bool:
        """Prod state is protected: `pulumi destroy` and replacements stop at it."""
        return self.environment == "prod"

    @property
    def namespace(self) -> str:
        return self.kubernetes.namespace or f"dictamesh-{self.stack}"

    @model_validator(mode="after")
    def _fits_environment(self) -> Self:
        if self.environment == "prod":
            if self.event_bus.brokers < 3:
                raise ValueError(f"eventBus.brokers = {self.event_bus.brokers}: prod needs at least 3 brokers")
            if self.event_bus.dev_container:
                raise ValueError(
                    "eventBus.devContainer = True: dev-container mode disables fsync and is refused in prod"
                )
        exposed = self.kubernetes.exposure
        offered = {
            "console",
            *(("grafana", "jaeger", "prometheus", "alertmanager") if self.observability.enabled else ()),
            *(("sentry",) if self.sentry.enabled else ()),
        }
        if exposed.mode != "none" and (missing := [ui for ui in exposed.uis if ui not in offered]):
            raise ValueError(
                f"kubernetes.exposure.uis: {', '.join(missing)} not deployed in this stack "
                "(observability.enabled, sentry.enabled)"
            )
        if self.target == "docker":
            if self.catalog.backup.enabled:
                raise ValueError(
                    "catalog.backup.enabled = True: scheduled backups need the kubernetes target; "
                    "on docker use `make catalog-dump`"
                )
            if self.sentry.enabled and self.sentry.cleanup_schedule:
                raise ValueError(
                    f"sentry.cleanupSchedule = {self.sentry.cleanup_schedule!r}: scheduled jobs need the kubernetes "
                    "target; set it to null and run `make sentry-cleanup` on docker"
                )
            claimed: dict[int, str] = {}
            for port, owner in self.published_ports():
                if port in claimed:
                    raise ValueError(f"{owner} = {port}: host port already taken by {claimed[port]}")
                claimed[port] = owner
        return self

    def footprint(self) -> Footprint:
        """Every pod and claim of the stack's own workloads, at their requests."""
        total = self.catalog.footprint() + self.cache.footprint() + self.event_bus.footprint()
        if self.observability.enabled:
            total += self.observability.footprint()
        if self.sentry.enabled:
            total += self.sentry.footprint()
        if self.target == "kubernetes" and self.observability.enabled:
            total += pods(job_metrics.RESOURCES, surge=True)
        if self.target == "kubernetes" and self.kubernetes.tls.enabled:
            total += pods(tls_reload.RESOURCES, count=len(tls_reload.SERVERS))
        if self.target == "kubernetes":  # a login proxy per UI without a login of its own, each rolling by surge
            for _ in self.kubernetes.exposure.proxied:
                total += pods(self.kubernetes.exposure.login.resources, surge=True)
        return total

    def published_ports(self) -> list[tuple[int, str]]:
        """Every port the docker target publishes on 127.0.0.1, with the setting that chose it."""
        bus = self.event_bus
        per_broker = {
            f"eventBus.hostPorts.{to_camel(k)}": v for k, v in bus.host_ports.model_dump().items() if k != "console"
        }
        ports = [(port + n, f"{key} (broker {n})") for key, port in per_broker.items() for n in range(bus.brokers)]
        ports += [
            (bus.host_ports.console, "eventBus.hostPorts.console"),
            (self.catalog.host_port, "catalog.hostPort"),
            (self.cache.host_port, "cache.hostPort"),
        ]
        if self.observability.enabled:
            ports += [
                (port, f"observability.hostPorts.{to_camel(key)}")
                for key, port in self.observability.host_ports.model_dump().items()
            ]
        if self.sentry.enabled:
            ports.append((self.sentry.host_port, "sentry.hostPort"))
        return ports

    def warnings(self) -> list[str]:
        found = []
        if self.event_bus.brokers > 1 and self.event_bus.brokers % 2 == 0:
            found.append(
                f"dictamesh:eventBus.brokers is {self.event_bus.brokers}: an even count tolerates no more failures "
                f"than {self.event_bus.brokers - 1} brokers"
            )
        zones = self.kubernetes.zones
        if self.environment == "prod" and self.target == "kubernetes" and len(zones) < 3:
            found.append(
                f"dictamesh:kubernetes.zones lists {len(zones)} zone(s): replicated workloads only prefer to spread, "
                "so one zone's outage can take a broker quorum; list the cluster's zones (3 or more)"
            )
        observability = self.observability
        if self.environment != "dev" and observability.enabled and not observability.receivers:
            found.append(
                "dictamesh:observability.receivers is empty: alerts fire in Prometheus and Alertmanager but are "
                "sent nowhere; add a webhook, slack or email receiver"
            )
        if self.environment != "dev" and observability.enabled and not observability.heartbeat:
            found.append(
                "dictamesh:observability.heartbeat is unset: a dead Prometheus or Alertmanager sends no alert, and "
                "nothing notices; give it a dead man's switch's URL (docs/runbook.md, 'Watchdog')"
            )
        return found
