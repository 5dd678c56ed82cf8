"""One runtime per target; components only see the Runtime protocol.

A stack of this program owns its target's shared objects (the Docker network, the Kubernetes namespace and
provider): `create_runtime` makes them, then the runtime that deploys into them.
"""

from components.model import Runtime
from components.settings import Settings


def create_runtime(settings: Settings, established: bool = False) -> Runtime:
    """`established`: the stack was deployed before (components/deployed.py)."""
    return _docker(settings, established) if settings.target == "docker" else _kubernetes(settings)


# each SDK is imported only by the stacks that use it: pulumi_kubernetes alone takes about a second
def _docker(settings: Settings, established: bool) -> Runtime:
    import pulumi  # noqa: PLC0415
    import pulumi_docker as docker  # noqa: PLC0415

    from components.runtime.docker import DockerRuntime, DockerTarget  # noqa: PLC0415

    provider = docker.Provider("docker", host=settings.docker.host)
    network = docker.Network(
        "network", name=f"dictamesh-{settings.stack}", driver="bridge", opts=pulumi.ResourceOptions(provider=provider)
    )
    target = DockerTarget(
        network=network.name,
        instance=settings.stack,
        provider=provider,
        protect=settings.protect,
        established=established,
    )
    return DockerRuntime(target)


def _kubernetes(settings: Settings) -> Runtime:
    from components.runtime.kubernetes import namespace  # noqa: PLC0415
    from components.runtime.kubernetes.runtime import KubernetesRuntime  # noqa: PLC0415
    from components.runtime.kubernetes.target import KubernetesTarget  # noqa: PLC0415

    provider = namespace.stack_provider(settings)
    created, issuer = namespace.prepare(settings, provider)
    target = KubernetesTarget(
        namespace=settings.namespace,
        instance=f"dictamesh-{settings.stack}",
        settings=settings.kubernetes,
        provider=provider,
        protect=settings.protect,
        strict_spread=settings.environment == "prod",
    )
    return KubernetesRuntime(target, created, issuer)
