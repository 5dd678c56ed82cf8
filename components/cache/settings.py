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
    image: Image = images.REDIS.image
    exporter_image: Annotated[Image, STATELESS] = images.EXPORTER.image
    exporter_resources: Annotated[Resources, STATELESS] = EXPORTER_RESOURCES
    host_port: HostPort = 6379
    maxmemory: RedisMemory = "512mb"
    maxmemory_policy: EvictionPolicy = "allkeys-lru"
    save: list[tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]]] = [(3600, 1), (300, 100), (60, 10000)]
    appendonly: bool = False
    timeout: int = Field(default=300, ge=0, description="seconds before an idle client is closed; 0 never")
    tcp_keepalive: int = Field(default=60, ge=0)
    storage: ClaimSize = "2Gi"
    resources: Resources = Resources(cpu="250m", memory="768Mi")
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
