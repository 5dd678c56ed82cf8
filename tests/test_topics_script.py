"""The topic job's script against a fake `rpk` that records its calls."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from components.event_bus import files
from components.settings import Topic

MUTATIONS = {"create", "alter-config", "add-partitions", "delete"}
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
    tmp_path: Path, topics: list[Topic], state: dict[str, Any]
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    shutil.copy(Path(__file__).with_name("fake_rpk.py"), bin_dir / "rpk")
    (bin_dir / "rpk").chmod(0o755)
    script, spec, log, state_file = (tmp_path / name for name in ("topics.sh", "topics.tsv", "calls.log", "state.json"))
    script.write_text(files.topics_script())
    spec.write_text(files.topics_spec(topics))
    state_file.write_text(json.dumps(state))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "TOPICS_FILE": str(spec),
        "FAKE_RPK_STATE": str(state_file),
        "FAKE_RPK_LOG": str(log),
        "HEALTH_ATTEMPTS": "3",
        "HEALTH_INTERVAL": "0",
    }
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
