"""The DictaMesh cache alone, in a namespace this program does not own (or, with `network` set, on a local Docker
engine's network): Redis with its exporter, its ACL users and a generated password, which stays a secret in this
stack's state."""

import pulumi

from components import Cache, KubernetesTargetArgs, TargetArgs

config = pulumi.Config()
target: TargetArgs
protect = config.get_bool("protect") or False  # as in prod: claims, StatefulSets and volumes refuse deletion
if network := config.get("network"):
    target = {
        "docker": {"network": network, "host_port_offset": config.get_int("hostPortOffset") or 0, "protect": protect}
    }
else:
    kubernetes: KubernetesTargetArgs = {
        "namespace": config.require("namespace"),
        "tls": {"enabled": False},
        "protect": protect,
        "strict_spread": config.get_bool("strictSpread") or False,  # replicas on different nodes, not only preferred
    }
    if instance := config.get("instance"):  # unset: dictamesh-<stack>
        kubernetes["instance"] = instance
    if storage_class := config.get("storageClass"):  # unset: the cluster's default class
        kubernetes["storage_class"] = storage_class
    target = {"kubernetes": kubernetes}
cache = Cache(
    "cache",
    {
        "target": target,
        "maxmemory": config.get("maxmemory") or "256mb",
        "resources": {"cpu": "250m", "memory": "512Mi"},
        "clients": ["orders-api"],  # the workloads that may connect: the NetworkPolicy admits them alone
    },
)
pulumi.export("cacheHost", cache.host)
pulumi.export("cacheHostAddress", cache.host_address)
pulumi.export("cacheUrl", cache.url)
