"""Bad stack config fails before any resource exists, with one message naming key, value and what is allowed."""

import json
import re

import pytest

from components.config import ConfigError, load_settings, parse
from components.settings import Settings
from tests.harness import Recording, run_program, run_stack

BAD_CONFIG = [
    # (stack, overrides, words the message must contain)
    ("dev", {"dictamesh:target": "podman"}, ["dictamesh:target = 'podman'", "'docker' or 'kubernetes'"]),
    ("dev", {"dictamesh:catalogue": {"storage": "1Gi"}}, ["dictamesh:catalogue", "unknown key", "catalog"]),
    ("dev", {"dictamesh:eventBus": {"brokers": 0}}, ["dictamesh:eventBus.brokers = 0", "greater than or equal to 1"]),
    ("prod", {"dictamesh:eventBus": {"brokers": 2}}, ["dictamesh:eventBus.brokers = 2", "at least 3 brokers"]),
    ("prod", {"dictamesh:eventBus": {"devContainer": True}}, ["eventBus.devContainer = True", "refused in prod"]),
    (
        "dev",
        {"dictamesh:eventBus": {"topics": [{"name": "orders", "replicas": 2}]}},
        ["dictamesh:eventBus.topics[0].replicas = 2", "must be odd"],
    ),
    (
        "dev",
        {"dictamesh:eventBus": {"brokers": 1, "topics": [{"name": "orders", "replicas": 3}]}},
        ["topics[0].replicas = 3", "more than the 1 brokers"],
    ),
    (
        "dev",
        {"dictamesh:eventBus": {"topics": [{"name": "orders", "partitons": 3}]}},
        ["dictamesh:eventBus.topics[0].partitons", "unknown key", "partitions"],
    ),
    ("dev", {"dictamesh:cache": {"maxmemory": "512MB"}}, ["dictamesh:cache.maxmemory = '512MB'", "kb, mb or gb"]),
    ("dev", {"dictamesh:cache": {"maxmemory": "1gb"}}, ["dictamesh:cache.maxmemory = '1gb'", "below resources.memory"]),
    (
        "dev",
        {"dictamesh:cache": {"maxmemoryPolicy": "lru"}},
        ["dictamesh:cache.maxmemoryPolicy = 'lru'", "'allkeys-lru'"],
    ),
    (
        "dev",
        {"dictamesh:catalog": {"image": "postgres"}},
        ["dictamesh:catalog.image = 'postgres'", "no tag: pin a version tag or a digest"],
    ),
    (
        "dev",
        {"dictamesh:catalog": {"image": "pgvector/pgvector:latest"}},
        ["dictamesh:catalog.image", "uses 'latest': pin a version tag"],
    ),
    (
        "dev",
        {"dictamesh:catalog": {"resources": {"memory": "lots"}}},
        ["dictamesh:catalog.resources.memory = 'lots'", "512Mi"],
    ),
    ("dev", {"dictamesh:catalog": {"resources": {"cpu": "-1"}}}, ["dictamesh:catalog.resources.cpu = '-1'", "250m"]),
    (
        "dev",
        {"dictamesh:catalog": {"tuning": {"sharedBuffers": "1GB"}}},
        ["dictamesh:catalog.tuning.sharedBuffers = '1GB'", "half of resources.memory 320Mi"],
    ),
    (
        "dev",
        {"dictamesh:catalog": {"tuning": {"workMem": "16 megs"}}},
        ["dictamesh:catalog.tuning.workMem = '16 megs'", "kB, MB, GB or TB"],
    ),
    ("dev", {"dictamesh:catalog": {"hostPort": 6379}}, ["dictamesh:cache.hostPort = 6379", "catalog.hostPort"]),
    (
        "dev",
        {"dictamesh:catalog": {"hostPort": 80}},
        ["dictamesh:catalog.hostPort = 80", "greater than or equal to 1024"],
    ),
    ("dev", {"dictamesh:catalog": {"backup": {"enabled": True}}}, ["catalog.backup.enabled = True", "kubernetes"]),
    (
        "staging",
        {"dictamesh:catalog": {"appUser": "postgres"}},
        ["dictamesh:catalog.appUser = 'postgres'", "taken by the catalog's own postgres"],
    ),
    (
        "staging",
        {"dictamesh:catalog": {"appUser": "dictamesh_monitor"}},
        ["dictamesh:catalog.appUser = 'dictamesh_monitor'", "choose another name"],
    ),
    (
        "prod",
        {"dictamesh:catalog": {"appUser": "dictamesh_backup"}},
        ["dictamesh:catalog.appUser = 'dictamesh_backup'", "choose another name"],
    ),
    (
        "dev",
        {"dictamesh:catalog": {"appUser": "pg_monitor"}},
        ["dictamesh:catalog.appUser = 'pg_monitor'", "reserved for PostgreSQL's built-in roles"],
    ),
    (
        "staging",
        {"dictamesh:catalog": {"backup": {"schedule": "daily"}}},
        ["dictamesh:catalog.backup.schedule = 'daily'", "five fields"],
    ),
    (
        "staging",
        {"dictamesh:kubernetes": {"namespace": "Dicta_Mesh"}},
        ["dictamesh:kubernetes.namespace = 'Dicta_Mesh'", "DNS label"],
    ),
    ("staging", {"dictamesh:eventBus": {"sasl": "maybe"}}, ["dictamesh:eventBus.sasl = 'maybe'", "boolean"]),
    (
        "staging",
        {"dictamesh:catalog": {"appUser": "dictamesh_tls_reload"}},
        ["dictamesh:catalog.appUser = 'dictamesh_tls_reload'", "choose another name"],
    ),
    (
        "prod",
        {"dictamesh:kubernetes": {"tls": {"renewBefore": "2h"}}},
        ["dictamesh:kubernetes.tls", "renewBefore = '2h'", "hourly job", "at least 3h"],
    ),
    (
        "staging",
        {"dictamesh:kubernetes": {"tls": {"certificateLifetime": "720h"}}},
        ["certificateLifetime = '720h', renewBefore = '720h'", "longer than renewBefore"],
    ),
    (
        "staging",
        {"dictamesh:kubernetes": {"tls": {"certificateLifetime": "90d"}}},
        ["dictamesh:kubernetes.tls.certificateLifetime = '90d'", "2160h, 90m"],
    ),
    ("dev", {"dictamesh:stack": "prod"}, ["dictamesh:stack", "cannot be configured"]),
]


@pytest.mark.parametrize(("stack", "overrides", "expected"), BAD_CONFIG, ids=lambda v: str(v)[:40])
def test_bad_config_is_rejected_before_any_resource(
    stack: str, overrides: dict[str, object], expected: list[str]
) -> None:
    recording = Recording(stack)
    with pytest.raises(ConfigError) as raised:
        recording = run_stack(stack, overrides)
    message = str(raised.value)
    assert message.startswith(f"Invalid stack config for stack '{stack}'") or "dictamesh:stack" in message
    for words in expected:
        assert words in message
    assert "Traceback" not in message
    assert recording.resources == []


def test_an_unknown_environment_names_the_key_and_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"dictamesh:environment = 'qa': set it to one of dev, staging, prod"):
        run_stack("qa", base="dev")


def test_a_stack_with_another_name_states_its_environment() -> None:
    recording = run_stack("alice-dev", {"dictamesh:environment": "dev"}, base="dev")
    assert any(r.inputs.get("name") == "dictamesh-alice-dev-postgres" for r in recording.resources)


def test_several_mistakes_are_reported_together() -> None:
    with pytest.raises(ConfigError) as raised:
        parse("dev", {"target": "podman", "cache": '{"maxmemoryPolicy": "lru"}'})
    assert "dictamesh:target" in str(raised.value)
    assert "dictamesh:cache.maxmemoryPolicy" in str(raised.value)


def test_environment_defaults_lie_under_the_stack_file() -> None:
    prod = parse("prod", {"catalog": '{"backup": {"retentionDays": 30}}'})
    assert prod.catalog.backup.enabled  # from the prod defaults
    assert prod.catalog.backup.retention_days == 30  # from the stack file
    assert prod.cache.appendonly and prod.event_bus.sasl and not prod.event_bus.dev_container
    dev = parse("dev", {})
    assert dev.target == "docker" and dev.event_bus.dev_container and not dev.cache.appendonly


def test_an_even_broker_count_warns() -> None:
    recording = run_stack("dev", {"dictamesh:eventBus": {"brokers": 4}})
    assert any("dictamesh:eventBus.brokers is 4" in warning for warning in recording.warnings)
    brokers = [r for r in recording.of_type("docker:index/container:Container") if re.fullmatch(r"redpanda-\d", r.name)]
    assert len(brokers) == 4
    assert run_stack("dev").warnings == []


def test_settings_are_read_from_the_environment_the_cli_hands_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pulumi up` passes config to the program as JSON in PULUMI_CONFIG, structured values as JSON text."""
    config = {"dictamesh:target": "docker", "dictamesh:cache": json.dumps({"maxmemory": "256mb"}), "other:key": "x"}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    loaded: list[Settings] = []
    run_program("dev", lambda: loaded.append(load_settings()))
    assert loaded[0].cache.maxmemory == "256mb"
    assert loaded[0].target == "docker"
