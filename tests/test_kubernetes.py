"""The staging and prod stacks: valid Kubernetes objects that pass Pod Security `restricted`."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from policies.pod_security import pod_spec, restricted_violations
from tests.harness import Recording
from tests.manifests import KUBERNETES_VERSION, assert_valid, kubernetes_objects, manifest, write_manifests

CLUSTER_STACKS = ("staging", "prod")
RECOMMENDED_LABELS = [f"app.kubernetes.io/{key}" for key in ("name", "instance", "component", "part-of", "managed-by")]
STATEFUL = ("postgres", "redis", "redpanda")


def workloads(recording: Recording) -> dict[str, dict[str, Any]]:
    """Objects with a pod template, by name, with their Pulumi type under "type"."""
    return {
        r.name: {**manifest(r), "type": r.type}
        for r in kubernetes_objects(recording)
        if pod_spec(r.type, r.inputs) is not None
    }


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_every_object_passes_strict_schema_validation(stacks: dict[str, Recording], stack: str, tmp_path: Path) -> None:
    """Built-in kinds; cert-manager's have no schema here and go to the real API server with its CRDs
    (tests/test_apiserver.py)."""
    paths = write_manifests(stacks[stack], tmp_path, builtin=True)
    assert len(paths) > 40
    assert_valid(paths)


def test_schema_validation_fails_on_a_wrong_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {ports: [{port: 80}], clusterIp: None}\n"
    )
    result = subprocess.run(
        [Path(sys.executable).parent / "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_every_pod_template_passes_pod_security_restricted(stacks: dict[str, Recording], stack: str) -> None:
    found = workloads(stacks[stack])
    assert {"postgres", "postgres-exporter", "redis", "redis-exporter", "redpanda", "redpanda-console"} <= set(found)
    for name, obj in found.items():
        spec = pod_spec(obj["type"], obj)
        assert spec, name
        assert restricted_violations(spec) == [], name
        # the jobs' watcher alone holds a token, for its Role (tests/test_observability.py)
        assert spec["automountServiceAccountToken"] is (name == "kube-state-metrics"), name
        container = spec["containers"][0]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        for resource in ("cpu", "memory", "ephemeral-storage"):
            assert container["resources"]["requests"][resource], (name, resource)
            assert container["resources"]["limits"][resource], (name, resource)


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_namespace_enforces_restricted_and_denies_by_default(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    namespace = recording.one("kubernetes:core/v1:Namespace", "namespace").inputs["metadata"]
    assert namespace["name"] == f"dictamesh-{stack}"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    deny = recording.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "default-deny").inputs["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert namespace_of_everything(recording) == {f"dictamesh-{stack}"}


def namespace_of_everything(recording: Recording) -> set[str]:
    return {
        r.inputs["metadata"]["namespace"]
        for r in kubernetes_objects(recording)
        if r.type != "kubernetes:core/v1:Namespace"
    }


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_objects_carry_the_recommended_labels(stacks: dict[str, Recording], stack: str) -> None:
    platform_wide = {"namespace", "default-deny", "allow-egress-dns-and-namespace", "quota", "limit-range"}
    for resource in kubernetes_objects(stacks[stack]):
        labels = resource.inputs["metadata"]["labels"]
        assert labels["app.kubernetes.io/instance"] == f"dictamesh-{stack}"
        assert labels["app.kubernetes.io/part-of"] == "dictamesh"
        assert labels["app.kubernetes.io/managed-by"] == "pulumi"
        if resource.name not in platform_wide:
            assert all(labels.get(key) for key in RECOMMENDED_LABELS), resource.name


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_stateful_services_keep_their_data(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    for name in STATEFUL:
        statefulset = recording.one("kubernetes:apps/v1:StatefulSet", name)
        spec = statefulset.inputs["spec"]
        assert spec["serviceName"] == name
        assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
        claim = spec["volumeClaimTemplates"][0]["spec"]
        assert claim["storageClassName"] == {"staging": "standard", "prod": "ssd"}[stack]
        assert statefulset.protect is (stack == "prod")
        service = recording.one("kubernetes:core/v1:Service", name).inputs
        assert service["metadata"]["name"] == name
        assert service["spec"]["clusterIP"] == "None"
    assert recording.one("kubernetes:core/v1:Namespace", "namespace").protect is (stack == "prod")


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_replicated_workloads_have_a_budget_and_spread(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    budgets = {r.name: r.inputs["spec"] for r in recording.of_type("kubernetes:policy/v1:PodDisruptionBudget")}
    assert budgets == {
        "redpanda": {
            "maxUnavailable": 1,
            "selector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "redpanda",
                    "app.kubernetes.io/instance": f"dictamesh-{stack}",
                }
            },
        }
    }
    affinity = recording.one("kubernetes:apps/v1:StatefulSet", "redpanda").inputs["spec"]["template"]["spec"][
        "affinity"
    ]
    rule = (
        "requiredDuringSchedulingIgnoredDuringExecution"
        if stack == "prod"
        else "preferredDuringSchedulingIgnoredDuringExecution"
    )
    assert rule in affinity["podAntiAffinity"]
    postgres = recording.one("kubernetes:apps/v1:StatefulSet", "postgres").inputs["spec"]["template"]["spec"]
    assert "affinity" not in postgres


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_clients_are_admitted_by_network_policy(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    policy = recording.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "postgres-clients").inputs["spec"]
    allowed = policy["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]["values"]
    assert {"postgres-exporter", "postgres-backup", "metadata-catalog"} <= set(allowed)
    assert "redis-exporter" not in allowed
    assert policy["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 5432.0}]


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_long_running_containers_have_all_three_probes(stacks: dict[str, Recording], stack: str) -> None:
    for name, obj in workloads(stacks[stack]).items():
        if obj["kind"] in ("Job", "CronJob"):
            continue
        container = obj["spec"]["template"]["spec"]["containers"][0]
        assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(container), name


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_secrets_travel_as_secrets(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    for secret in recording.of_type("kubernetes:core/v1:Secret"):
        assert secret.inputs["stringData"], secret.name
        assert all(secret.is_secret(f"stringData.{key}") for key in secret.inputs["stringData"]), secret.name
    for config_map in recording.of_type("kubernetes:core/v1:ConfigMap"):
        assert config_map.secret_paths() == [], config_map.name
        assert not recording.leaks(config_map.inputs), config_map.name
    for name, obj in workloads(recording).items():
        assert not recording.leaks(obj), name  # no generated password inside any pod spec
