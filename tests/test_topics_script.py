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

MUTATIONS = {"create", "alter-config", "add-partitions", "delete"}
SASL_PASSWORD = token_hex(16)
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


def converge(
    tmp_path: Path, topics: list[Topic], state: dict[str, Any], settings: EventBusSettings | None = None
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shutil.copy(Path(__file__).with_name("fake_rpk.py"), bin_dir / "rpk")
    (bin_dir / "rpk").chmod(0o755)
    names = ("topics.sh", "topics.tsv", "cluster.tsv", "calls.log", "state.json")
    script, spec, cluster, log, state_file = (tmp_path / name for name in names)
    script.write_text(files.topics_script())
    spec.write_text(files.topics_spec(topics))
    settings = settings or EventBusSettings(dev_container=False)
    cluster.write_text(files.cluster_properties(settings))
    state_file.write_text(json.dumps(state))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "TOPICS_FILE": str(spec),
        "CLUSTER_FILE": str(cluster),
        "FAKE_RPK_STATE": str(state_file),
        "FAKE_RPK_LOG": str(log),
        "HEALTH_ATTEMPTS": "3",
        "HEALTH_INTERVAL": "0",
    }
    if settings.sasl:
        env |= {"RPK_USER": "admin", "RPK_PASS_FILE": str(tmp_path / "sasl-password")}
        (tmp_path / "sasl-password").write_text(SASL_PASSWORD)
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, check=False)
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def mutations(calls: list[list[str]]) -> list[list[str]]:
    return [call for call in calls if call[0] == "topic" and call[1] in MUTATIONS]


def test_an_unchanged_topic_list_changes_nothing(tmp_path: Path) -> None:
    result, calls = converge(tmp_path, [ORDERS, LINEAGE], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == []
    assert ["topic", "list"] in calls


def test_a_new_topic_is_created_once_with_its_configs(tmp_path: Path) -> None:
    events = Topic(name="entity-events", partitions=12, replicas=3, config={"max.message.bytes": "2097152"})
    result, calls = converge(tmp_path, [ORDERS, LINEAGE, events], {"topics": EXISTING})
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
    result, calls = converge(tmp_path, [changed, LINEAGE], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "alter-config", "orders", "--set", "retention.ms=86400000"]]


def test_more_partitions_are_added_and_fewer_are_refused_with_a_warning(tmp_path: Path) -> None:
    grown = ORDERS.model_copy(update={"partitions": 8})
    shrunk = LINEAGE.model_copy(update={"partitions": 1})
    result, calls = converge(tmp_path, [grown, shrunk], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "add-partitions", "orders", "--num", "2"]]
    assert "lineage keeps its 3 partitions" in result.stderr


def test_a_changed_replication_factor_is_altered(tmp_path: Path) -> None:
    result, calls = converge(tmp_path, [ORDERS, LINEAGE.model_copy(update={"replicas": 1})], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "alter-config", "lineage", "--set", "replication.factor=1"]]


def test_topics_are_deleted_only_when_marked(tmp_path: Path) -> None:
    doomed = Topic(name="legacy", partitions=1, replicas=1, delete=True)
    gone = Topic(name="never-was", partitions=1, replicas=1, delete=True)
    result, calls = converge(tmp_path, [ORDERS, doomed, gone], {"topics": EXISTING})
    assert result.returncode == 0, result.stderr
    assert mutations(calls) == [["topic", "delete", "legacy"]]  # lineage, left out of the spec, is kept


def test_an_unhealthy_cluster_fails_the_job_before_any_change(tmp_path: Path) -> None:
    result, calls = converge(tmp_path, [ORDERS], {"topics": {}, "healthy": False})
    assert result.returncode == 1
    assert "not healthy after 3 checks" in result.stderr
    assert mutations(calls) == [] and calls.count(["cluster", "health"]) == 3


def test_sasl_turned_on_for_a_running_cluster_makes_the_user_before_enabling_it(tmp_path: Path) -> None:
    """RP_BOOTSTRAP_USER and .bootstrap.yaml act only when a cluster is founded: the job converges later."""
    result, calls = converge(tmp_path, [ORDERS], {"topics": EXISTING}, SASL)
    assert result.returncode == 0, result.stderr
    changes = [call for call in calls if call[0] in ("security", "cluster") and call[1] != "health"]
    assert changes == [
        ["security", "user", "create", "admin", "--password", SASL_PASSWORD, "--mechanism", "SCRAM-SHA-256"],
        ["cluster", "config", "set", "default_topic_replications", "3"],
        ["cluster", "config", "set", "enable_sasl", "true"],
        ["cluster", "config", "set", "superusers", "[admin]"],
        ["cluster", "config", "set", "admin_api_require_auth", "true"],
    ]
    assert calls.index(changes[-1]) < calls.index(["topic", "list"])  # before the Kafka API is used


def test_an_existing_superuser_gets_the_stacks_password(tmp_path: Path) -> None:
    state = {"topics": EXISTING, "users": {"admin": SASL_PASSWORD}, "admin_api_require_auth": True}
    result, calls = converge(tmp_path, [ORDERS], state, SASL)
    assert result.returncode == 0, result.stderr
    assert [
        "security",
        "user",
        "update",
        "admin",
        "--new-password",
        SASL_PASSWORD,
        "--mechanism",
        "SCRAM-SHA-256",
    ] in calls


def test_a_replaced_password_the_cluster_never_got_fails_with_the_way_out(tmp_path: Path) -> None:
    state = {"topics": EXISTING, "users": {"admin": "the-founding-password"}, "admin_api_require_auth": True}
    result, calls = converge(tmp_path, [ORDERS], state, SASL)
    assert result.returncode == 1
    assert "docs/runbook.md ('Rotating a generated secret')" in result.stderr
    assert not [call for call in calls if call[:3] == ["cluster", "config", "set"]] and not mutations(calls)


def test_dev_container_properties_reach_a_running_dev_cluster(tmp_path: Path) -> None:
    result, calls = converge(tmp_path, [ORDERS], {"topics": EXISTING}, EventBusSettings())
    assert result.returncode == 0, result.stderr
    assert ["cluster", "config", "set", "storage_min_free_bytes", "10485760"] in calls
    assert not [call for call in calls if call[0] == "security"]


def test_sasl_turned_off_for_a_cluster_that_keeps_it_fails_saying_so(tmp_path: Path) -> None:
    state = {"topics": EXISTING, "users": {"admin": SASL_PASSWORD}, "admin_api_require_auth": True}
    result, calls = converge(tmp_path, [ORDERS], state, EventBusSettings(dev_container=False))
    assert result.returncode == 1
    assert "turning SASL off is not converged (docs/configuration.md, eventBus.sasl)" in result.stderr
    assert not mutations(calls)
