from components.runtime.kubernetes.runtime import KubernetesRuntime
from components.runtime.kubernetes.target import KubernetesTarget

__all__ = ["KubernetesRuntime", "KubernetesTarget"]
