"""The DictaMesh cache alone, in a namespace this program does not own: Redis with its exporter, its ACL users and
a generated password, which stays a secret in this stack's state."""

import pulumi

from components import Cache, KubernetesTargetArgs

config = pulumi.Config()
target: KubernetesTargetArgs = {"namespace": config.require("namespace"), "tls": {"enabled": False}}
if storage_class := config.get("storageClass"):  # unset: the cluster's default class
    target["storage_class"] = storage_class
cache = Cache(
    "cache",
    {
        "target": {"kubernetes": target},
        "maxmemory": config.get("maxmemory") or "256mb",
        "resources": {"cpu": "250m", "memory": "512Mi"},
        "clients": ["orders-api"],  # the workloads that may connect: the NetworkPolicy admits them alone
    },
)
pulumi.export("cacheHost", cache.host)
pulumi.export("cacheUrl", cache.url)
