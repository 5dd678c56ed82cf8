"""Stand-in images for dev's stage of `make e2e`, tagged with exactly the references the dev stack pins.

No registry can be reached here, so `docker import` makes each image from a root filesystem: busybox
and bash for a userland, and `standin` (scripts/standin) under every program name a
workload runs. Where the image runs a server this machine has, the stand-in runs that real server as the
image's entrypoint would, so the dev stack's generated files are read by it with the mounts, user and
read-only root the program gives it (REAL_SERVERS). Every other service is a stub that answers its
probes; every one-shot program exits 0.

A stand-in proves the engine, the provider and the runtime, never the image: the facts about the real
images stay in components/*/images.py.
"""

import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from components.image_facts import ImageFacts
from components.images import RECORDS
from components.model import Replica, Workload
from components.runtime.docker import docker_replica
from scripts.local_dockerd import Dockerd
from tests.servers import binary, built

ROOT = Path(__file__).resolve().parent.parent
SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash")
# programs that the workloads' scripts call by name: the stub stands in for each
SCRIPT_TOOLS = (
    "/run.sh",  # Grafana's entrypoint, which its start script hands over to
    "curl",
    "grafana",
    "kafka-configs",
    "kafka-topics",
    "pg_isready",
    "psql",
    "python3",
    "redis-cli",
    "rpk",
    "sentry",
    "snuba",
    "valkey-cli",
)
PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"


@dataclass(frozen=True)
class RealServer:
    """A server from this machine, started as the image's entrypoint starts the real one."""

    entrypoint: list[str]
    programs: dict[str, str]  # path in the image -> the program on this machine
    scripts: dict[str, str] = field(default_factory=dict)  # path in the image -> a shell script


# the official images' entrypoints hand over to their user only when started as root: ours never are
EXEC_ARGS = {"/usr/local/bin/docker-entrypoint.sh": '#!/bin/sh\nexec "$@"\n'}


def real_servers() -> dict[str, RealServer]:
    """By repository. Versions are this machine's, not the pins' (the fast tier runs the same): Debian's
    redis-server 7.0 (for Redis and Valkey), Prometheus 2.42, nginx 1.22 and memcached 1.6.18, and
    Alertmanager at the pinned version."""
    redis = {"/usr/local/bin/redis-server": binary("redis-server"), "/usr/local/bin/redis-cli": binary("redis-cli")}
    valkey = {"/usr/local/bin/valkey-server": binary("redis-server"), "/usr/local/bin/valkey-cli": binary("redis-cli")}
    return {
        "prom/prometheus": RealServer(["/bin/prometheus"], {"/bin/prometheus": binary("prometheus")}),
        "prom/alertmanager": RealServer(["/bin/alertmanager"], {"/bin/alertmanager": built("alertmanager")}),
        "redis": RealServer(["docker-entrypoint.sh"], redis, EXEC_ARGS),
        "valkey/valkey": RealServer(["docker-entrypoint.sh"], valkey, EXEC_ARGS),
        "memcached": RealServer(["docker-entrypoint.sh"], {"/usr/local/bin/memcached": binary("memcached")}, EXEC_ARGS),
        "nginx": RealServer(["/usr/sbin/nginx"], {"/usr/sbin/nginx": binary("nginx", "/usr/sbin/nginx")}),
    }


@dataclass
class Image:
    """What the dev stack's workloads ask of one image reference."""

    ref: str
    services: list[list[str]] = field(default_factory=list)  # each argv the stand-in gets as a service
    ports: set[int] = field(default_factory=set)
    programs: set[str] = field(default_factory=set)  # program names and paths the workloads run
    owned: dict[str, tuple[int, int]] = field(default_factory=dict)  # volume path -> owner the image gives it

    @property
    def repository(self) -> str:
        return self.ref.split("@")[0].rsplit(":", 1)[0]


def replicas(workload: Workload) -> list[Replica]:
    count = workload.replicas if workload.kind == "service" else 1
    return [docker_replica(workload, index) for index in range(count)]


def service_argv(workload: Workload, replica: Replica) -> list[str]:
    """The arguments the stand-in process gets: a shell's `exec prog "$@"` passes the workload's args,
    a program as the command gets the rest of the command, the image's entrypoint gets the args."""
    command, args = list(workload.command), workload.args_for(replica)
    if command and command[0] in SHELLS:
        return args
    return command[1:] + args if command else args


def images(workloads: Iterable[Workload]) -> dict[str, Image]:
    found: dict[str, Image] = {}
    for workload in sorted(workloads, key=lambda w: w.name):
        image = found.setdefault(workload.image, Image(workload.image))
        probe = list(workload.probe.command) if workload.probe and workload.probe.command else []
        image.programs |= {argv[0] for argv in (list(workload.command), probe) if argv}
        if workload.kind == "service":
            image.services += [service_argv(workload, replica) for replica in replicas(workload)]
            image.ports |= {port.port for port in workload.ports}
            image.ports |= {int(p) for p in re.findall(r"127\.0\.0\.1[:/](\d+)", " ".join(probe))}
        for volume in workload.volumes.values():
            if not volume.root_owned:
                image.owned[volume.path] = (workload.run_as.uid, workload.run_as.gid)
    for image in found.values():
        image.owned |= written_folders(RECORDS[image.ref])
    return found


def written_folders(record: ImageFacts) -> dict[str, tuple[int, int]]:
    """The folders the real image gives its user to write, as its record says (files and /tmp aside)."""
    return {
        path: (record.user.uid, record.user.gid)
        for path in record.writes
        if path != "/tmp" and "." not in PurePosixPath(path).name
    }


def standin_binary(cache: Path) -> Path:
    """scripts/standin, built static: no library of this machine in the images."""
    target = cache / "standin"
    subprocess.run(
        ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(target), "."],
        cwd=ROOT / "scripts" / "standin",
        env={**os.environ, "CGO_ENABLED": "0"},
        check=True,
    )
    return target


def libraries(program: str) -> list[str]:
    """The shared libraries `program` loads, with the loader, as ldd resolves them."""
    listed = subprocess.run(["ldd", program], capture_output=True, text=True, check=False).stdout
    return sorted({path for path in re.findall(r"(/\S+\.so[.\d]*)", listed)})


def copy_in(root: Path, source: str, target: str) -> None:
    destination = root / target.lstrip("/")
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(source).resolve(), destination)
    destination.chmod(0o755)


def install(root: Path, program: str, target: str) -> None:
    """A program of this machine at `target`, with the shared libraries it loads (none when static)."""
    copy_in(root, program, target)
    for library in libraries(program):
        copy_in(root, library, library)


def rootfs(image: Image, standin: Path, real: RealServer | None, root: Path) -> None:
    for folder in ("bin", "usr/local/bin", "etc", "standin/bin"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(mode=0o1777)
    (root / "tmp").chmod(0o1777)
    install(root, binary("busybox"), "/bin/busybox")
    applets = subprocess.run(["busybox", "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        if applet not in SCRIPT_TOOLS and applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")
    install(root, binary("bash"), "/bin/bash")
    copy_in(root, str(standin), "/standin/bin/standin")
    served = real.programs if real else {}
    served_names = {PurePosixPath(path).name for path in served}
    for program in sorted(set(SCRIPT_TOOLS) | image.programs):
        path = program if program.startswith("/") else f"/usr/local/bin/{program}"
        link = root / path.lstrip("/")
        if not link.exists() and PurePosixPath(program).name not in served_names and program not in SHELLS:
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to("/standin/bin/standin")
    for path, program in served.items():
        install(root, program, path)
    for path, script in (real.scripts if real else {}).items():
        (root / path.lstrip("/")).write_text(script)
        (root / path.lstrip("/")).chmod(0o755)
    (root / "standin" / "services").write_text(json.dumps(image.services))
    (root / "standin" / "ports").write_text("\n".join(str(p) for p in sorted(image.ports)) + "\n")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n")
    (root / "etc" / "group").write_text("root:x:0:\nnobody:x:65534:\n")


def tarball(root: Path, target: Path, owned: dict[str, tuple[int, int]]) -> None:
    """The root filesystem, root-owned, but for the volume paths the image gives its user."""

    def owner(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid, info.gid, info.uname, info.gname = 0, 0, "", ""
        return info

    with tarfile.open(target, "w") as archive:
        archive.add(root, arcname=".", filter=owner)
        for path, (uid, gid) in sorted(owned.items()):
            folder = tarfile.TarInfo(path.strip("/"))
            folder.type, folder.mode, folder.uid, folder.gid = tarfile.DIRTYPE, 0o755, uid, gid
            archive.addfile(folder)


def build(dockerd: Dockerd, cache: Path, workloads: Iterable[Workload], generation: int = 1) -> list[str]:
    """Imports a stand-in for every image the dev stack runs, and returns their references.

    A new `generation` gives every image a new ID under the same references: a new image under an old tag."""
    standin = standin_binary(cache)
    servers = real_servers()
    refs = sorted(images(workloads).items())
    for ref, image in refs:
        work = cache / re.sub(r"[^a-zA-Z0-9.-]+", "-", ref)
        shutil.rmtree(work, ignore_errors=True)
        rootfs(image, standin, servers.get(image.repository), work / "root")
        (work / "root" / "standin" / "generation").write_text(f"{generation}\n")
        tarball(work / "root", work / "image.tar", image.owned)
        entrypoint = servers[image.repository].entrypoint if image.repository in servers else ["/standin/bin/standin"]
        dockerd.docker(
            "import",
            "--change",
            f"ENTRYPOINT {json.dumps(entrypoint)}",
            "--change",
            f"ENV PATH={PATH}",
            str(work / "image.tar"),
            ref.split("@")[0],
        )
        shutil.rmtree(work)
    # `docker tag` refuses digests: the engine's reference store learns them as a pull would record them
    dockerd.record_digests([ref for ref, _ in refs if "@" in ref])
    return [ref for ref, _ in refs]
