"""Stack policies by hand, and the whole pack on every stack's recording under that stack's config."""

import copy
import dataclasses
import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest

from tests.harness import Recording, Registered
from tests.policy_args import (
    ALL_POLICIES,
    ROOT,
    level_and_config,
    mandatory_violations,
    resource,
    stack_policy_config,
    violations,
)
from tests.test_policies import by_name, workload

STATEFULSET = "kubernetes:apps/v1:StatefulSet"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def budget(match: dict[str, str]) -> Any:
    return resource(
        PDB,
        {
            "metadata": {"name": "b", "namespace": "ns"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": match}},
        },
    )


def test_replicated_workloads_need_a_budget() -> None:
    policy = by_name("k8s-replicated-workloads-have-budgets")
    replicated = resource(STATEFULSET, workload("StatefulSet", replicas=3), name="redpanda")
    found = violations(policy, [replicated])
    assert found == [
        "redpanda runs 3 replicas with no PodDisruptionBudget selecting them: a node drain could take them all down."
    ]
    assert violations(policy, [replicated, budget({"app.kubernetes.io/name": "x"})]) == []
    assert violations(policy, [replicated, budget({"app.kubernetes.io/name": "other"})])
    assert violations(policy, [resource(STATEFULSET, workload("StatefulSet"))]) == []


def test_namespaces_need_a_default_deny_policy() -> None:
    policy = by_name("k8s-namespace-default-deny")
    ns = resource("kubernetes:core/v1:Namespace", {"metadata": {"name": "ns"}})
    deny = resource(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        {"metadata": {"name": "d", "namespace": "ns"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    )
    allow = resource(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        {
            "metadata": {"name": "a", "namespace": "ns"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{}]},
        },
    )
    assert violations(policy, [ns, allow]) == [
        "namespace ns has no default-deny NetworkPolicy (empty podSelector, Ingress, no rules)."
    ]
    assert violations(policy, [ns, deny]) == []


def test_stateful_resources_must_be_protected() -> None:
    policy = by_name("stateful-resources-protected")
    volume = resource("docker:index/volume:Volume", {"name": "v"}, name="postgres-data")
    found = violations(policy, [volume])
    assert found == [
        "Volume postgres-data holds state but is not protected: `pulumi destroy` or a replacement "
        "would delete its data. Set protect=True."
    ]
    assert violations(policy, [resource("docker:index/volume:Volume", {"name": "v"}, protect=True)]) == []


def test_the_event_bus_needs_enough_brokers() -> None:
    policy = by_name("event-bus-minimum-brokers")
    two = resource(STATEFULSET, workload("StatefulSet", replicas=2.0), name="redpanda")
    assert violations(policy, [two]) == ["the event bus runs 2 brokers: at least 3 keep it available when one fails."]
    assert violations(policy, [resource(STATEFULSET, workload("StatefulSet", replicas=3.0), name="redpanda")]) == []
    container = {"labels": [{"label": "dev.dictamesh.workload", "value": "redpanda"}]}
    one = resource("docker:index/container:Container", container)
    assert violations(policy, [one]) and violations(policy, [one], {"minBrokers": 1}) == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_passes_its_mandatory_policies(stacks: dict[str, Recording], stack: str) -> None:
    assert mandatory_violations(stacks[stack], stack_policy_config(stack)) == []


def weakened(recording: Recording, type_: str, name: str, change: Any) -> Recording:
    copied = dataclasses.replace(recording, resources=copy.deepcopy(recording.resources))
    target: Registered = copied.one(type_, name)
    change(target)
    return copied


def test_a_weakened_copy_of_each_stack_is_caught(stacks: dict[str, Recording]) -> None:
    prod, dev = stacks["prod"], stacks["dev"]
    config = stack_policy_config("prod")

    def privileged(r: Registered) -> None:
        r.inputs["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True

    def latest(r: Registered) -> None:
        r.inputs["spec"]["template"]["spec"]["containers"][0]["image"] = "redis:latest"

    def unprotected(r: Registered) -> None:
        r.protect = False

    def open_port(r: Registered) -> None:
        r.inputs["ports"][0]["ip"] = "0.0.0.0"

    caught = {
        "k8s-pod-security-restricted": weakened(prod, STATEFULSET, "redpanda", privileged),
        "k8s-pinned-images": weakened(prod, STATEFULSET, "redis", latest),
        "stateful-resources-protected": weakened(prod, STATEFULSET, "postgres", unprotected),
    }
    for policy_name, recording in caught.items():
        found = mandatory_violations(recording, config)
        assert any(v.startswith(f"{policy_name}: ") for v in found), (policy_name, found)
    found = mandatory_violations(
        weakened(dev, "docker:index/container:Container", "postgres", open_port), stack_policy_config("dev")
    )
    assert found == [
        "docker-loopback-ports: container dictamesh-dev-postgres publishes port 5432 on 0.0.0.0: "
        "bind it to 127.0.0.1, or add the container to this policy's `allowed` list."
    ]


def test_staging_and_prod_are_mandatory_and_dev_is_advisory_where_it_differs() -> None:
    names = {policy.name for policy in ALL_POLICIES}
    for stack in ("dev", "staging", "prod"):
        config = stack_policy_config(stack)
        assert set(config) - {"all"} <= names, f"{stack}.json names a policy that does not exist"
        assert config["all"] == "mandatory"
    protected = by_name("stateful-resources-protected")
    assert level_and_config(protected, stack_policy_config("prod"))[0] == "mandatory"
    assert level_and_config(protected, stack_policy_config("dev"))[0] == "advisory"
    assert level_and_config(by_name("event-bus-minimum-brokers"), stack_policy_config("dev"))[0] == "advisory"


def test_the_pack_hands_every_policy_to_policy_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}

    def record(**kwargs: Any) -> None:
        built.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", record)
    runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")
    assert built["name"] == "dictamesh-guardrails"
    assert [policy.name for policy in built["policies"]] == [
        "k8s-pod-security-restricted",
        "k8s-resource-requests-and-limits",
        "k8s-health-probes",
        "k8s-pinned-images",
        "k8s-no-secret-literals",
        "k8s-no-default-namespace",
        "k8s-namespace-pod-security-label",
        "k8s-service-type-allowlist",
        "k8s-no-service-account-token",
        "k8s-recommended-labels",
        "k8s-exposure-tls",
        "k8s-no-wildcard-hosts",
        "docker-loopback-ports",
        "docker-no-privilege",
        "docker-pinned-images",
        "docker-container-hardening",
        "docker-no-secret-env",
        "generated-password-strength",
        "k8s-replicated-workloads-have-budgets",
        "k8s-namespace-default-deny",
        "stateful-resources-protected",
        "datastores-encrypted-in-transit",
        "event-bus-minimum-brokers",
    ]


def test_the_pack_declares_its_own_pinned_dependencies() -> None:
    requirements = (ROOT / "policies" / "requirements.txt").read_text()
    lock = (ROOT / "uv.lock").read_text()
    for line in (line for line in requirements.splitlines() if line and not line.startswith("#")):
        name, version = line.split("==")
        assert f'name = "{name}"\nversion = "{version}"' in lock, line
    assert json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
    assert "virtualenv: venv" in (ROOT / "policies" / "PulumiPolicy.yaml").read_text()


def test_the_policy_modules_import_with_only_the_packs_dependencies(tmp_path: Path) -> None:
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in UV; make's copy is not on PATH
    assert uv, "uv is needed: `make setup` installs it"
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = str(venv / "bin" / "python")
    requirements = str(ROOT / "policies" / "requirements.txt")
    subprocess.run([uv, "pip", "install", "--quiet", "--python", python, "-r", requirements], check=True)
    imported = subprocess.run(
        [python, "-c", "import policies.kubernetes, policies.docker, policies.secrets, policies.stack; print('ok')"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.stdout.strip() == "ok", imported.stderr
    leaked = subprocess.run([python, "-c", "import pydantic"], capture_output=True, check=False)
    assert leaked.returncode != 0  # the pack really runs without the program's own dependencies
