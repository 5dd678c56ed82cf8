from components.runtime.kubernetes.runtime import KubernetesRuntime

__all__ = ["KubernetesRuntime"]
