"""The namespace's ResourceQuota and LimitRange: the stack's own requests plus headroom, or given figures."""

from typing import Any

from components.footprint import Footprint
from components.settings import Settings

Json = dict[str, Any]

# Quota figure -> (the Quota setting, the Footprint field, how the figure is written)
FIGURES: dict[str, tuple[str, str, str]] = {
    "requests.cpu": ("cpu", "cpu_millis", "{}m"),
    "limits.cpu": ("cpu", "cpu_millis", "{}m"),
    "requests.memory": ("memory", "memory_mib", "{}Mi"),
    "limits.memory": ("memory", "memory_mib", "{}Mi"),
    "requests.ephemeral-storage": ("ephemeral_storage", "ephemeral_mib", "{}Mi"),
    "limits.ephemeral-storage": ("ephemeral_storage", "ephemeral_mib", "{}Mi"),
    "requests.storage": ("storage", "storage_mib", "{}Mi"),
    "persistentvolumeclaims": ("claims", "claims", "{}"),
    "pods": ("pods", "pods", "{}"),
}


def hard(settings: Settings) -> dict[str, str]:
    """Requests equal limits in this stack, so both carry the same figure."""
    kubernetes = settings.kubernetes
    computed: Footprint = settings.footprint().scaled(kubernetes.quota_headroom_percent)
    figures = {}
    for name, (setting, field, form) in FIGURES.items():
        given = getattr(kubernetes.quota, setting)
        figures[name] = str(given) if given is not None else form.format(getattr(computed, field))
    return figures


def resource_quota(settings: Settings, labels: Json) -> Json:
    return {
        "metadata": {"name": "dictamesh", "namespace": settings.namespace, "labels": labels},
        "spec": {"hard": hard(settings)},
    }


def limit_range(namespace: str, labels: Json) -> Json:
    """Containers that set no resources (a debug pod, say) get these instead of none, so the quota admits them."""
    default = {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "1Gi"}
    return {
        "metadata": {"name": "container-defaults", "namespace": namespace, "labels": labels},
        "spec": {"limits": [{"type": "Container", "default": default, "defaultRequest": dict(default)}]},
    }
