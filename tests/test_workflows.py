"""The GitHub workflows are valid and pass zizmor; CI runs exactly the README's test command."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKFLOWS = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_workflows_match_the_github_schema() -> None:
    assert len(WORKFLOWS) == 3
    result = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    dependabot = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.dependabot", ".github/dependabot.yml")
    assert dependabot.returncode == 0, dependabot.stdout


def test_workflows_pass_zizmor() -> None:
    result = run(str(BIN / "zizmor"), "--offline", "--no-progress", ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_ci_runs_the_readme_test_commands() -> None:
    """The fast tier, then the real-engine tier, each after what it needs: as the README gives them."""
    readme = (ROOT / "README.md").read_text()
    assert "make test   # set up everything and run the checks CI runs" in readme
    assert "make e2e         # about" in readme
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    stages = ["stage make test-deps", "stage make test", "stage make e2e-deps", "stage make e2e"]
    assert [ci.index(line) for line in stages] == sorted(ci.index(line) for line in stages)
    assert ci[-1] == "stage make e2e"


@pytest.mark.parametrize("failing", ["", "e2e"])
def test_every_ci_log_ends_with_where_the_time_went(tmp_path: Path, failing: str) -> None:
    """.ci/run with a stand-in `make` that takes a second per stage, and fails the stage it is told to."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(f'#!/bin/sh\nsleep 1\n[ "$1" != "{failing}" ] || exit 3\necho "made $1"\n')
    (bin_dir / "make").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(tmp_path / ".ci" / "run")], env=env, capture_output=True, text=True, check=False)
    report = done.stdout[done.stdout.index("ci: where the time went") :].splitlines()[1:]
    assert done.returncode == (3 if failing else 0), done.stdout + done.stderr
    if failing:
        assert report[-2].strip().startswith("make e2e") and report[-2].endswith("failed (3)")
    assert [line.split()[0:2] for line in report[:-1]] == [
        ["make", s] for s in ("test-deps", "test", "e2e-deps", "e2e")
    ]
    assert report[-1].split()[0] == "total" and int(report[-1].split()[1]) >= 4


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    return loaded


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert re.fullmatch(r"pulumi/actions@[0-9a-f]{40}", step["uses"])  # pinned by commit
    return step


def test_pull_requests_get_one_edited_comment_per_stack_with_the_policy_pack() -> None:
    job = workflow("preview.yml")["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == ["staging", "prod"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    step = pulumi_step(job)["with"]
    assert step["command"] == "preview" and step["stack-name"] == "${{ matrix.stack }}"
    assert step["comment-on-pr"] is True and step["edit-pr-comment"] is True
    assert step["policyPacks"] == "policies"
    assert step["policyPackConfigs"] == "policies/config/${{ matrix.stack }}.json"


def test_staging_follows_main_and_prod_deploys_tags_behind_an_approval() -> None:
    deploy = workflow("deploy.yml")
    assert deploy[True] == {"push": {"branches": ["main"], "tags": ["v*"]}}  # YAML reads `on` as true
    assert deploy["permissions"] == {}
    job = deploy["jobs"]["deploy"]
    stack = "${{ startsWith(github.ref, 'refs/tags/') && 'prod' || 'staging' }}"
    assert job["environment"] == stack  # the prod environment's protection rule asks for the approval
    assert job["concurrency"] == {"group": f"deploy-{stack}", "cancel-in-progress": False}
    assert job["permissions"] == {"contents": "read"}
    assert pulumi_step(job)["with"]["command"] == "up"
    assert job["steps"][-1]["run"] == 'make health STACK="$STACK"'
