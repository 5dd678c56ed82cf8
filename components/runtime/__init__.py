"""One runtime per target; components only see the Runtime protocol."""

from components.model import Runtime
from components.settings import Settings


def create_runtime(settings: Settings) -> Runtime:
    # each SDK is imported only by the stacks that use it: pulumi_kubernetes alone takes about a second
    if settings.target == "docker":
        from components.runtime.docker import DockerRuntime  # noqa: PLC0415

        return DockerRuntime(settings)
    from components.runtime.kubernetes import KubernetesRuntime  # noqa: PLC0415

    return KubernetesRuntime(settings)
