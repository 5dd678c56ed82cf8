"""Settings of the event bus, under `dictamesh:eventBus`."""

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator

from components.change import CLIENTS, STATELESS, OnChange, Verdict
from components.event_bus import images
from components.fields import APP_CLIENTS, ClaimSize, HostPort, Image, Resources, Section, matching
from components.footprint import Footprint, pods
from components.quantity import cpu_cores, memory_bytes

# storage_min_free_bytes in production mode (redpanda-properties-v26.2.1.json): below it, produce is refused
MIN_FREE_BYTES = 5 * 2**30
PRODUCTION_MIN_STORAGE = 2 * MIN_FREE_BYTES

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
    partitions: int = Field(default=3, ge=1, le=10000, description="only ever grown: Kafka cannot remove partitions")
    replicas: int = Field(default=3, ge=1, description="copies of each partition: odd, and at most the brokers")
    config: Annotated[dict[str, str], AfterValidator(_topic_config)] = Field(
        default_factory=dict, description="topic configs, e.g. retention.ms"
    )
    delete: bool = Field(default=False, description="delete the topic; topics left out of config are kept")


# a broker advertises its published ports: a change restarts every broker, one at a time
BROKER_PORT = OnChange("none", "rolling", "the brokers advertise their published ports")


class EventBusPorts(Section):
    """Host ports of broker 0 in dev; broker N publishes on port + N."""

    kafka: Annotated[HostPort, BROKER_PORT] = Field(default=19092, description="the Kafka API")
    schema_registry: Annotated[HostPort, BROKER_PORT] = Field(default=18081, description="the Schema Registry")
    http_proxy: Annotated[HostPort, BROKER_PORT] = Field(default=18182, description="the HTTP Proxy")
    admin: Annotated[HostPort, BROKER_PORT] = Field(default=19644, description="the Admin API")
    console: Annotated[HostPort, OnChange("none", "live")] = Field(default=8080, description="the Console")


class EventBusSettings(Section):
    image: Annotated[
        Image,
        OnChange(
            "rolling",
            "rolling",
            "the brokers restart one at a time, each in maintenance mode first; an upgrade that skips a feature "
            "release, or a downgrade, is refused",
            remember=True,
        ),
    ] = Field(default=images.REDPANDA.image, description="the Redpanda broker's image")
    console_image: Annotated[Image, STATELESS] = Field(
        default=images.CONSOLE.image, description="the Redpanda Console's image"
    )
    brokers: Annotated[
        int,
        OnChange(
            "live",
            "live",
            "more brokers join, and no running broker restarts; fewer: the leaving brokers are decommissioned "
            "first (their replicas move to the others), then stop; their claims and volumes are kept. The Console "
            "and Prometheus restart with the new set of brokers",
            remember=True,
        ),
    ] = Field(default=3, ge=1, le=15, description="Redpanda brokers, a Raft group: 3 tolerate one failure, 5 two")
    dev_container: bool = Field(default=True, description="Redpanda's dev-container mode: no fsync, for laptops only")
    sasl: Annotated[
        bool,
        OnChange(
            "rolling",
            "rolling",
            "the brokers restart one at a time (the HTTP APIs' login); turned on, the topics job makes the superuser "
            "and enables SASL on the running cluster; turned off, that job refuses it (set enable_sasl and "
            "admin_api_require_auth false with rpk first)",
        ),
    ] = Field(
        default=False,
        description="SASL/SCRAM on the Kafka API and HTTP basic auth on the other APIs, for a generated superuser",
    )
    pinned_cpus: bool = Field(
        default=False,
        description="the nodes run the kubelet's static CPU manager policy and the brokers get whole cores "
        "(Guaranteed QoS): Redpanda then pins its reactor threads instead of yielding the core",
    )
    storage: ClaimSize = Field(default="20Gi", description="each broker's data volume")
    resources: Resources = Field(default=Resources(cpu="1", memory="1536Mi"), description="each broker's container")
    console_resources: Annotated[Resources, STATELESS] = Field(
        default=Resources(cpu="100m", memory="256Mi", ephemeral_storage="256Mi"), description="the Console's container"
    )
    topics_job_resources: Annotated[Resources, STATELESS] = Field(
        default=Resources(cpu="100m", memory="256Mi", ephemeral_storage="256Mi"),
        description="the topics job's container, which keeps the topics and the superuser in step",
    )
    host_ports: EventBusPorts = Field(
        default=EventBusPorts(),
        description="docker: published on 127.0.0.1, each broker's at the port plus its ordinal",
    )
    topics: Annotated[
        list[Topic],
        OnChange(
            "live",
            "live",
            "the topics job creates, grows and reconfigures topics on the running cluster; it never removes "
            "partitions, and deletes only topics marked delete",
        ),
    ] = Field(default=[], description="the topics the topics job keeps: created, grown and reconfigured")
    clients: Annotated[list[str], CLIENTS] = Field(default=APP_CLIENTS, description="workloads allowed to connect")

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
        cores = cpu_cores(self.resources.cpu)
        if cores < 1:
            raise ValueError(
                f"resources.cpu = {self.resources.cpu!r} with devContainer false: production mode runs one reactor "
                "thread per core (--smp), which polls its core; under a whole core it is throttled: give it 1 or more"
            )
        if self.pinned_cpus and cores != int(cores):
            raise ValueError(
                f"pinnedCpus = true with resources.cpu = {self.resources.cpu!r}: the kubelet's static CPU manager "
                "pins whole cores only (Guaranteed QoS with an integer CPU), so the reactors would share cores "
                "anyway: give whole cores or set pinnedCpus false"
            )
        if memory_bytes(self.storage) < PRODUCTION_MIN_STORAGE:
            raise ValueError(
                f"storage = {self.storage!r} with devContainer false: production mode refuses produce requests while "
                f"less than {MIN_FREE_BYTES // 2**30}Gi is free (storage_min_free_bytes), so half or more of a claim "
                f"under {PRODUCTION_MIN_STORAGE // 2**30}Gi is never written: give it "
                f"{PRODUCTION_MIN_STORAGE // 2**30}Gi or more"
            )
        if self.redpanda_memory_mib * 2**20 // int(cores) < 2**30:
            raise ValueError(
                f"resources: {self.resources.memory} for {cores} core(s) gives Redpanda "
                f"{self.redpanda_memory_mib // cores}Mi per core (80% of memory / cores); production mode needs at "
                "least 1Gi per core: raise resources.memory or lower resources.cpu"
            )
        return self

    def judge_change(self, deployed: Mapping[str, Any]) -> Verdict:
        """`deployed`: this section's recorded values (components/deployed.py), by key."""
        verdict = Verdict()
        brokers = deployed.get("brokers")
        if isinstance(brokers, int) and brokers > self.brokers:
            verdict.warned.append(
                f"eventBus.brokers {brokers} -> {self.brokers}: brokers {self.brokers} to {brokers - 1} are "
                "decommissioned before they stop; their claims (volumes) are kept, and a decommissioned broker's data "
                "can never rejoin: delete them before the brokers grow again (docs/runbook.md, 'Scaling the brokers')"
            )
        image = deployed.get("image")
        if not image or image == self.image:
            return verdict
        before, after = images.feature_release(image), images.feature_release(self.image)
        known = images.FEATURE_RELEASES
        if before not in known or after not in known:
            verdict.refused.append(
                f"eventBus.image = {self.image!r}: the brokers run {image}; an upgrade must be checked one feature "
                f"release at a time, and the tags must name one of {', '.join(known)} (vYY.N.P)"
            )
        elif known.index(after) < known.index(before):
            verdict.refused.append(
                f"eventBus.image = {self.image!r}: the brokers run {before}, and Redpanda cannot go back to an older "
                "feature release once every broker runs the new one; keep a patch of "
                f"{before}"
            )
        elif known.index(after) > known.index(before) + 1:
            step = known[known.index(before) + 1]
            verdict.refused.append(
                f"eventBus.image = {self.image!r}: the brokers run {before}, and Redpanda upgrades one feature release "
                f"at a time: deploy the newest patch of {step} first (every release between: "
                f"{', '.join(known[known.index(before) + 1 : known.index(after)])})"
            )
        return verdict

    @property
    def redpanda_memory_mib(self) -> int:
        """Redpanda's own share of the container (`--memory`).

        Dev-container mode reserves nothing for the OS (`--reserve-memory 0M`): all but 64Mi of
        headroom. Production mode takes 80%, leaving the rest to the process and the page cache.
        """
        container = memory_bytes(self.resources.memory) // 2**20
        return container - 64 if self.dev_container else container * 8 // 10

    def footprint(self) -> Footprint:
        """The brokers and their claims, the Console (a Deployment), the decommission job and the topics job."""
        total = pods(self.resources, count=self.brokers, claims=[self.storage] * self.brokers)
        total += pods(self.console_resources, surge=True) + pods(self.topics_job_resources)
        if self.topics:
            total += pods(self.topics_job_resources)
        return total

    @property
    def default_replication(self) -> int:
        """Replicas of topics nobody declared: three where there are three brokers to hold them."""
        return 3 if self.brokers >= 3 else 1
