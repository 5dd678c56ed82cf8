"""The decommission job's script against a fake admin API and rpk: before any broker goes, the brokers that leave
are decommissioned one at a time until they hold no replica, or nothing is decommissioned and the job says why."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from secrets import token_hex
from typing import Any

from components.event_bus import files
from tests.fake_admin import FakeAdmin, brokers, serving

PASSWORD = token_hex(16)
FIVE = brokers([f"redpanda-{n}" for n in range(5)])
INTERNAL = {"__consumer_offsets": {"partitions": 16, "replicas": 3}}
TOPICS = {"orders": {"partitions": 6, "replicas": 3}}
NOWHERE = "http://redpanda-{}.invalid:9644"  # a broker with no container or pod: its name does not resolve


def decommission(
    tmp_path: Path, state: dict[str, Any], keep: int, env: dict[str, str] | None = None, resolvable: int | None = None
) -> tuple[subprocess.CompletedProcess[str], FakeAdmin, list[str]]:
    """Runs the job for a stack of `keep` brokers; the first `resolvable` of them answer at the fake admin API."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shutil.copy(Path(__file__).with_name("fake_rpk.py"), bin_dir / "rpk")
    (bin_dir / "rpk").chmod(0o755)
    script, state_file, journal = tmp_path / "decommission.sh", tmp_path / "state.json", tmp_path / "journal"
    script.write_text(files.script("decommission.sh"))
    state_file.write_text(json.dumps({"internal_topics": INTERNAL, "topics": TOPICS, **state}))
    resolvable = keep if resolvable is None else resolvable
    with serving(state_file, journal) as admin:
        urls = [admin.url if n < resolvable else NOWHERE.format(n) for n in range(keep)]
        result = subprocess.run(
            ["bash", str(script)],
            env={
                **os.environ,
                "PATH": f"{bin_dir}:{os.environ['PATH']}",
                "KEEP_HOSTS": " ".join(f"redpanda-{n}" for n in range(keep)),
                "ADMIN_URLS": ",".join(urls),
                "FAKE_RPK_STATE": str(state_file),
                "FAKE_RPK_LOG": str(tmp_path / "rpk.log"),
                "ATTEMPTS": "2",
                "INTERVAL": "0",
                **(env or {}),
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    return result, admin, journal.read_text().splitlines() if journal.exists() else []


def test_a_stack_with_no_broker_yet_has_nothing_to_decommission(tmp_path: Path) -> None:
    result, admin, _ = decommission(tmp_path, {}, keep=3, resolvable=0)
    assert result.returncode == 0 and "no broker runs yet" in result.stdout, result.stderr
    assert not admin.requests


def test_more_brokers_decommission_none(tmp_path: Path) -> None:
    """3 -> 5: the two new brokers do not run yet; the three that do all stay."""
    result, admin, _ = decommission(tmp_path, {"brokers": FIVE[:3]}, keep=5, resolvable=3)
    assert result.returncode == 0 and "every broker of the cluster stays" in result.stdout, result.stderr
    assert not admin.calls("PUT", r"/v1/brokers/\d+/decommission")


def test_leaving_brokers_are_decommissioned_one_at_a_time_until_they_hold_no_replica(tmp_path: Path) -> None:
    """5 -> 3: broker 3 gives up its replicas before broker 4 is asked to."""
    result, admin, journal = decommission(tmp_path, {"brokers": FIVE, "replicas": {"3": 2, "4": 1}}, keep=3)
    assert result.returncode == 0, result.stderr
    asked = [line for line in journal if "/decommission" in line]
    assert asked == [
        "PUT /v1/brokers/3/decommission",
        *["GET /v1/brokers/3/decommission"] * 3,  # 2 replicas left, 1, then finished
        "PUT /v1/brokers/4/decommission",
        *["GET /v1/brokers/4/decommission"] * 2,
    ]
    assert [b["internal_rpc_address"] for b in admin.state()["brokers"]] == ["redpanda-0", "redpanda-1", "redpanda-2"]
    assert "broker 4 is decommissioned: it holds no replica" in result.stdout


def test_a_cluster_too_small_for_its_topics_decommissions_nothing(tmp_path: Path) -> None:
    """3 -> 1 with topics of 3 replicas: decommissioning would never finish."""
    result, admin, _ = decommission(tmp_path, {"brokers": FIVE[:3]}, keep=1)
    assert result.returncode == 1
    assert "orders (3 replicas)" in result.stderr and "__consumer_offsets (3 replicas)" in result.stderr
    assert "replication.factor=1" in result.stderr and "nothing was decommissioned" in result.stderr
    assert not admin.calls("PUT", r"/v1/brokers/\d+/decommission")


def test_a_cluster_that_does_not_answer_is_not_shrunk(tmp_path: Path) -> None:
    with serving(tmp_path / "unused.json") as down:
        port = down.port  # a port nothing listens on once this closes
    result, _, _ = decommission(tmp_path, {"brokers": FIVE}, keep=3, env={"ADMIN_URLS": f"http://127.0.0.1:{port}"})
    assert result.returncode == 1 and "a broker is decommissioned only by a running cluster" in result.stderr


def test_during_a_rotation_it_logs_in_with_the_password_the_cluster_still_holds(tmp_path: Path) -> None:
    state = {
        "brokers": FIVE,
        "users": {"admin": "before-the-rotation"},
        "superusers": ["admin"],
        "admin_api_require_auth": True,
        "enable_sasl": True,
    }
    (tmp_path / "password").write_text(PASSWORD)
    (tmp_path / "previous").write_text("before-the-rotation")
    login = {"RPK_USER": "admin", "RPK_PASS_FILE": str(tmp_path / "password")}
    result, admin, _ = decommission(
        tmp_path, state, keep=3, env={**login, "PREVIOUS_PASS_FILE": str(tmp_path / "previous")}
    )
    assert result.returncode == 0, result.stderr
    assert {r.user for r in admin.calls("PUT", r"/v1/brokers/\d+/decommission")} == {"admin"}


def test_a_login_the_cluster_refuses_fails_at_once(tmp_path: Path) -> None:
    state = {"brokers": FIVE, "users": {"admin": "another"}, "superusers": ["admin"], "admin_api_require_auth": True}
    (tmp_path / "password").write_text(PASSWORD)
    result, admin, _ = decommission(
        tmp_path, state, keep=3, env={"RPK_USER": "admin", "RPK_PASS_FILE": str(tmp_path / "password")}
    )
    assert result.returncode == 1 and "refuses the stack's superuser login" in result.stderr
    assert len(admin.requests) == 1
