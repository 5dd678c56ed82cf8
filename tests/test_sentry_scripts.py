"""The bootstrap jobs' shell scripts, as generated, run by bash against fake tools that record their calls.

The scripts' files (topics list, secret files) are taken from the dev stack's containers and placed
under a temporary root; only those paths change.
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from components.sentry import topology
from tests.harness import Recording
from tests.sentry import container, uploads
from tests.sentry import env as job_env

# a stand-in for kafka-topics, snuba or sentry: appends its arguments and the secrets it sees, fails on demand
FAKE = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["CALLS"], "a") as log:
    seen = {k: os.environ.get(k) for k in ("CLICKHOUSE_PASSWORD", "REDIS_PASSWORD", "SENTRY_ADMIN_EMAIL")}
    log.write(json.dumps({"tool": os.path.basename(sys.argv[0]), "args": sys.argv[1:], "env": seen}) + "\\n")
sys.exit(1 if os.environ.get("FAIL_ON") and os.environ["FAIL_ON"] in sys.argv else 0)
"""


def run(recording: Recording, job: str, root: Path, fail_on: str = "") -> tuple[int, list[dict[str, Any]]]:
    """Runs the job's `bash -c` script with its files under `root` and fake tools first on PATH."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("kafka-topics", "snuba", "sentry"):
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
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    lines = calls.read_text().splitlines() if calls.exists() else []
    return done.returncode, [json.loads(line) for line in lines]


def test_the_topics_job_creates_every_topic_only_if_missing(stacks: dict[str, Recording], tmp_path: Path) -> None:
    code, calls = run(stacks["dev"], topology.TOPICS_JOB, tmp_path)
    assert code == 0
    assert [c["args"][c["args"].index("--topic") + 1] for c in calls] == list(topology.TOPICS)
    for call in calls:
        assert {"--create", "--if-not-exists"} <= set(call["args"])
        assert call["args"][call["args"].index("--bootstrap-server") + 1] == "sentry-kafka:9092"


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


def test_the_admin_is_created_or_reset_with_the_generated_password(
    stacks: dict[str, Recording], tmp_path: Path
) -> None:
    code, calls = run(stacks["dev"], topology.ADMIN_JOB, tmp_path)
    assert code == 0
    password = uploads(stacks["dev"], topology.ADMIN_JOB)["/run/secrets/dictamesh/admin-password"]
    assert calls == [
        {
            "tool": "sentry",
            "args": [
                "createuser",
                "--email",
                "admin@dictamesh.local",
                "--password",
                password,
                "--superuser",
                "--no-input",
                "--force-update",
            ],
            "env": {"CLICKHOUSE_PASSWORD": None, "REDIS_PASSWORD": None, "SENTRY_ADMIN_EMAIL": "admin@dictamesh.local"},
        }
    ]
