"""Workloads on a local Docker engine: one container per replica on the stack's own network.

Hardening lives here once: the image's non-root user, every capability dropped, no-new-privileges,
ports on 127.0.0.1 only, memory and CPU limits, and a health check the deployment waits for.
The root filesystem is read-only unless files are uploaded: the engine refuses to copy files into a
read-only root (moby/moby#35987), so such containers keep a writable root with everything else.

Day 2: a replaced or deleted container is stopped with its image's stop signal and the workload's grace
first (without destroy_grace_seconds the provider stops with a timeout of 0, a kill); volumes are never
deleted by the stack (retain_on_delete: a volume a change drops stays on the engine, and a new volume of the
same name takes it back). On a stack deployed before, the replicas of a replicated stateful workload are
replaced one after another, each once the one before is healthy; on a new stack they start together, as a
Raft cluster's founders must.

Uploaded files belong to root: pulumi-docker 5.1.0 writes each with uid and gid 0 (its `owner` and
`group` arrive in 5.2.0, which the engine here cannot build). Plain files are 0444. Secret files are
0440 and the container's user gets the supplementary group 0, so that user and root read them and no
other user does.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components.model import Exposed, Port, Replica, WebUi, Workload
from components.quantity import cpu_cores, mebibytes
from components.runtime.docker_readback import capability, cpus, duration
from components.secrets import as_secret

UPLOAD_GROUP = "0"  # the group of every uploaded file (see the module's docstring)


@dataclass(frozen=True)
class DockerTarget:
    """A Docker engine's network that containers join, and how their names and published ports are chosen."""

    network: pulumi.Input[str]  # an existing network's name: containers reach each other there by workload name
    instance: str  # containers and volumes are named dictamesh-<instance>-<workload>
    provider: pulumi.ProviderResource | None = None  # None: the one the parent's options give, or the default
    host_port_offset: int = 0  # added to every published port: two instances side by side on one machine
    protect: bool = False  # volumes refuse deletion
    # the containers exist already: a replicated stateful workload's replicas are then replaced one after another
    established: bool = False


class DockerRuntime:
    encrypts = False  # plain text between containers on the stack's own network, as on a developer's loopback
    has_api = False  # containers, not objects of an API a workload could watch

    def __init__(self, target: DockerTarget) -> None:
        self._stack = target.instance
        self._protect = target.protect
        self._established = target.established
        self._provider = target.provider
        self._network = target.network
        self._offset = target.host_port_offset
        self._images: dict[str, docker.RemoteImage] = {}

    def trust(self) -> dict[str, str] | None:
        return None

    def address(self, workload: str, ordinal: int | None = None) -> str:
        return workload if ordinal is None else f"{workload}-{ordinal}"

    def endpoint(self, workload: str, port: int, ordinal: int | None = None) -> str:
        return f"{self.address(workload, ordinal)}:{port}"

    def published(self, port: Port, ordinal: int = 0) -> str | None:
        return None if port.host_port is None else f"127.0.0.1:{port.host_port + self._offset + ordinal}"

    def public_url(self, ui: str) -> str | None:
        return None

    def expose(self, uis: Sequence[WebUi], owner: pulumi.Resource | None = None) -> Exposed:
        """A developer's UIs are already on 127.0.0.1: nothing more to expose."""
        return Exposed()

    def deploy(
        self, workload: Workload, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()
    ) -> list[pulumi.Resource]:
        if workload.tls_server or workload.tls_trust:
            raise ValueError(f"{workload.name}: the docker target issues no certificates (encrypts is False)")
        if workload.kind == "scheduled":
            raise ValueError(f"{workload.name}: the docker target runs no scheduled jobs; use the kubernetes target")
        if workload.watches:
            raise ValueError(f"{workload.name}: the docker target has no API to watch (has_api is False)")
        if workload.kind == "manual":
            return []  # an operator's job: the Makefile runs its commands in dev
        replicas = workload.replicas if workload.kind == "service" else 1
        ordinals: list[int | None] = list(range(replicas)) if replicas > 1 or workload.scales else [None]
        in_turn = self._established and workload.stateful
        containers: list[pulumi.Resource] = []
        for ordinal in ordinals:
            after = containers[-1:] if in_turn else []
            containers.append(self._container(workload, ordinal, parent, [*depends_on, *after]))
        if workload.retire:  # after the replicas that stay; the engine removes the others last
            self.deploy(workload.retire, parent, containers)
        return containers

    def _container(
        self, workload: Workload, ordinal: int | None, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource]
    ) -> docker.Container:
        suffix = "" if ordinal is None else f"-{ordinal}"
        index = ordinal or 0
        replica = docker_replica(workload, index, self._offset)
        opts = pulumi.ResourceOptions(parent=parent, provider=self._provider)
        uploads = self._uploads(workload)
        volumes = {key: self._volume(workload, key, suffix, parent) for key, volume in workload.volumes.items()}
        owners = [
            self._hand_over(workload, f"{workload.name}{suffix}-{key}", workload.volumes[key].path, source, parent)
            for key, source in volumes.items()
            if workload.volumes[key].root_owned
        ]
        service = workload.kind == "service"
        probe = workload.probe if workload.probe and workload.probe.command else None
        check = (probe.ready_command or probe.command) if probe else ()
        container = docker.Container(
            f"{workload.name}{suffix}",
            name=f"dictamesh-{self._stack}-{workload.name}{suffix}",
            image=self._image(workload.image).image_id,
            entrypoints=list(workload.command) or None,
            command=workload.args_for(replica) or None,
            envs=self._env(workload),
            uploads=uploads,
            user=f"{workload.run_as.uid}:{workload.run_as.gid}",
            group_adds=[UPLOAD_GROUP] if workload.secrets else None,
            read_only=not uploads,
            tmpfs=self._scratch(workload) or None,
            mounts=[
                docker.ContainerMountArgs(type="volume", target=workload.volumes[key].path, source=source)
                for key, source in volumes.items()
            ],
            ports=[
                docker.ContainerPortArgs(
                    internal=port.port, external=port.host_port + self._offset + index, ip="127.0.0.1"
                )
                for port in workload.ports
                if port.host_port is not None
            ],
            networks_advanced=[
                docker.ContainerNetworksAdvancedArgs(name=self._network, aliases=[workload.name, replica.host])
            ],
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            security_opts=["no-new-privileges:true"],
            memory=mebibytes(workload.resources.memory),
            # no swap, as on Kubernetes; unset, the engine reads back twice the memory and every `up` updates
            memory_swap=mebibytes(workload.resources.memory),
            shm_size=mebibytes(workload.shm_size) if workload.shm_size else None,
            # written as the provider reads them back: any other spelling replaces the container on every `up`
            cpus=cpus(cpu_cores(workload.resources.cpu)),
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=["CMD", *check],
                interval=duration(probe.period_seconds),
                timeout=duration(probe.timeout_seconds),
                retries=probe.failure_threshold,
                start_period=duration(probe.startup_seconds),
                # no start_interval: it needs Docker Engine 25 (API 1.44), and older engines refuse the container
            )
            if probe
            else None,
            stop_timeout=workload.stop_grace_seconds,
            destroy_grace_seconds=workload.stop_grace_seconds if service else None,
            wait=service and probe is not None,
            wait_timeout=probe.startup_seconds + 60 if probe else None,
            restart="unless-stopped" if service else "no",
            must_run=service,
            attach=not service,  # a one-shot job: wait for it to finish
            logs=not service,
            # the kind: `make dev-up` restarts services, not one-shot jobs
            labels=self._labels(workload, workload.kind, component=workload.component),
            opts=pulumi.ResourceOptions.merge(
                opts,
                # a fixed container name cannot be created twice: remove the old one first
                pulumi.ResourceOptions(depends_on=[*depends_on, *owners], delete_before_replace=True),
            ),
        )
        if not service:
            fail_with_the_job(container)
        return container

    def _env(self, workload: Workload) -> list[pulumi.Input[str]]:
        plain: list[pulumi.Input[str]] = [f"{key}={value}" for key, value in workload.env.items()]
        secret = [as_secret(pulumi.Output.concat(key, "=", value)) for key, value in workload.secret_env.items()]
        return plain + secret

    @staticmethod
    def _scratch(workload: Workload) -> dict[str, str]:
        """A tmpfs per scratch path, writable by any user as the image's own /tmp is: a path the image leaves to
        root (a VOLUME) takes the workload's user too. None where a file is uploaded beneath: it would hide it."""
        uploaded = [*workload.files, *workload.init_files, *workload.secrets]
        return {
            path: f"rw,nosuid,nodev,size={mebibytes(workload.scratch_size(path))}m,mode=1777"
            for path in workload.scratch
            if not any(file.startswith(f"{path.rstrip('/')}/") for file in uploaded)
        }

    def _uploads(self, workload: Workload) -> list[docker.ContainerUploadArgs]:
        files = [
            docker.ContainerUploadArgs(file=path, content=content, permissions="0444")
            for path, content in {**workload.files, **workload.init_files}.items()
        ]
        secrets = [
            docker.ContainerUploadArgs(file=path, content=as_secret(content), permissions="0440")
            for path, content in workload.secrets.items()
        ]
        return files + secrets

    def _hand_over(
        self, workload: Workload, name: str, path: str, volume: pulumi.Output[str], parent: pulumi.Resource
    ) -> docker.Container:
        """A one-shot container, from the workload's own image, that gives a fresh volume's root to the
        workload's user: root with the one capability it needs, CHOWN, and no other."""
        owner = f"{workload.run_as.uid}:{workload.run_as.gid}"
        container = docker.Container(
            f"{name}-owner",
            name=f"dictamesh-{self._stack}-{name}-owner",
            image=self._image(workload.image).image_id,
            entrypoints=["chown", owner, path],
            user="0:0",
            read_only=True,
            mounts=[docker.ContainerMountArgs(type="volume", target=path, source=volume)],
            network_mode="none",
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=[capability("CHOWN")]),
            security_opts=["no-new-privileges:true"],
            memory=32,
            memory_swap=32,
            cpus=cpus(cpu_cores("100m")),  # in the form the provider reads back, as every container's
            must_run=False,
            attach=True,
            logs=True,
            restart="no",
            labels=self._labels(workload, "volume-owner"),
            opts=pulumi.ResourceOptions(parent=parent, provider=self._provider, delete_before_replace=True),
        )
        fail_with_the_job(container)
        return container

    def _labels(self, workload: Workload, kind: str, **extra: str) -> list[docker.ContainerLabelArgs]:
        labels = {"dev.dictamesh.stack": self._stack, "dev.dictamesh.workload": workload.name}
        labels |= {f"dev.dictamesh.{key}": value for key, value in extra.items()}
        return [
            docker.ContainerLabelArgs(label=key, value=value)
            for key, value in {**labels, "dev.dictamesh.kind": kind}.items()
        ]

    def _volume(self, workload: Workload, key: str, suffix: str, parent: pulumi.Resource) -> pulumi.Output[str]:
        volume = docker.Volume(
            f"{workload.name}{suffix}-{key}",
            name=f"dictamesh-{self._stack}-{workload.name}{suffix}-{key}",
            opts=pulumi.ResourceOptions(
                parent=parent, provider=self._provider, protect=self._protect, retain_on_delete=True
            ),
        )
        return volume.name

    def _image(self, ref: str) -> docker.RemoteImage:
        if ref not in self._images:
            self._images[ref] = docker.RemoteImage(
                "image-" + re.sub(r"[^a-zA-Z0-9.-]+", "-", ref),
                name=ref,
                keep_locally=True,
                opts=pulumi.ResourceOptions(provider=self._provider),
            )
        return self._images[ref]


def docker_replica(workload: Workload, index: int, offset: int = 0) -> Replica:
    """Who replica `index` is on Docker: its network alias, and its ports published from host_port + offset + index."""
    published = {p.name: p.host_port + offset + index for p in workload.ports if p.host_port is not None}
    return Replica(ordinal=index, host=f"{workload.name}-{index}", published=published)


def fail_with_the_job(container: docker.Container) -> None:
    """The provider only records a one-shot container's exit code: a failed job must fail the update."""
    pulumi.Output.all(container.urn, container.exit_code, container.container_logs).apply(
        lambda outcome: job_outcome(*outcome)
    )


def job_outcome(urn: str, exit_code: int | None, logs: str | None) -> None:
    """Fails the update when a one-shot container exited non-zero, with its log. Unknown in a preview: no check.

    The failed container stays in the state, so every later `up` fails here too until the job is run again.
    """
    if exit_code:
        name = urn.rsplit("::", 1)[-1]
        raise pulumi.RunError(
            f"the job {name} exited with code {exit_code}; its log:\n{(logs or '').strip() or '(empty)'}\n"
            f"Fix the cause, then run it again: pulumi up --replace '{urn}'"
        )
