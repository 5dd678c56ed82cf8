"""Where workloads go on Kubernetes: a namespace that exists, and how to place and expose what runs there."""

from dataclasses import dataclass, field

import pulumi

from components.runtime.kubernetes.settings import KubernetesSettings


@dataclass(frozen=True)
class KubernetesTarget:
    """An existing namespace and the cluster's facts a component needs there.

    The program's own stacks create the namespace first (components/runtime/kubernetes/namespace.py); a
    component deployed alone goes into one its owner already made, with its Pod Security and quota.
    """

    namespace: str
    instance: str  # app.kubernetes.io/instance of every object: which deployment of DictaMesh it belongs to
    settings: KubernetesSettings = field(default_factory=KubernetesSettings)  # storage, exposure, TLS, network
    provider: pulumi.ProviderResource | None = None  # None: the one the parent's options give, or the default
    protect: bool = False  # claims and StatefulSets refuse deletion and replacement (prod)
    strict_spread: bool = False  # replicas must land on different nodes (and zones, given three), not just prefer to
