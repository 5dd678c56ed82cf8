"""The observability files as a stack generated them, read back from its recording."""

from pathlib import Path

import yaml

from tests.harness import Recording

CONTAINER = "docker:index/container:Container"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


def files_of(recording: Recording, workload: str) -> dict[str, str]:
    """Path (dev) or ConfigMap key (clusters) -> content of a workload's config files."""
    if recording.stack == "dev":
        container = recording.one(CONTAINER, workload)
        return {u["file"]: u["content"] for u in container.inputs.get("uploads", []) if u["permissions"] == "0444"}
    data: dict[str, str] = recording.one(CONFIG_MAP, f"{workload}-files").inputs["data"]
    return data


def prometheus_files(recording: Recording) -> tuple[str, dict[str, str]]:
    """prometheus.yml and the rule files by name."""
    found = {Path(name).name: text for name, text in files_of(recording, "prometheus").items()}
    config = found.pop("prometheus.yml")
    return config, found


def write_prometheus(recording: Recording, directory: Path) -> Path:
    """The config beside its rules/ directory, as the container mounts them."""
    config, rules = prometheus_files(recording)
    (directory / "rules").mkdir(parents=True, exist_ok=True)
    for name, text in rules.items():
        (directory / "rules" / name).write_text(text)
    path = directory / "prometheus.yml"
    path.write_text(config)
    return path


def alert_rules(recording: Recording) -> dict[str, dict[str, object]]:
    """Every alerting rule by name, across the rule files."""
    _, rules = prometheus_files(recording)
    return {
        rule["alert"]: rule
        for text in rules.values()
        for group in yaml.safe_load(text)["groups"]
        for rule in group["rules"]
    }
