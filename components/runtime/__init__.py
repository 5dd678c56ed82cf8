"""One runtime per target; components only see the Runtime protocol."""

from components.model import Runtime
from components.settings import Settings


def create_runtime(settings: Settings, established: bool = False) -> Runtime:
    """`established`: the stack was deployed before (components/deployed.py)."""
    # each SDK is imported only by the stacks that use it: pulumi_kubernetes alone takes about a second
    if settings.target == "docker":
        from components.runtime.docker import DockerRuntime  # noqa: PLC0415

        return DockerRuntime(settings, established)
    from components.runtime.kubernetes import KubernetesRuntime  # noqa: PLC0415

    return KubernetesRuntime(settings)
