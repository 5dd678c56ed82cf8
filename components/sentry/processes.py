"""What every process of the Sentry image and of the snuba image shares: config, secrets, environment, user."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.fields import Resources
from components.model import SECRETS_DIR, Kind, Port, Probe, Workload
from components.sentry import datastore_config, images, topology
from components.sentry.sentry_config import CONFIG_DIR, DATA_DIR, Endpoints
from components.sentry.settings import SentrySettings

SENTRY_USER = images.SENTRY.runs_as
SNUBA_USER = images.SNUBA.runs_as

# snuba reads its passwords from the environment only (snuba/settings): exported from the secret files as it starts
SNUBA_SECRETS = {
    "CLICKHOUSE_PASSWORD": "clickhouse-password",
    "CLICKHOUSE_READONLY_PASSWORD": "clickhouse-password",  # the same default user, for read-only queries
    "REDIS_PASSWORD": "redis-password",
}
WITH_SNUBA_SECRETS = " ".join(
    ["export", *(f'{key}="$(cat {SECRETS_DIR}/{file})"' for key, file in SNUBA_SECRETS.items())]
)


@dataclass(frozen=True)
class Processes:
    settings: SentrySettings
    endpoints: Endpoints
    clickhouse: str  # host
    sentry_files: Mapping[str, str]
    sentry_secrets: Mapping[str, pulumi.Output[str]]
    snuba_secrets: Mapping[str, pulumi.Output[str]]

    def sentry(
        self,
        name: str,
        component: str,
        *,
        args: Sequence[str] = (),
        command: Sequence[str] = (),
        probe: Probe | None = None,
        ports: Sequence[Port] = (),
        clients: Sequence[str] = (),
        kind: Kind = "service",
        deadline_seconds: int | None = None,
    ) -> Workload:
        """A process of the Sentry image: the generated config, its secrets as files, /data for scratch.

        With `args` the image's entrypoint runs `sentry <args>`; a `command` replaces the entrypoint.
        """
        return Workload(
            name=name,
            component=component,
            image=self.settings.images.sentry,
            run_as=SENTRY_USER,
            resources=self._size(name),
            kind=kind,
            command=command,
            args=args,
            env={
                "SENTRY_CONF": CONFIG_DIR,
                "PYTHONUSERBASE": "/data/custom-packages",
                "SENTRY_EVENT_RETENTION_DAYS": str(self.settings.event_retention_days),
            },
            files=self.sentry_files,
            secrets=self.sentry_secrets,
            ports=ports,
            scratch=["/tmp", DATA_DIR],
            scratch_sizes={DATA_DIR: self.settings.cache_size},
            probe=probe,
            egress_ports=self.settings.outbound_ports(),
            clients=clients,
            deadline_seconds=deadline_seconds,
        )

    def snuba(
        self,
        name: str,
        component: str,
        *,
        args: Sequence[str] = (),
        script: str | None = None,
        probe: Probe | None = None,
        ports: Sequence[Port] = (),
        clients: Sequence[str] = (),
        kind: Kind = "service",
        deadline_seconds: int | None = None,
    ) -> Workload:
        """A process of the snuba image: `snuba <args>` (or a `script`), its passwords exported from files."""
        command = (
            ["bash", "-c", script] if script else ["bash", "-c", f'{WITH_SNUBA_SECRETS} && exec snuba "$@"', "snuba"]
        )
        return Workload(
            name=name,
            component=component,
            image=self.settings.images.snuba,
            run_as=SNUBA_USER,
            resources=self._size(name),
            kind=kind,
            command=command,
            args=args,
            env={
                "SNUBA_SETTINGS": "self_hosted",
                "CLICKHOUSE_HOST": self.clickhouse,
                "CLICKHOUSE_PORT": str(topology.CLICKHOUSE_NATIVE_PORT),
                "CLICKHOUSE_HTTP_PORT": str(topology.CLICKHOUSE_HTTP_PORT),
                "CLICKHOUSE_USER": datastore_config.CLICKHOUSE_USER,
                "DEFAULT_BROKERS": self.endpoints.kafka,
                "REDIS_HOST": self.endpoints.redis,
                "REDIS_PORT": str(self.endpoints.redis_port),
                "REDIS_DB": "1",
                "UWSGI_MAX_REQUESTS": "10000",
                "UWSGI_DISABLE_LOGGING": "true",
                "SENTRY_EVENT_RETENTION_DAYS": str(self.settings.event_retention_days),
            },
            secrets=self.snuba_secrets,
            ports=ports,
            probe=probe,
            clients=clients,
            deadline_seconds=deadline_seconds,
        )

    def _size(self, name: str) -> Resources:
        """A service's own size from the topology; a bootstrap job's the bootstrap size."""
        service = next((s for s in topology.SERVICES if s.name == name), None)
        size: Resources = getattr(self.settings.resources, service.size if service else "bootstrap")
        return size
