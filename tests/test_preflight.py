"""`make up` stops before Pulumi runs, saying what is missing and how to get it."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from components.config import parse
from scripts import host_ports

ROOT = Path(__file__).resolve().parent.parent


def preflight(tmp_path: Path, stack: str, tools: dict[str, str], **env: str) -> subprocess.CompletedProcess[str]:
    """Runs scripts/preflight.sh with only `tools` (name -> shell body) and sed on PATH."""
    bin_dir = tmp_path / f"bin-{stack}-{len(env)}"
    bin_dir.mkdir()
    sed = shutil.which("sed")
    assert sed
    (bin_dir / "sed").symlink_to(sed)
    for name, body in tools.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return subprocess.run(
        ["/bin/bash", str(ROOT / "scripts" / "preflight.sh"), stack],
        cwd=ROOT,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_pulumi_and_docker_are_named_with_how_to_install(tmp_path: Path) -> None:
    result = preflight(tmp_path, "dev", {"uv": "exit 0"})
    assert result.returncode == 1
    assert "the Pulumi CLI is not installed. Install it: 'curl -fsSL https://get.pulumi.com | sh'" in result.stderr
    assert "the Docker CLI is not installed. Install Docker Desktop or Docker Engine" in result.stderr


def test_a_stopped_docker_engine_is_named(tmp_path: Path) -> None:
    result = preflight(tmp_path, "dev", {"uv": "exit 0", "pulumi": "exit 0", "docker": "exit 1"})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "preflight: the Docker engine is not reachable ('docker info' failed). "
        "Start Docker Desktop or 'sudo systemctl start docker', and check DOCKER_HOST"
    )


def test_dev_is_ready_with_pulumi_and_a_running_engine(tmp_path: Path) -> None:
    result = preflight(tmp_path, "dev", {"uv": "exit 0", "pulumi": "exit 0", "docker": "exit 0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "preflight: ready for stack dev (target docker)"


def test_cluster_stacks_need_a_passphrase_but_no_docker(tmp_path: Path) -> None:
    tools = {"uv": "exit 0", "pulumi": "exit 0", "kubectl": "exit 0"}
    refused = preflight(tmp_path, "prod", tools)
    assert refused.returncode == 1
    assert "stack prod keeps real secrets: set PULUMI_CONFIG_PASSPHRASE" in refused.stderr
    ready = preflight(tmp_path, "prod", tools, PULUMI_CONFIG_PASSPHRASE=os.urandom(8).hex())
    assert ready.returncode == 0, ready.stderr
    assert "target kubernetes" in ready.stdout


def test_a_busy_host_port_is_named_with_the_setting_that_chose_it() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        settings = parse("dev", {"catalog": {"hostPort": port}})
        assert host_ports.problems(settings, ours=set()) == [
            f"127.0.0.1:{port} (catalog.hostPort) is already in use: stop what listens there, "
            "or move it with dictamesh:catalog.hostPort in Pulumi.dev.yaml"
        ]
        assert host_ports.problems(settings, ours={port}) == []  # held by the stack itself: a second `up`
    assert host_ports.problems(parse("staging", {}), ours=set()) == []  # nothing is published from a cluster


def test_the_stacks_own_ports_are_read_from_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(
        '#!/bin/sh\necho "127.0.0.1:5432->5432/tcp"\necho "127.0.0.1:19644->9644/tcp, 127.0.0.1:19092->19092/tcp"\n'
    )
    (bin_dir / "docker").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert host_ports.published_by_the_stack("dev") == {5432, 19644, 19092}
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert host_ports.published_by_the_stack("dev") == set()  # no docker CLI: nothing is ours
