"""Settings of the event bus, under `dictamesh:eventBus`."""

from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from components.event_bus import images
from components.fields import APP_CLIENTS, ON_CHANGE, HostPort, Image, Memory, Resources, Section, matching
from components.footprint import Footprint, pods
from components.quantity import cpu_cores, memory_bytes

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
    image: Image = images.REDPANDA.image
    console_image: Image = images.CONSOLE.image
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
