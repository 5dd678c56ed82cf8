"""Cache, as other programs use it: Redis with its ACL users and exporter, on the target its arguments name."""

import pulumi

from components.cache import component
from components.cache.settings import CacheSettings
from components.public.args import CacheArgs
from components.public.target import publish, runtime_of, settings_of


class Cache(pulumi.ComponentResource):
    """Redis 7, the DictaMesh L2 cache, with its ACL users and exporter; its data outlives any replacement."""

    host: pulumi.Output[str]
    """The DNS name other workloads on the target reach Redis at."""
    port: pulumi.Output[int]
    """Redis's port."""
    host_address: pulumi.Output[str]
    """`127.0.0.1:<port>` for clients on the developer's machine: the docker target only."""
    url: pulumi.Output[str]
    """`redis://app:<password>@<host>:<port>/0` (rediss:// with TLS), a secret."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = settings_of(CacheSettings, CacheArgs, args, "Cache", name)
        runtime = runtime_of(args, "Cache", name, opts)  # both refuse bad arguments before anything is created
        super().__init__("dictamesh:index:Cache", name, {}, opts)
        publish(self, component.Cache(name, settings, runtime, pulumi.ResourceOptions(parent=self)))
