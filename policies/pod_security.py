"""Pod Security Standards `restricted` (Kubernetes v1.30), read from the fields the standard names.

Pure functions over manifest-shaped dicts, so the policy pack and the tests share one reading.
"""

from collections.abc import Iterator, Mapping
from typing import Any

Json = Mapping[str, Any]

POD_TEMPLATE_PATHS = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
ALLOWED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def pod_spec(resource_type: str, props: Json) -> Json | None:
    """The pod spec inside a workload's properties, or None for other resource types."""
    path = POD_TEMPLATE_PATHS.get(resource_type)
    if path is None:
        return None
    node: Any = props
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def containers(spec: Json) -> Iterator[Json]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(key) or []


def restricted_violations(spec: Json) -> list[str]:
    """Every way the pod spec breaks `restricted`; empty when it passes."""
    found: list[str] = []
    pod_context = spec.get("securityContext") or {}
    found += [f"{key} is true" for key in HOST_NAMESPACES if spec.get(key)]
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= ALLOWED_VOLUMES:
            found.append(f"volume {volume.get('name')} uses {', '.join(sorted(kinds - ALLOWED_VOLUMES))}")
    for container in containers(spec):
        name = container.get("name")
        context = container.get("securityContext") or {}
        if context.get("privileged"):
            found.append(f"container {name} is privileged")
        if context.get("allowPrivilegeEscalation") is not False:
            found.append(f"container {name} must set allowPrivilegeEscalation: false")
        if not _effective(context, pod_context, "runAsNonRoot"):
            found.append(f"container {name} must set runAsNonRoot: true")
        if _effective(context, pod_context, "runAsUser") == 0:
            found.append(f"container {name} runs as UID 0")
        seccomp = (context.get("seccompProfile") or pod_context.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"container {name} must use seccompProfile RuntimeDefault")
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            found.append(f"container {name} must drop ALL capabilities")
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"container {name} adds capabilities beyond NET_BIND_SERVICE")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"container {name} uses hostPort {port['hostPort']}")
    return found


def _effective(container_context: Json, pod_context: Json, key: str) -> Any:
    value = container_context.get(key)
    return pod_context.get(key) if value is None else value
