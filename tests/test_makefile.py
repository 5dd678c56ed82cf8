"""The Makefile as a new user meets it: uv bootstrapped, the policy pack's venv, the Docker context."""

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make(tmp_path: Path, *args: str, tools: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`make` with only `tools` (name -> shell body) beside make and python3 on PATH, and a fresh HOME."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("make", "python3", "sh", "bash", "grep", "awk", "sed", "wc", "cat"):
        found = shutil.which(name)
        assert found, name
        if not (bin_dir / name).exists():
            (bin_dir / name).symlink_to(found)
    for name, body in (tools or {}).items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path / "home")}
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def test_uv_is_bootstrapped_into_a_venv_of_its_own_when_missing(tmp_path: Path) -> None:
    result = make(tmp_path, "-n", "--always-make", "setup")
    uv_home = tmp_path / "home" / ".cache" / "dictamesh" / "uv-0.13.8"
    # a venv, not `pip install` into the system Python, which PEP 668 refuses
    assert f'python3 -m venv "{uv_home}"' in result.stdout
    assert f'"{uv_home}/bin/pip" install --quiet "uv==0.13.8"' in result.stdout
    # compiled at install: where PYTHONDONTWRITEBYTECODE is set, nothing else ever compiles the SDKs
    assert f"{uv_home}/bin/uv sync --frozen --compile-bytecode" in result.stdout


def test_the_policy_pack_gets_its_venv_before_up_and_preview(tmp_path: Path) -> None:
    # as on a fresh checkout, whether or not this one made the venv already
    result = make(tmp_path, "-n", "-W", "policies/requirements.txt", "preview", tools={"uv": "exit 0"})
    assert "venv --quiet --seed --python 3.11 policies/venv" in result.stdout
    install = next(line for line in result.stdout.splitlines() if "-r policies/requirements.txt" in line)
    assert "--compile-bytecode" in install
    lines = result.stdout.splitlines()
    preflight = next(i for i, line in enumerate(lines) if "scripts/preflight.sh" in line)
    preview = next(i for i, line in enumerate(lines) if "pulumi --non-interactive preview" in line)
    assert preflight < preview


def test_destroy_does_not_wait_for_a_prompt_it_cannot_get(tmp_path: Path) -> None:
    result = make(tmp_path, "-n", "destroy", "STACK=staging", tools={"uv": "exit 0"})
    assert "pulumi --non-interactive destroy --stack staging --yes" in result.stdout


def test_docker_host_follows_the_docker_context_when_unset(tmp_path: Path) -> None:
    context = "unix:///home/me/.colima/default/docker.sock"
    docker = f'[ "$1 $2" = "context inspect" ] && echo "{context}"'
    show = ["--eval", "show-docker-host: ; @echo DOCKER_HOST=$$DOCKER_HOST", "show-docker-host"]
    assert make(tmp_path, *show, tools={"docker": docker}).stdout.strip() == f"DOCKER_HOST={context}"
    # a CLI without contexts (or no engine config at all) leaves DOCKER_HOST unset
    assert make(tmp_path, *show, tools={"docker": "exit 1"}).stdout.strip() == "DOCKER_HOST="


VERBS = [
    "dev-up",
    "dev-down",
    "dev-reset",
    "dev-logs",
    "restart",
    "clean",
    "status",
    "health",
    "postgres-cli",
    "redis-cli",
    "kafka-topics",
    "kafka-create-topic",
    "kafka-consume",
    "console-ui",
    "grafana-ui",
    "prometheus-ui",
    "jaeger-ui",
    "sentry-ui",
]


def test_help_lists_every_verb_of_the_seed(tmp_path: Path) -> None:
    listed = {line.split()[0] for line in make(tmp_path, "help").stdout.splitlines()}
    assert set(VERBS) <= listed


def test_clients_take_addresses_and_credentials_from_the_outputs(tmp_path: Path) -> None:
    for verb, output in (
        ("postgres-cli", "catalogDsn"),
        ("redis-cli", "cacheUrl"),
        ("kafka-topics", "eventBus.bootstrapServers"),
        ("grafana-ui", "observability.grafanaUrl"),
        ("console-ui", "eventBus.consoleUrl"),
    ):
        dry = make(tmp_path, "-n", verb, tools={"uv": "exit 0"}).stdout
        assert f"-m scripts.outputs --stack dev {output}" in dry, verb
        assert not re.search(r"127\.0\.0\.1|:\d{4,5}\b", dry), f"{verb} names an address itself"


def test_clean_asks_first_and_removes_the_stack_keeping_its_config(tmp_path: Path) -> None:
    refused = make(tmp_path, "clean", tools={"uv": "exit 0"})
    assert refused.returncode != 0 and "clean: nothing removed" in refused.stdout
    dry = make(tmp_path, "-n", "clean", "YES=1", tools={"uv": "exit 0"}).stdout
    assert "pulumi --non-interactive destroy --stack dev --yes" in dry
    assert "pulumi --non-interactive stack rm dev --yes --preserve-config" in dry
    # the stack keeps its volumes through `destroy` (retain_on_delete): clean and dev-reset remove them
    for verb in ("clean", "dev-reset"):
        dry = make(tmp_path, "-n", verb, "YES=1", tools={"uv": "exit 0"}).stdout
        assert "docker volume ls --quiet --filter name=dictamesh-dev-" in dry and "docker volume rm" in dry, verb


def test_dev_up_starts_the_stopped_services_and_dev_down_stops_them(tmp_path: Path) -> None:
    calls = tmp_path / "docker-calls"
    docker = f"""echo "$*" >> {calls}
case "$*" in
  *status=exited*) echo c1; echo c2 ;;
  "ps --quiet"*) echo c1; echo c2; echo c3 ;;
esac"""
    up = make(tmp_path, "dev-up", tools={"docker": docker})
    assert up.stdout.strip() == "dev-up: started 2 containers", up.stderr
    assert "start c1 c2" in calls.read_text()
    assert "label=dev.dictamesh.kind=service" in calls.read_text()  # one-shot jobs stay exited
    down = make(tmp_path, "dev-down", tools={"docker": docker})
    assert down.stdout.strip() == "dev-down: stopped 3 containers, data kept"
    assert "stop c1 c2 c3" in calls.read_text()
