"""Reads the `dictamesh:*` stack config into Settings, or fails with one readable message.

This is the only module that reads Pulumi config. A bad value raises ConfigError (a pulumi.RunError,
so the CLI prints the message without a traceback) before any resource is registered.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any, get_args

import pulumi
from pulumi.runtime.config import CONFIG, get_config, get_config_env
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_snake
from pydantic_core import ErrorDetails

from components import deployed
from components.quantity import cpu_cores, memory_bytes
from components.settings import Settings

NAMESPACE = "dictamesh"

# Sentry on a cluster: room for real traffic in the processes that see every event
SENTRY_CLUSTER_RESOURCES: dict[str, Any] = {
    "web": {"cpu": "1", "memory": "2Gi"},
    "taskworker": {"cpu": "1", "memory": "1536Mi"},
    "eventsConsumer": {"cpu": "1", "memory": "1Gi"},
    "consumer": {"cpu": "500m", "memory": "768Mi"},
    "snubaApi": {"cpu": "500m", "memory": "512Mi"},
    "snubaConsumer": {"cpu": "250m", "memory": "256Mi"},
    "relay": {"cpu": "500m", "memory": "512Mi"},
    "symbolicator": {"cpu": "500m", "memory": "1Gi"},
    "postgres": {"cpu": "1", "memory": "2Gi"},
    "redis": {"cpu": "250m", "memory": "1Gi"},
    "kafka": {"cpu": "1", "memory": "2Gi"},
    "clickhouse": {"cpu": "2", "memory": "4Gi"},
}

# Laid under the stack file's values, which win. Keys are spelled as in the stack files.
ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    # laptop-sized: the core stack (brokers, catalog, cache, Console, exporters) within 4 GiB of limits
    "dev": {
        "target": "docker",
        "eventBus": {
            "resources": {"cpu": "1", "memory": "1Gi"},
            "consoleResources": {"cpu": "100m", "memory": "128Mi", "ephemeralStorage": "256Mi"},
        },
        "catalog": {
            "sampleData": True,
            "resources": {"cpu": "500m", "memory": "320Mi"},
            "tuning": {"sharedBuffers": "128MB", "effectiveCacheSize": "256MB", "workMem": "4MB"},
        },
        "cache": {"maxmemory": "256mb", "resources": {"cpu": "250m", "memory": "320Mi"}},
        "sentry": {"cleanupSchedule": None},  # the docker target runs no scheduled jobs: `make sentry-cleanup`
    },
    "staging": {
        "target": "kubernetes",
        "eventBus": {"devContainer": False, "sasl": True},
        "sentry": {"taskworkerConcurrency": 4, "resources": SENTRY_CLUSTER_RESOURCES},
        "observability": {
            "retentionSize": True,
            "jaeger": {"storage": "badger"},
            "resources": {
                "prometheus": {"cpu": "1", "memory": "2Gi"},
                "grafana": {"cpu": "250m", "memory": "512Mi"},
                "jaeger": {"cpu": "500m", "memory": "1Gi"},
                "alertmanager": {"cpu": "100m", "memory": "128Mi", "ephemeralStorage": "256Mi"},
            },
        },
    },
    "prod": {
        "target": "kubernetes",
        "catalog": {
            "storage": "50Gi",
            "resources": {"cpu": "2", "memory": "4Gi", "ephemeralStorage": "2Gi"},
            "tuning": {
                "sharedBuffers": "1GB",
                "effectiveCacheSize": "3GB",
                "workMem": "32MB",
                "maintenanceWorkMem": "256MB",
                "maxConnections": 200,
            },
            "backup": {"enabled": True, "retentionDays": 14, "storage": "100Gi"},
        },
        "cache": {
            "appendonly": True,
            "maxmemory": "1536mb",
            "storage": "8Gi",
            "resources": {"cpu": "500m", "memory": "2Gi"},
        },
        "eventBus": {
            "devContainer": False,
            "sasl": True,
            "storage": "100Gi",
            "resources": {"cpu": "2", "memory": "4Gi", "ephemeralStorage": "2Gi"},
        },
        "sentry": {
            "taskworkerConcurrency": 4,
            "resources": {**SENTRY_CLUSTER_RESOURCES, "clickhouse": {"cpu": "2", "memory": "8Gi"}},
            "storage": {"postgres": "50Gi", "kafka": "50Gi", "clickhouse": "100Gi", "objectstore": "50Gi"},
        },
        "observability": {
            "retentionSize": True,
            "jaeger": {"storage": "badger"},
            "storage": {"prometheus": "50Gi", "jaeger": "50Gi", "grafana": "2Gi"},
            "resources": {
                "prometheus": {"cpu": "1", "memory": "4Gi", "ephemeralStorage": "2Gi"},
                "grafana": {"cpu": "500m", "memory": "512Mi"},
                "jaeger": {"cpu": "1", "memory": "2Gi"},
                "alertmanager": {"cpu": "100m", "memory": "128Mi", "ephemeralStorage": "256Mi"},
            },
        },
    },
}


class ConfigError(pulumi.RunError):
    """Stack config that cannot be deployed; the message names each key, value and what is allowed."""


def load_settings(before: deployed.Deployed | None = None) -> Settings:
    """Settings of the running stack, from the config Pulumi hands the program, judged against what the stack
    last deployed (`before`, deployed.read()): a change it cannot take is refused here, before any resource."""
    prefix = f"{NAMESPACE}:"
    keys = {key for key in (*CONFIG.get(), *get_config_env()) if key.startswith(prefix)}
    raw = {key.removeprefix(prefix): get_config(key) for key in keys}
    stack = pulumi.get_stack()
    settings = parse(stack, raw)
    verdict = deployed.judge(settings, before.record if before else {})
    if verdict.refused:
        lines = "\n".join(f"  {NAMESPACE}:{refusal}" for refusal in verdict.refused)
        raise ConfigError(
            f"Refused change for stack '{stack}' (its running values are in its `deployed` output):\n{lines}"
        )
    for warning in [*settings.warnings(), *(f"{NAMESPACE}:{warned}" for warned in verdict.warned)]:
        pulumi.log.warn(warning)
    return settings


def parse(stack: str, raw: Mapping[str, Any]) -> Settings:
    """Settings from the config values of one stack (keys without the namespace)."""
    values = {key: _decode(value) for key, value in raw.items()}
    if "stack" in values:
        raise ConfigError(f"{NAMESPACE}:stack: the stack name comes from Pulumi and cannot be configured")
    environment = values.get("environment", stack)
    if environment not in ENVIRONMENT_DEFAULTS:
        raise ConfigError(
            f"Invalid stack config for stack '{stack}':\n  {NAMESPACE}:environment = {environment!r}: "
            f"set it to one of {', '.join(ENVIRONMENT_DEFAULTS)} (stacks named after an environment may omit it)"
        )
    merged = _deep_merge(ENVIRONMENT_DEFAULTS[environment], values)
    try:
        settings = Settings.model_validate({**merged, "stack": stack, "environment": environment})
    except ValidationError as error:
        lines = "\n".join(f"  {describe(detail)}" for detail in error.errors())
        raise ConfigError(f"Invalid stack config for stack '{stack}':\n{lines}") from None
    if problems := _quota_problems(settings):
        raise ConfigError(f"Invalid stack config for stack '{stack}':\n" + "\n".join(f"  {p}" for p in problems))
    return settings


def _quota_problems(settings: Settings) -> list[str]:
    """An explicit quota below what the stack's own workloads request would leave pods unscheduled."""
    if settings.target != "kubernetes":
        return []
    own = settings.footprint()
    checks: list[tuple[str, int, Callable[[Any], int], str]] = [
        ("cpu", own.cpu_millis, lambda v: int(cpu_cores(v) * 1000), "{}m"),
        ("memory", own.memory_mib, lambda v: memory_bytes(v) // 2**20, "{}Mi"),
        ("ephemeralStorage", own.ephemeral_mib, lambda v: memory_bytes(v) // 2**20, "{}Mi"),
        ("storage", own.storage_mib, lambda v: memory_bytes(v) // 2**20, "{}Mi"),
        ("claims", own.claims, int, "{}"),
        ("pods", own.pods, int, "{}"),
    ]
    problems = []
    for key, needed, read, form in checks:
        given = getattr(settings.kubernetes.quota, to_snake(key))
        if given is not None and read(given) < needed:
            problems.append(
                f"{NAMESPACE}:kubernetes.quota.{key} = {given!r}: the stack's own workloads request "
                f"{form.format(needed)}; raise it or leave it unset to compute it"
            )
    return problems


def _decode(value: Any) -> Any:
    """Structured config arrives as JSON text; scalars stay as they are for pydantic to coerce."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _key(loc: tuple[int | str, ...], prefix: str) -> str:
    text = prefix
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if index else "") + part
    return text


def describe(detail: ErrorDetails, prefix: str = f"{NAMESPACE}:", root: type[BaseModel] = Settings) -> str:
    """One line per problem: the key (`prefix` before its path from `root`), the value, and what is allowed."""
    loc = tuple(detail["loc"])
    message = detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(loc[:-1], root)) or "none"
        return f"{_key(loc, prefix)}: unknown key (a typo?); allowed here: {allowed}"
    if detail["type"] == "missing":
        return f"{_key(loc, prefix)}: required"
    if detail["type"] == "value_error" and isinstance(detail["input"], Mapping):
        # a check across fields of one section: its message names the fields itself
        return f"{_key(loc, prefix)}{'.' if loc else ''}{message}"
    return f"{_key(loc, prefix)} = {detail['input']!r}: {message}"


def _allowed_keys(loc: tuple[int | str, ...], root: type[BaseModel]) -> list[str]:
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if part in (name, f.alias)), None)
        annotation = field.annotation if field else None
        candidates = [annotation, *get_args(annotation)]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    if model is None:
        return []
    hidden = {"stack"} if model is Settings else set()
    return sorted(f.alias or name for name, f in model.model_fields.items() if name not in hidden)
