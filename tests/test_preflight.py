"""`make up` stops before Pulumi runs, saying what is missing and how to get it."""

import os
import shutil
import subprocess
from pathlib import Path

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
