"""The topic job's script against a fake `rpk` that records its calls."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from secrets import token_hex
from typing import Any

from components.event_bus import files
from components.event_bus.settings import EventBusSettings, Topic
from tests.fake_admin import FakeAdmin, brokers, serving

MUTATIONS = {"create", "alter-config", "add-partitions", "delete"}
SASL_PASSWORD, CONSOLE_PASSWORD = token_hex(16), token_hex(16)
SASL = EventBusSettings(dev_container=False, sasl=True)
ORDERS = Topic(
    name="orders", partitions=6, replicas=3, config={"retention.ms": "604800000", "cleanup.policy": "delete"}
)
LINEAGE = Topic(name="lineage", partitions=3, replicas=3, config={"cleanup.policy": "compact"})
EXISTING = {
    "orders": {"partitions": 6, "replicas": 3, "config": {"retention.ms": "604800000", "cleanup.policy": "delete"}},
    "lineage": {"partitions": 3, "replicas": 3, "config": {"cleanup.policy": "compact"}},
    "legacy": {"partitions": 1, "replicas": 1, "config": {}},
}


def tools(bin_dir: Path) -> None:
    """The fake rpk, and curl behind a shim that logs its command lines."""
    bin_dir.mkdir(exist_ok=True)
    shutil.copy(Path(__file__).with_name("fake_rpk.py"), bin_dir / "rpk")
    curl = shutil.which("curl")
    assert curl, "curl is not installed"
    (bin_dir / "curl").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "$CURL_LOG"\nexec {curl} "$@"\n')
    for tool in ("rpk", "curl"):
        (bin_dir / tool).chmod(0o755)


def converge(
    tmp_path: Path,
    topics: list[Topic],
    state: dict[str, Any],
    settings: EventBusSettings | None = None,
    previous: str | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[list[str]], FakeAdmin]:
    """Runs the job against a fake admin API and rpk that share `state`; `previous`: the password the stack
    had before the current one (a rotation), as the job finds it beside the current one."""
    tools(tmp_path / "bin")
    names = ("topics.sh", "topics.tsv", "cluster.tsv", "calls.log", "state.json", "curl.log")
    script, spec, cluster, log, state_file, curl_log = (tmp_path / name for name in names)
    script.write_text(files.script("topics.sh"))
    spec.write_text(files.topics_spec(topics))
    settings = settings or EventBusSettings(dev_container=False)
    cluster.write_text(files.cluster_properties(settings))
    state_file.write_text(json.dumps({"brokers": brokers(["redpanda-0"]), **state}))
    with serving(state_file) as admin:
        env = {
            **os.environ,
            "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
            "TOPICS_FILE": str(spec),
            "CLUSTER_FILE": str(cluster),
            "RPK_ADMIN_HOSTS": f"127.0.0.1:{admin.port}",
            "FAKE_RPK_STATE": str(state_file),
            "FAKE_RPK_LOG": str(log),
            "CURL_LOG": str(curl_log),
            "HEALTH_ATTEMPTS": "3",
            "HEALTH_INTERVAL": "0",
        }
        if settings.sasl:  # as the component sets the job up under SASL: the Console's user comes with it
            env |= {
                "RPK_USER": "admin",
                "RPK_PASS_FILE": str(tmp_path / "sasl-password"),
                "CONSOLE_USER": files.CONSOLE_USER,
                "CONSOLE_PASS_FILE": str(tmp_path / "console-password"),
                "CONSOLE_ACLS_FILE": str(tmp_path / "console-acls.tsv"),
            }
            (tmp_path / "sasl-password").write_text(SASL_PASSWORD)
            (tmp_path / "console-password").write_text(CONSOLE_PASSWORD)
            (tmp_path / "console-acls.tsv").write_text(files.console_acls())
            if previous:
                env["PREVIOUS_PASS_FILE"] = str(tmp_path / "previous-password")
                (tmp_path / "previous-password").write_text(previous)
        result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=False)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    command_lines = [*map(str, calls), *(curl_log.read_text().splitlines() if curl_log.exists() else [])]
    secrets = [SASL_PASSWORD, CONSOLE_PASSWORD, *([previous] if previous else [])]
    assert not [line for line in command_lines if any(secret in line for secret in secrets)]
    return result, calls, admin


def mutations(calls: list[list[str]]) -> list[list[str]]:
    return [call for call in calls if call[0] == "topic" and call[1] in MUTATIONS]


def test_an_unchanged_topic_list_changes_nothing(tmp_path: Path) -> None:
    result, calls, _admin = converge(tmp_path, [ORDERS, LINEAGE], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == []
    assert ["topic", "list"] in calls


def test_a_new_topic_is_created_once_with_its_configs(tmp_path: Path) -> None:
    events = Topic(name="entity-events", partitions=12, replicas=3, config={"max.message.bytes": "2097152"})
    result, calls, _admin = converge(tmp_path, [ORDERS, LINEAGE, events], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [
        [
            "topic",
            "create",
            "entity-events",
            "--partitions",
            "12",
            "--replicas",
            "3",
            "--topic-config",
            "max.message.bytes=2097152",
        ]
    ]


def test_a_changed_retention_is_one_alter(tmp_path: Path) -> None:
    changed = ORDERS.model_copy(update={"config": {**ORDERS.config, "retention.ms": "86400000"}})
    result, calls, _admin = converge(tmp_path, [changed, LINEAGE], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "alter-config", "orders", "--set", "retention.ms=86400000", "--no-confirm"]]


def test_more_partitions_are_added_and_fewer_are_refused_with_a_warning(tmp_path: Path) -> None:
    grown = ORDERS.model_copy(update={"partitions": 8})
    shrunk = LINEAGE.model_copy(update={"partitions": 1})
    result, calls, _admin = converge(tmp_path, [grown, shrunk], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "add-partitions", "orders", "--num", "2"]]
    assert "lineage keeps its 3 partitions" in result.stderr


def test_a_changed_replication_factor_is_altered(tmp_path: Path) -> None:
    result, calls, _admin = converge(
        tmp_path, [ORDERS, LINEAGE.model_copy(update={"replicas": 1})], {"topics": EXISTING}
    )
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "alter-config", "lineage", "--set", "replication.factor=1", "--no-confirm"]]


def test_topics_are_deleted_only_when_marked(tmp_path: Path) -> None:
    doomed = Topic(name="legacy", partitions=1, replicas=1, delete=True)
    gone = Topic(name="never-was", partitions=1, replicas=1, delete=True)
    result, calls, _admin = converge(tmp_path, [ORDERS, doomed, gone], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "delete", "legacy"]]  # lineage, left out of the spec, is kept


def test_an_unhealthy_cluster_fails_the_job_before_any_change(tmp_path: Path) -> None:
    result, calls, admin = converge(tmp_path, [ORDERS], {"topics": {}, "healthy": False})
    assert result.returncode == 1
    assert "not healthy after 3 checks" in result.stderr
    assert mutations(calls) == [] and len(admin.calls("GET", "/v1/cluster/health_overview")) == 3


def test_sasl_turned_on_for_a_running_cluster_makes_the_user_before_enabling_it(tmp_path: Path) -> None:
    """RP_BOOTSTRAP_USER and .bootstrap.yaml act only when a cluster is founded: the job converges later."""
    result, calls, admin = converge(tmp_path, [ORDERS], {"topics": EXISTING}, SASL)
    assert result.returncode == 0, result.stderr
    created = admin.calls("POST", "/v1/security/users")
    assert [c.body for c in created] == [
        {"username": "admin", "password": SASL_PASSWORD, "algorithm": "SCRAM-SHA-256"},
        {"username": files.CONSOLE_USER, "password": CONSOLE_PASSWORD, "algorithm": "SCRAM-SHA-256"},
    ]
    changes = [call for call in calls if call[:3] == ["cluster", "config", "set"]]
    assert changes == [
        ["cluster", "config", "set", "default_topic_replications", "3", "--no-confirm"],
        ["cluster", "config", "set", "enable_sasl", "true", "--no-confirm"],
        ["cluster", "config", "set", "superusers", "[admin]", "--no-confirm"],
        ["cluster", "config", "set", "admin_api_require_auth", "true", "--no-confirm"],
    ]
    assert calls.index(changes[-1]) < calls.index(["topic", "list"])  # before the Kafka API is used
    assert admin.state()["admin_api_require_auth"] is True
    # the Console's grants, once the Kafka API asks for a login: what its pages need, never the cluster's ALTER
    granted = [call for call in calls if call[:3] == ["security", "acl", "create"]]
    assert calls.index(changes[1]) < calls.index(granted[0])
    assert admin.state()["acls"] == [
        ["--allow-principal", "User:dictamesh_console", "--operation", ops, f"--{kind}", *([name] if name else [])]
        for kind, name, ops in files.CONSOLE_ACLS
    ]
    assert not [acl for acl in admin.state()["acls"] if "--cluster" in acl and "alter" in acl[3].split(",")]


def test_an_existing_superuser_gets_the_stacks_password(tmp_path: Path) -> None:
    state = {
        "topics": EXISTING,
        "users": {"admin": SASL_PASSWORD},
        "superusers": ["admin"],
        "admin_api_require_auth": True,
        "enable_sasl": True,
    }
    result, _calls, admin = converge(tmp_path, [ORDERS], state, SASL)
    assert result.returncode == 0, result.stderr
    assert admin.state()["users"] == {"admin": SASL_PASSWORD, files.CONSOLE_USER: CONSOLE_PASSWORD}
    assert {r.user for r in admin.requests} == {"admin"}


def test_superusers_added_by_hand_are_kept(tmp_path: Path) -> None:
    state = {
        "topics": EXISTING,
        "users": {"admin": SASL_PASSWORD, "alice": "hers"},
        "superusers": ["alice", "admin"],
        "admin_api_require_auth": True,
        "enable_sasl": True,
    }
    result, calls, admin = converge(tmp_path, [ORDERS], state, SASL)
    assert result.returncode == 0, result.stderr
    assert ["cluster", "config", "set", "superusers", "[alice,admin]", "--no-confirm"] in calls
    assert admin.state()["superusers"] == ["alice", "admin"]


def test_a_rotated_password_converges_with_the_one_the_cluster_still_holds(tmp_path: Path) -> None:
    """The cluster keeps the password it had until the job sets the new one: no broker restarts for it."""
    state = {
        "topics": EXISTING,
        "users": {"admin": "the-password-before"},
        "superusers": ["admin"],
        "admin_api_require_auth": True,
        "enable_sasl": True,
    }
    result, calls, admin = converge(tmp_path, [ORDERS], state, SASL, previous="the-password-before")
    assert result.returncode == 0, result.stderr
    assert admin.state()["users"]["admin"] == SASL_PASSWORD
    updated = admin.calls("PUT", "/v1/security/users/admin")
    assert [c.body["password"] for c in updated] == [SASL_PASSWORD]
    assert ["topic", "list"] in calls  # with the new password: the fake refuses any other


def test_a_password_the_cluster_never_got_fails_at_once_with_the_way_out(tmp_path: Path) -> None:
    """A refused login cannot heal by waiting: one look, not five minutes of them."""
    state = {
        "topics": EXISTING,
        "users": {"admin": "the-founding-password"},
        "superusers": ["admin"],
        "admin_api_require_auth": True,
    }
    result, calls, admin = converge(tmp_path, [ORDERS], state, SASL, previous="not-that-one-either")
    assert result.returncode == 1
    assert "docs/runbook.md ('Rotating a generated secret')" in result.stderr
    assert len(admin.calls("GET", "/v1/cluster/health_overview")) == 2  # the stack's password, then the one before
    assert not [call for call in calls if call[:3] == ["cluster", "config", "set"]] and not mutations(calls)


def test_dev_container_properties_reach_a_running_dev_cluster(tmp_path: Path) -> None:
    result, calls, admin = converge(tmp_path, [ORDERS], {"topics": EXISTING}, EventBusSettings())
    assert result.returncode == 0, result.stderr
    assert ["cluster", "config", "set", "storage_min_free_bytes", "10485760", "--no-confirm"] in calls
    assert not admin.calls("POST", "/v1/security/users")


def test_sasl_turned_off_for_a_cluster_that_keeps_it_fails_saying_so(tmp_path: Path) -> None:
    state = {"topics": EXISTING, "users": {"admin": SASL_PASSWORD}, "admin_api_require_auth": True}
    result, calls, _admin = converge(tmp_path, [ORDERS], state, EventBusSettings(dev_container=False))
    assert result.returncode == 1
    assert "turning SASL off is not converged (docs/configuration.md, eventBus.sasl)" in result.stderr
    assert not mutations(calls)
