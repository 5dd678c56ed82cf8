"""The bootstrap jobs' shell scripts, as generated, run by bash against fake tools that record their calls.

The scripts' files (topics list, secret files) are taken from the dev stack's containers and placed
under a temporary root; only those paths change.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from components.sentry import service_config, topology
from tests.harness import Recording
from tests.sentry import container, uploads
from tests.sentry import env as job_env

# a stand-in for kafka-topics, snuba or sentry: appends its arguments and the secrets it sees, fails on demand.
# `sentry createuser` without --password or --no-input prompts as its own _get_password does (click, hidden
# input with confirmation), and records what it read.
FAKE = f"""#!{sys.executable}
import json, os, sys
import click
args = sys.argv[1:]
prompted = None
if args[:1] == ["createuser"] and not {{"--password", "--no-input"}} & set(args):
    prompted = click.prompt("Password", hide_input=True, confirmation_prompt=True)
with open(os.environ["CALLS"], "a") as log:
    seen = {{k: os.environ.get(k) for k in ("CLICKHOUSE_PASSWORD", "REDIS_PASSWORD", "SENTRY_ADMIN_EMAIL")}}
    call = {{"tool": os.path.basename(sys.argv[0]), "args": args, "env": seen, "prompted": prompted}}
    log.write(json.dumps(call) + "\\n")
sys.exit(1 if os.environ.get("FAIL_ON") and os.environ["FAIL_ON"] in sys.argv else 0)
"""


def run(recording: Recording, job: str, root: Path, fail_on: str = "") -> tuple[int, list[dict[str, Any]]]:
    """Runs the job's `bash -c` script with its files under `root` and fake tools first on PATH."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("kafka-topics", "kafka-configs", "snuba", "sentry"):
        (bin_dir / tool).write_text(FAKE)
        (bin_dir / tool).chmod(0o755)
    script = container(recording, job).inputs["entrypoints"][-1]
    for path, content in uploads(recording, job).items():
        local = root / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text(content)
        script = script.replace(path, str(local))
    calls = root / "calls.log"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls), "FAIL_ON": fail_on}
    env |= job_env(recording, job)
    # no controlling terminal and no input: a prompt reads only what the script itself pipes in
    done = subprocess.run(
        ["bash", "-c", script],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, [json.loads(line) for line in lines]


def test_the_topics_job_creates_every_topic_only_if_missing(stacks: dict[str, Recording], tmp_path: Path) -> None:
    code, calls = run(stacks["dev"], topology.TOPICS_JOB, tmp_path)
    assert code == 0
    created = [c for c in calls if c["tool"] == "kafka-topics"]
    assert [c["args"][c["args"].index("--topic") + 1] for c in created] == list(topology.TOPICS)
    for call in calls:
        assert call["args"][call["args"].index("--bootstrap-server") + 1] == "sentry-kafka:9092"
    for call in created:
        assert {"--create", "--if-not-exists"} <= set(call["args"])


def test_every_topic_gets_the_settings_snuba_would_give_it(stacks: dict[str, Recording], tmp_path: Path) -> None:
    """snuba bootstrap and sentry upgrade skip a topic that exists: the job, which runs first, sets them, on
    existing topics too (kafka-configs --alter)."""
    code, calls = run(stacks["dev"], topology.TOPICS_JOB, tmp_path)
    assert code == 0
    settings = {
        c["args"][c["args"].index("--entity-name") + 1]: c["args"][c["args"].index("--add-config") + 1]
        for c in calls
        if c["tool"] == "kafka-configs"
    }
    assert list(settings) == list(topology.TOPICS)
    assert "cleanup.policy=[compact,delete]" in settings["snuba-commit-log"]  # compaction, as sentry-kafka-schemas
    assert "message.timestamp.type=LogAppendTime" in settings["events"]
    assert "max.message.bytes=10000000" in settings["ingest-attachments"]
    assert "retention.ms=604800000" in settings["taskworker-dlq"]
    # every topic taskbroker reads or writes exists before it starts: it waits for each
    assert set(yaml.safe_load(service_config.taskbroker_config())["kafka_topics"]) <= set(settings)


def test_a_failed_topic_stops_the_job_and_fails_the_update(stacks: dict[str, Recording], tmp_path: Path) -> None:
    code, calls = run(stacks["dev"], topology.TOPICS_JOB, tmp_path, fail_on="events")
    assert code != 0
    assert calls[-1]["args"][calls[-1]["args"].index("--topic") + 1] == "events"  # nothing after it


def test_snuba_bootstraps_then_migrates_with_its_passwords_from_files(
    stacks: dict[str, Recording], tmp_path: Path
) -> None:
    code, calls = run(stacks["dev"], topology.SNUBA_JOB, tmp_path)
    assert code == 0
    assert [c["args"] for c in calls] == [
        ["bootstrap", "--force", "--no-migrate"],
        ["migrations", "migrate", "--force"],
    ]
    files = uploads(stacks["dev"], topology.SNUBA_JOB)
    assert calls[0]["env"]["CLICKHOUSE_PASSWORD"] == files["/run/secrets/dictamesh/clickhouse-password"]
    assert calls[0]["env"]["REDIS_PASSWORD"] == files["/run/secrets/dictamesh/redis-password"]


def test_a_failed_snuba_bootstrap_runs_no_migration(stacks: dict[str, Recording], tmp_path: Path) -> None:
    code, calls = run(stacks["dev"], topology.SNUBA_JOB, tmp_path, fail_on="bootstrap")
    assert code != 0 and len(calls) == 1


def test_the_admin_is_created_or_reset_with_the_generated_password_never_on_a_command_line(
    stacks: dict[str, Recording], tmp_path: Path
) -> None:
    """/proc/<pid>/cmdline is readable by every process of the pod: the password goes to createuser's prompt."""
    code, calls = run(stacks["dev"], topology.ADMIN_JOB, tmp_path)
    assert code == 0
    password = uploads(stacks["dev"], topology.ADMIN_JOB)["/run/secrets/dictamesh/admin-password"]
    assert calls == [
        {
            "tool": "sentry",
            "args": ["createuser", "--email", "admin@dictamesh.local", "--superuser", "--force-update"],
            "env": {"CLICKHOUSE_PASSWORD": None, "REDIS_PASSWORD": None, "SENTRY_ADMIN_EMAIL": "admin@dictamesh.local"},
            "prompted": password,
        }
    ]
    script = container(stacks["dev"], topology.ADMIN_JOB).inputs["entrypoints"][-1]
    assert "cat " not in script  # `$(< file)` is bash's own: no process is started with the path either


def test_a_failed_createuser_fails_the_admin_job(stacks: dict[str, Recording], tmp_path: Path) -> None:
    code, _ = run(stacks["dev"], topology.ADMIN_JOB, tmp_path, fail_on="createuser")
    assert code != 0  # pipefail: the pipe's status is createuser's


def test_the_taskschedulers_probe_fails_when_its_process_stops_not_only_when_the_init_does(
    stacks: dict[str, Recording],
) -> None:
    """PID 1 of the container is the image's init: the probe looks at the scheduler's own process, by its
    arguments, as the recorded probe command runs it (python3 -c)."""
    probe = container(stacks["dev"], topology.TASKSCHEDULER.name).inputs["healthcheck"]["tests"][1:]
    assert probe[:2] == ["python3", "-c"]

    def healthy() -> bool:
        return subprocess.run([sys.executable, *probe[1:]], timeout=10, check=False).returncode == 0

    assert not healthy()  # no scheduler runs on this machine
    scheduler = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "run", "taskworker-scheduler"])
    try:
        deadline = time.monotonic() + 10
        while not healthy():
            assert time.monotonic() < deadline, "the probe never found the running scheduler"
            time.sleep(0.1)
        os.kill(scheduler.pid, signal.SIGSTOP)
        assert not healthy()  # stopped: state T
        os.kill(scheduler.pid, signal.SIGCONT)
        assert healthy()
    finally:
        scheduler.kill()
        scheduler.wait()
    assert not healthy()
