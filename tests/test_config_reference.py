"""docs/configuration.md is generated from the settings models and never stale."""

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import config_reference
from tests.harness import ROOT


def test_the_committed_reference_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.config_reference", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_stale_reference_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(config_reference.render().replace("`3`", "`5`", 1))
    monkeypatch.setattr(config_reference, "TARGET", stale)
    monkeypatch.setattr(sys, "argv", ["config_reference", "--check"])
    assert config_reference.main() == 1


def test_the_reference_names_every_key_with_its_environments() -> None:
    text = config_reference.render()
    for row in (
        "| `eventBus.brokers` | int | `3` |  |  | at least 1; at most 15; Redpanda brokers, a Raft group: "
        "3 tolerate one failure, 5 two |",
        "| `cache.maxmemory` | str | `256mb` | `512mb` | `1536mb` |",
        "| `observability.receivers[].type` | one of `webhook`, `slack`, `email` |",
        "| `eventBus.topics[].config` | map of str to str |",
    ):
        assert row in text, row
    assert "| `stack` |" not in text  # set by Pulumi, not by config


def test_every_setting_says_what_changing_it_does_on_each_target() -> None:
    text = config_reference.render()
    section = text.split("## What changing a setting does to a running stack", 1)[1]
    rows = {
        line.split(" | ")[0].strip("| `"): line.split(" | ")[1:]
        for line in section.splitlines()
        if line.startswith("| `")
    }
    leaves = [
        line.split(" | ")[0].strip("| `")
        for line in text.split("## What changing", 1)[0].splitlines()
        if line.startswith("| `")
    ]
    assert list(rows) == leaves  # every key of the reference, in its order
    assert rows["kubernetes.namespace"][:2] == ["refused", "none"]
    assert rows["eventBus.brokers"][:2] == ["live", "live"] and "decommissioned first" in rows["eventBus.brokers"][2]
    assert rows["catalog.majorVersion"][:2] == ["replaced", "replaced"]
    assert rows["cache.maxmemory"][:2] == ["rolling", "replaced"]
    for effect in ("none", "live", "rolling", "replaced", "refused"):
        assert f"- **{effect}**: " in section
