"""The broker's start script (broker.sh) against a fake admin API: it drains the broker before it stops, leaves
maintenance mode once ready, and starts again from a read-only copy of its config."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from secrets import token_hex
from typing import Any

import pytest

from components.event_bus import files
from tests.fake_admin import FakeAdmin, brokers, serving
from tests.servers import write

PASSWORD = token_hex(16)
# a broker that runs until SIGTERM, writing when it starts and stops into the journal the fake admin API keeps
FAKE_BROKER = """#!/bin/bash
echo "started $*" >> "$JOURNAL"
trap 'echo stopped >> "$JOURNAL"; exit 0' TERM
while true; do sleep 0.05; done
"""


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A scratch folder another user can enter (pytest's own sit under a 0700 folder of root's)."""
    folder = Path(tempfile.mkdtemp())
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def until(check: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


class Broker:
    """broker.sh with its config paths moved under `root`, a fake broker as rpk, curl behind a logging shim."""

    def __init__(self, root: Path, admin_url: str, env: dict[str, str]) -> None:
        self.journal = root / "journal"
        base, config_dir = root / "dictamesh" / "redpanda.yaml", root / "redpanda"
        write(base, "redpanda: {}\n")
        config_dir.mkdir()
        script = (
            files.script("broker.sh").replace(files.BASE_CONFIG, str(base)).replace(files.CONFIG_DIR, str(config_dir))
        )
        write(root / "broker.sh", script)
        write(root / "bin" / "rpk", FAKE_BROKER).chmod(0o755)
        curl = shutil.which("curl")
        self.curl_log = root / "curl.log"
        write(root / "bin" / "curl", f'#!/bin/sh\nprintf "%s\\n" "$*" >> {self.curl_log}\nexec {curl} "$@"\n').chmod(
            0o755
        )
        self.process = subprocess.Popen(
            ["bash", str(root / "broker.sh"), "redpanda", "start"],
            env={
                "PATH": f"{root / 'bin'}:/usr/bin:/bin",
                "JOURNAL": str(self.journal),
                "ADMIN_URL": admin_url,
                "DRAIN_SECONDS": "3",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: an unfinished test ends the fake broker too
        )

    def lines(self) -> list[str]:
        return self.journal.read_text().splitlines() if self.journal.exists() else []

    def catches_term(self) -> bool:
        """Whether broker.sh has set its trap: it starts the broker first, so a SIGTERM in between ends it
        undrained, as the kernel's default action (found when a busy machine signalled inside that gap)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        caught = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
        return bool(int(caught, 16) & (1 << (signal.SIGTERM - 1)))

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        return self.ended()

    def ended(self) -> tuple[int, str]:
        output, _ = self.process.communicate(timeout=20)
        return self.process.returncode, output


@contextmanager
def run(tmp_path: Path, state: dict[str, Any], env: dict[str, str] | None = None) -> Iterator[tuple[Broker, FakeAdmin]]:
    state_file = tmp_path / "state.json"
    state_file.write_text(json.dumps({"node_id": 1, **state}))
    with serving(state_file, journal=tmp_path / "journal") as admin:
        broker = Broker(tmp_path, admin.url, env or {})
        try:
            until(lambda: any(line.startswith("started redpanda start") for line in broker.lines()))
            until(broker.catches_term)
            yield broker, admin
        finally:
            if broker.process.poll() is None:
                os.killpg(broker.process.pid, signal.SIGKILL)
            broker.process.communicate()


THREE = brokers(["redpanda-0", "redpanda-1", "redpanda-2"])


def test_a_broker_moves_its_leadership_away_before_it_stops(tmp_path: Path) -> None:
    with run(tmp_path, {"brokers": THREE, "drain_polls": 2}) as (broker, admin):
        until(lambda: bool(admin.calls("DELETE", "/v1/brokers/1/maintenance")))  # left on a start, once ready
        code, output = broker.stop()
        assert code == 0, output
        lines = broker.lines()
        drain = lines.index("PUT /v1/brokers/1/maintenance")
        assert lines[drain + 1 : drain + 4] == ["GET /v1/maintenance"] * 3  # until the drain has finished
        assert lines[-1] == "stopped" and lines.index("stopped") > drain + 3
        assert "drain: broker 1 moved its leadership to the others" in output


def test_a_cluster_of_fewer_than_three_stops_at_once(tmp_path: Path) -> None:
    with run(tmp_path, {"brokers": brokers(["redpanda-0"]), "node_id": 0}) as (broker, admin):
        code, output = broker.stop()
        assert code == 0 and "nowhere to move leadership to" in output
        assert not admin.calls("PUT", r"/v1/brokers/\d+/maintenance")


def test_a_broker_waits_its_turn_for_maintenance_within_its_budget(tmp_path: Path) -> None:
    """One broker at a time may drain: the second one retries, and stops when its budget is spent."""
    with run(tmp_path, {"brokers": THREE, "maintenance": 0}) as (broker, admin):
        started = time.monotonic()
        code, output = broker.stop()
        assert code == 0 and "could not enter maintenance mode (HTTP 400) in time" in output
        # DRAIN_SECONDS is 3, counted by bash's SECONDS in whole seconds: it runs out after 2 to 3 s of real time
        assert 2 <= time.monotonic() - started < 10
        assert len(admin.calls("PUT", "/v1/brokers/1/maintenance")) > 1


def test_a_restarted_broker_leaves_maintenance_once_it_is_ready(tmp_path: Path) -> None:
    with run(tmp_path, {"brokers": THREE, "maintenance": 1, "status": "booting"}) as (_broker, admin):
        time.sleep(1)
        assert not admin.calls("DELETE", "/v1/brokers/1/maintenance")  # not while it catches up
        admin.update(status="ready")
        until(lambda: admin.state()["maintenance"] is None)


def test_a_broker_still_starting_when_it_is_stopped_stays_in_maintenance_through_its_drain(tmp_path: Path) -> None:
    """The start's wait to leave maintenance ends before the drain: the cluster turning healthy mid-drain made it
    take the broker out of maintenance, and the drain never finished (first seen as a flaky CI run)."""
    with run(tmp_path, {"brokers": THREE, "healthy": False, "drain_polls": 3}, {"DRAIN_SECONDS": "10"}) as (
        broker,
        admin,
    ):
        until(lambda: bool(admin.calls("GET", "/v1/cluster/health_overview")))  # waiting for a healthy cluster
        broker.process.send_signal(signal.SIGTERM)
        until(lambda: bool(admin.calls("PUT", "/v1/brokers/1/maintenance")))
        admin.update(healthy=True)
        code, output = broker.ended()
        assert code == 0 and "moved its leadership" in output, output
        assert not admin.calls("DELETE", "/v1/brokers/1/maintenance")


def test_under_sasl_the_drain_logs_in_without_a_password_on_any_command_line(tmp_path: Path) -> None:
    state = {
        "brokers": THREE,
        "users": {"admin": PASSWORD},
        "superusers": ["admin"],
        "admin_api_require_auth": True,
    }
    with run(tmp_path, state, {"RP_BOOTSTRAP_USER": f"admin:{PASSWORD}"}) as (broker, admin):
        code, output = broker.stop()
        assert code == 0 and "moved its leadership" in output, output
        assert {r.user for r in admin.calls("PUT", r"/v1/brokers/\d+/maintenance")} == {"admin"}
        assert PASSWORD not in broker.curl_log.read_text()


def test_a_login_the_cluster_refuses_stops_the_broker_undrained(tmp_path: Path) -> None:
    """A broker started before a rotation holds the old password until its restart."""
    state = {"brokers": THREE, "users": {"admin": "rotated"}, "superusers": ["admin"], "admin_api_require_auth": True}
    with run(tmp_path, state, {"RP_BOOTSTRAP_USER": f"admin:{PASSWORD}"}) as (broker, _admin):
        code, output = broker.stop()
        assert code == 0 and "stopping without a drain" in output
        assert broker.lines()[-1] == "stopped"


def test_a_restarted_broker_starts_again_from_its_read_only_copy(open_tmp: Path) -> None:
    """The copy into place, run twice as a user without privileges (as the container restarts): the first
    copy is read-only (the mounted file's 0444, which rpk keeps when it rewrites it), and a plain `cp` could
    not replace it, so the restarted broker looped on "Permission denied" (found by make e2e's dev stage,
    after make dev-down and dev-up)."""
    base, config_dir = open_tmp / "dictamesh" / "redpanda.yaml", open_tmp / "redpanda"
    write(base, "redpanda: {}\n").chmod(0o444)
    config_dir.mkdir()
    fake_rpk = write(open_tmp / "bin" / "rpk", '#!/bin/sh\necho started "$@"\n')
    fake_rpk.chmod(0o755)
    script = write(
        open_tmp / "broker.sh",
        files.script("broker.sh").replace(files.BASE_CONFIG, str(base)).replace(files.CONFIG_DIR, str(config_dir)),
    )
    script.chmod(0o755)
    nobody = os.stat(open_tmp).st_uid if os.geteuid() else 65534
    os.chown(config_dir, nobody, nobody)
    for start in (1, 2):
        run_ = subprocess.run(
            [*as_user(nobody), "bash", str(script), "redpanda", "start"],
            env={"PATH": f"{fake_rpk.parent}:/usr/bin:/bin", "ADMIN_URL": "http://127.0.0.1:9"},
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        assert run_.returncode == 0 and run_.stdout.startswith("started redpanda start\n"), (start, run_.stderr)
    assert (config_dir / "redpanda.yaml").stat().st_mode & 0o777 == 0o444


def as_user(uid: int) -> list[str]:
    """setpriv to `uid` when the tests run as root, who would override the file's mode."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if os.geteuid() == 0 else []


def test_a_restarted_broker_stays_in_maintenance_while_the_cluster_is_unhealthy(tmp_path: Path) -> None:
    """Its replicas catch up first: leadership comes back to it only once no partition lags."""
    with run(tmp_path, {"brokers": THREE, "maintenance": 1, "healthy": False}) as (_broker, admin):
        until(lambda: len(admin.calls("GET", "/v1/cluster/health_overview")) >= 2)
        assert not admin.calls("DELETE", "/v1/brokers/1/maintenance")
        admin.update(healthy=True)
        until(lambda: admin.state()["maintenance"] is None)
