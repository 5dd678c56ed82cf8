"""Settings of the cache, under `dictamesh:cache`."""

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from components.cache import images
from components.change import CLIENTS, STATELESS
from components.fields import APP_CLIENTS, EXPORTER_RESOURCES, ClaimSize, HostPort, Image, Resources, Section, matching
from components.footprint import Footprint, pods
from components.quantity import memory_bytes

RedisMemory = Annotated[str, matching(r"[0-9]+(kb|mb|gb)", "a Redis size in kb, mb or gb, e.g. 512mb")]


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
    image: Image = Field(default=images.REDIS.image, description="the Redis server's image")
    exporter_image: Annotated[Image, STATELESS] = Field(
        default=images.EXPORTER.image, description="redis_exporter's image, which Prometheus scrapes"
    )
    exporter_resources: Annotated[Resources, STATELESS] = Field(
        default=EXPORTER_RESOURCES, description="the exporter's container"
    )
    host_port: HostPort = Field(default=6379, description="docker: where Redis is published on 127.0.0.1")
    maxmemory: RedisMemory = "512mb"
    maxmemory_policy: EvictionPolicy = "allkeys-lru"
    save: list[tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]] = Field(
        default=[(3600, 1), (300, 100), (60, 10000)],
        description="RDB snapshots as [seconds, changes] pairs: one after that many seconds with at least that many "
        "changed keys",
    )
    appendonly: bool = Field(
        default=False,
        description="an append-only file besides the snapshots: about a second of "
        "writes lost in a crash, instead of everything since the last snapshot",
    )
    timeout: int = Field(default=300, ge=0, description="seconds before an idle client is closed; 0 never")
    tcp_keepalive: int = Field(default=60, ge=0, description="seconds between keepalives to idle clients; 0 none")
    storage: ClaimSize = Field(default="2Gi", description="the data volume (snapshots and the append-only file)")
    resources: Resources = Field(
        default=Resources(cpu="250m", memory="768Mi"),
        description="the Redis container's; maxmemory must stay below its memory",
    )
    clients: Annotated[list[str], CLIENTS] = Field(default=APP_CLIENTS, description="workloads allowed to connect")

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
