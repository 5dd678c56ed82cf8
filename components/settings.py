"""The typed settings of a stack: every value a component reads, validated before anything is built.

Field names are snake_case here and camelCase in the stack files (`dictamesh:eventBus.brokers`).
Defaults are the dev values; `config.ENVIRONMENT_DEFAULTS` lays staging and prod values under the
stack file's own.
"""

from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator
from pydantic.alias_generators import to_camel

from components.fields import ON_CHANGE, Cron, HostPort, Image, Memory, Resources, Section, matching
from components.footprint import Footprint, pods
from components.kubernetes_settings import KubernetesSettings
from components.observability.settings import ObservabilitySettings
from components.quantity import cpu_cores, memory_bytes
from components.sentry.settings import SentrySettings

Environment = Literal["dev", "staging", "prod"]
Target = Literal["docker", "kubernetes"]


PostgresMemory = Annotated[str, matching(r"[0-9]+(kB|MB|GB|TB)", "a PostgreSQL size in kB, MB, GB or TB, e.g. 256MB")]
RedisMemory = Annotated[str, matching(r"[0-9]+(kb|mb|gb)", "a Redis size in kb, mb or gb, e.g. 512mb")]
SqlName = Annotated[str, matching(r"[a-z_][a-z0-9_]{0,62}", "a lower-case SQL identifier, e.g. dictamesh")]


EXPORTER_RESOURCES = Resources(cpu="100m", memory="64Mi", ephemeral_storage="256Mi")  # Go exporters idle near 20Mi

# The DictaMesh services that use the platform (seed report: planned application charts).
APP_CLIENTS = ["metadata-catalog", "graphql-gateway", "event-router"]


class DockerSettings(Section):
    host: str | None = Field(
        default=None, description="Docker engine address; DOCKER_HOST or the local socket when unset"
    )


class PostgresTuning(Section):
    shared_buffers: PostgresMemory = "256MB"
    effective_cache_size: PostgresMemory = "1GB"
    work_mem: PostgresMemory = "16MB"
    maintenance_work_mem: PostgresMemory = "64MB"
    max_connections: int = Field(default=100, ge=10, le=5000)


class BackupSettings(Section):
    enabled: bool = False
    schedule: Cron = "0 2 * * *"
    retention_days: int = Field(default=7, ge=1, le=365)
    storage: Memory = "20Gi"
    timeout_minutes: int = Field(
        default=60, ge=5, le=1440, description="a backup still running after this is stopped and counted failed"
    )
    resources: Resources = Resources(cpu="250m", memory="512Mi", ephemeral_storage="1Gi")


# Roles the catalog creates for itself: the application's role must be another one.
CATALOG_SUPERUSER, CATALOG_MONITOR, CATALOG_BACKUP = "postgres", "dictamesh_monitor", "dictamesh_backup"


def _app_role(name: str) -> str:
    """not postgres, dictamesh_monitor, dictamesh_backup or pg_*"""
    if name in (CATALOG_SUPERUSER, CATALOG_MONITOR, CATALOG_BACKUP):
        raise ValueError(
            f"taken by the catalog's own {CATALOG_SUPERUSER}, {CATALOG_MONITOR} and {CATALOG_BACKUP} roles; "
            "choose another name"
        )
    if name.startswith("pg_"):
        raise ValueError("names starting with pg_ are reserved for PostgreSQL's built-in roles")
    return name


class CatalogSettings(Section):
    image: Image = Field(
        default="pgvector/pgvector:0.8.6-pg16",  # 0.8.2 fixed a buffer overflow in parallel HNSW builds
        json_schema_extra={
            ON_CHANGE: "a new minor version or pgvector release rolls the server, and the converge job updates the "
            "vector extension to the image's release; a new PostgreSQL major version "
            "cannot read the old data directory: dump, then restore into a new claim (docs/runbook.md)"
        },
    )
    exporter_image: Image = "quay.io/prometheuscommunity/postgres-exporter:v0.19.1"
    exporter_resources: Resources = EXPORTER_RESOURCES
    database: SqlName = Field(
        default="dictamesh_catalog",
        json_schema_extra={
            ON_CHANGE: "the converge job creates the new database with the schema and privileges; the old one "
            "keeps its data (move it with pg_dump and pg_restore)"
        },
    )
    app_user: Annotated[SqlName, AfterValidator(_app_role)] = "dictamesh"
    host_port: HostPort = 5432
    storage: Memory = "10Gi"
    resources: Resources = Resources(cpu="500m", memory="1Gi")
    tuning: PostgresTuning = PostgresTuning()
    backup: BackupSettings = BackupSettings()
    converge_resources: Resources = Resources(cpu="100m", memory="128Mi", ephemeral_storage="256Mi")
    sample_data: bool = Field(
        default=False,
        description="load the seed's sample entities, lineage and events on first start (dev only by default: "
        "its event-log rows take real topic offsets)",
        json_schema_extra={
            ON_CHANGE: "read on an empty data directory only: turned on later it loads nothing, turned off it "
            "deletes nothing"
        },
    )
    clients: list[str] = Field(default=APP_CLIENTS, description="workloads allowed to connect")

    @model_validator(mode="after")
    def _buffers_fit(self) -> Self:
        if postgres_bytes(self.tuning.shared_buffers) * 2 > memory_bytes(self.resources.memory):
            raise ValueError(
                f"tuning.sharedBuffers = {self.tuning.shared_buffers!r}: must be at most half of "
                f"resources.memory {self.resources.memory}"
            )
        return self

    def footprint(self) -> Footprint:
        """PostgreSQL and its claim, the exporter (a Deployment), the converge job, the backup job with its claim."""
        total = pods(self.resources, claims=[self.storage]) + pods(self.exporter_resources, surge=True)
        total += pods(self.converge_resources)
        if self.backup.enabled:
            total += pods(self.backup.resources, claims=[self.backup.storage])
        return total


def postgres_bytes(size: str) -> int:
    """PostgreSQL reads 'MB' as 1024*1024 bytes."""
    units = {"kB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}
    return int(size[:-2]) * units[size[-2:]]


EvictionPolicy = Literal[
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "noeviction",
]


class CacheSettings(Section):
    image: Image = "redis:7.4.6-bookworm"
    exporter_image: Image = "oliver006/redis_exporter:v1.67.0-alpine"
    exporter_resources: Resources = EXPORTER_RESOURCES
    host_port: HostPort = 6379
    maxmemory: RedisMemory = "512mb"
    maxmemory_policy: EvictionPolicy = "allkeys-lru"
    save: list[tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]] = [(3600, 1), (300, 100), (60, 10000)]
    appendonly: bool = False
    timeout: int = Field(default=300, ge=0, description="seconds before an idle client is closed; 0 never")
    tcp_keepalive: int = Field(default=60, ge=0)
    storage: Memory = "2Gi"
    resources: Resources = Resources(cpu="250m", memory="768Mi")
    clients: list[str] = Field(default=APP_CLIENTS, description="workloads allowed to connect")

    @model_validator(mode="after")
    def _maxmemory_fits(self) -> Self:
        if redis_bytes(self.maxmemory) >= memory_bytes(self.resources.memory):
            raise ValueError(
                f"maxmemory = {self.maxmemory!r}: must stay below resources.memory {self.resources.memory}, "
                "leaving room for Redis itself and snapshot forks"
            )
        return self

    def footprint(self) -> Footprint:
        return pods(self.resources, claims=[self.storage]) + pods(self.exporter_resources, surge=True)


def redis_bytes(size: str) -> int:
    """Redis reads 'mb' as 1024*1024 bytes."""
    units = {"kb": 2**10, "mb": 2**20, "gb": 2**30}
    return int(size[:-2]) * units[size[-2:]]


# Topic configs Redpanda accepts and ignores: sending them would only pretend to change something.
IGNORED_TOPIC_CONFIGS = {
    "min.insync.replicas": "Redpanda ignores it: with acks=all a write waits for a Raft majority of the replicas, "
    "so 3 replicas already need 2 in sync",
}


def _topic_config(config: dict[str, str]) -> dict[str, str]:
    """no min.insync.replicas (Redpanda ignores it)"""
    for key in config:
        if key in IGNORED_TOPIC_CONFIGS:
            raise ValueError(f"{key} is not allowed: {IGNORED_TOPIC_CONFIGS[key]}; remove it")
    return config


class Topic(Section):
    name: Annotated[str, matching(r"[a-zA-Z0-9._-]{1,249}", "letters, digits, '.', '_' and '-'")]
    partitions: int = Field(default=3, ge=1, le=10000)
    replicas: int = Field(default=3, ge=1)
    config: Annotated[dict[str, str], AfterValidator(_topic_config)] = Field(
        default_factory=dict, description="topic configs, e.g. retention.ms"
    )
    delete: bool = Field(default=False, description="delete the topic; topics left out of config are kept")


class EventBusPorts(Section):
    """Host ports of broker 0 in dev; broker N publishes on port + N."""

    kafka: HostPort = 19092
    schema_registry: HostPort = 18081
    http_proxy: HostPort = 18182
    admin: HostPort = 19644
    console: HostPort = 8080


class EventBusSettings(Section):
    image: Image = "docker.redpanda.com/redpandadata/redpanda:v26.2.3"
    console_image: Image = "docker.redpanda.com/redpandadata/console:v3.3.2"
    brokers: int = Field(
        default=3,
        ge=1,
        le=15,
        json_schema_extra={
            ON_CHANGE: "more brokers join through the seeds; to remove one, decommission it first "
            "(docs/runbook.md, 'Scaling the brokers')"
        },
    )
    dev_container: bool = Field(default=True, description="Redpanda's dev-container mode: no fsync, for laptops only")
    sasl: bool = Field(
        default=False,
        json_schema_extra={
            ON_CHANGE: "turned on, the topics job makes the superuser, then enables SASL on the running cluster; "
            "turned off, it is not converged: the job, with no login, fails saying so (set enable_sasl and "
            "admin_api_require_auth false with rpk first)"
        },
    )
    pinned_cpus: bool = Field(
        default=False,
        description="the nodes run the kubelet's static CPU manager policy and the brokers get whole cores "
        "(Guaranteed QoS): Redpanda then pins its reactor threads instead of yielding the core",
    )
    storage: Memory = "20Gi"
    resources: Resources = Resources(cpu="1", memory="1536Mi")
    console_resources: Resources = Resources(cpu="100m", memory="256Mi", ephemeral_storage="256Mi")
    topics_job_resources: Resources = Resources(cpu="100m", memory="256Mi", ephemeral_storage="256Mi")
    host_ports: EventBusPorts = EventBusPorts()
    topics: list[Topic] = []
    clients: list[str] = Field(default=APP_CLIENTS, description="workloads allowed to connect")

    @model_validator(mode="after")
    def _topics_fit(self) -> Self:
        names = [topic.name for topic in self.topics]
        for index, topic in enumerate(self.topics):
            where = f"topics[{index}]"
            if names.count(topic.name) > 1:
                raise ValueError(f"{where}.name = {topic.name!r}: topic names must be unique")
            if topic.replicas > self.brokers:
                raise ValueError(f"{where}.replicas = {topic.replicas}: more than the {self.brokers} brokers")
            if topic.replicas % 2 == 0:
                raise ValueError(f"{where}.replicas = {topic.replicas}: must be odd (Redpanda uses Raft majorities)")
        if self.dev_container:
            if memory_bytes(self.resources.memory) < 2**30:
                raise ValueError(
                    f"resources.memory = {self.resources.memory!r}: a dev-container broker needs at least 1Gi "
                    "(Redpanda documents --memory 1G per broker)"
                )
            return self
        cores = max(1, int(cpu_cores(self.resources.cpu)))
        if self.redpanda_memory_mib * 2**20 // cores < 2**30:
            raise ValueError(
                f"resources: {self.resources.memory} for {cores} core(s) gives Redpanda "
                f"{self.redpanda_memory_mib // cores}Mi per core (80% of memory / cores); production mode needs at "
                "least 1Gi per core: raise resources.memory or lower resources.cpu"
            )
        return self

    @property
    def redpanda_memory_mib(self) -> int:
        """Redpanda's own share of the container (`--memory`).

        Dev-container mode reserves nothing for the OS (`--reserve-memory 0M`): all but 64Mi of
        headroom. Production mode takes 80%, leaving the rest to the process and the page cache.
        """
        container = memory_bytes(self.resources.memory) // 2**20
        return container - 64 if self.dev_container else container * 8 // 10

    def footprint(self) -> Footprint:
        """The brokers and their claims, the Console (a Deployment) and the topics job."""
        total = pods(self.resources, count=self.brokers, claims=[self.storage] * self.brokers)
        total += pods(self.console_resources, surge=True)
        if self.topics:
            total += pods(self.topics_job_resources)
        return total

    @property
    def default_replication(self) -> int:
        """Replicas of topics nobody declared: three where there are three brokers to hold them."""
        return 3 if self.brokers >= 3 else 1


class Settings(Section):
    stack: str
    environment: Environment
    target: Target
    docker: DockerSettings = DockerSettings()
    kubernetes: KubernetesSettings = KubernetesSettings()
    catalog: CatalogSettings = CatalogSettings()
    cache: CacheSettings = CacheSettings()
    event_bus: EventBusSettings = EventBusSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    sentry: SentrySettings = SentrySettings()

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
        return found
