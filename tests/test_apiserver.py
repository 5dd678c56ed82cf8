"""Every Kubernetes object of staging and prod, with and without exposure, through a real
kube-apiserver's strict validation and Pod Security admission (dry-run server-side apply)."""

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest

from scripts.local_cluster import Cluster, RefusedError, start
from tests.harness import Recording
from tests.manifests import created, kubernetes_objects, manifest
from tests.servers import wait_until
from tests.test_exposure import GATEWAY_MODE, INGRESS_MODE, exposed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    server = start(tmp_path_factory.mktemp("cluster"))
    yield server
    server.stop()


def send(server: Cluster, recording: Recording) -> dict[str, list[str]]:
    """The namespace for real, then every other object as a dry run; warnings by object."""
    objects = created(recording)
    namespaces = [o for o in objects if o["kind"] == "Namespace"]
    found = {f"Namespace/{ns['metadata']['name']}": server.apply(ns, dry_run=False) for ns in namespaces}
    for attempt in range(40):  # a custom resource's API appears a moment after its CRD
        try:
            for obj in objects:
                if obj["kind"] != "Namespace":
                    found[f"{obj['kind']}/{obj['metadata']['name']}"] = server.apply(obj)
            return found
        except RefusedError as refused:
            if "HTTPRoute" not in str(refused) or attempt == 39:
                raise
            time.sleep(0.25)
    return found


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_api_server_admits_every_object_without_a_warning(
    server: Cluster, stacks: dict[str, Recording], stack: str
) -> None:
    warnings = send(server, stacks[stack])
    assert len(warnings) > 40
    assert {name: found for name, found in warnings.items() if found} == {}


@pytest.mark.parametrize("exposure", [INGRESS_MODE, GATEWAY_MODE], ids=["ingress", "gateway"])
def test_the_api_server_admits_the_exposure_objects(server: Cluster, exposure: dict[str, Any]) -> None:
    warnings = send(server, exposed("prod", exposure))
    kinds = {name.split("/")[0] for name in warnings}
    assert ("Ingress" if exposure is INGRESS_MODE else "HTTPRoute") in kinds
    assert {name: found for name, found in warnings.items() if found} == {}


def test_a_template_breaking_restricted_draws_the_pod_security_warning(
    server: Cluster, stacks: dict[str, Recording]
) -> None:
    redis = copy.deepcopy(manifest(stacks["staging"].one("kubernetes:apps/v1:StatefulSet", "redis")))
    del redis["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]
    warnings = server.apply(redis)
    assert any("would violate PodSecurity" in w and "unrestricted capabilities" in w for w in warnings), warnings


def test_an_unknown_field_is_refused(server: Cluster, stacks: dict[str, Recording]) -> None:
    service = copy.deepcopy(manifest(stacks["staging"].one("kubernetes:core/v1:Service", "redis")))
    service["spec"]["clusterIp"] = "None"
    with pytest.raises(RefusedError, match=r"\.spec\.clusterIp: field not declared in schema"):
        server.apply(service)


def pods_admitted(server: Cluster, namespace: str, expected: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        pods = server.items(f"/api/v1/namespaces/{namespace}/pods")
        return pods if len(pods) >= expected else None

    try:
        return wait_until(enough, 60, f"{expected} pods in {namespace}")
    except AssertionError:
        return server.items(f"/api/v1/namespaces/{namespace}/pods")


# Claims created at once race to update the quota's usage; the loser gets this conflict and the
# controller retries it: a lost race, not a refusal (the pods must still all appear and get ready)
QUOTA_CONFLICT = "the object has been modified; please apply your changes to the latest version and try again"


def failed_creates(server: Cluster, namespace: str) -> list[str]:
    """The refusals among FailedCreate events."""
    events = server.items(f"/api/v1/namespaces/{namespace}/events")
    return [
        f"{e['involvedObject']['name']}: {e['message']}"
        for e in events
        if e["reason"] == "FailedCreate" and QUOTA_CONFLICT not in e["message"]
    ]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_pod_is_admitted_scheduled_and_ready(server: Cluster, stacks: dict[str, Recording], stack: str) -> None:
    """Applied for real: the controllers create every pod, neither admission refuses one, every claim
    is bound, the scheduler places every pod (the brokers one per node), and every Service gets ready
    endpoints once KWOK reports the pods ready; the topic Job completes."""
    recording = stacks[stack]
    objects = created(recording)
    for obj in sorted(objects, key=lambda o: o["kind"] != "Namespace"):
        server.apply(obj, dry_run=False)
    jobs = sum(1 for o in objects if o["kind"] == "Job")
    expected = jobs + sum(int(o["spec"]["replicas"]) for o in objects if o["kind"] in ("StatefulSet", "Deployment"))
    namespace = f"dictamesh-{stack}"
    pods = pods_admitted(server, namespace, expected)
    assert failed_creates(server, namespace) == []
    assert len(pods) == expected

    def settled() -> bool:
        return not not_settled(server, namespace, objects)

    try:
        wait_until(settled, 90, f"every pod of {stack} ready, claim bound and Service with endpoints")
    except AssertionError:
        pytest.fail(f"not settled in {stack}: {not_settled(server, namespace, objects)}")

    def pods_in_quota() -> int:
        status = server.call("GET", f"/api/v1/namespaces/{namespace}/resourcequotas/dictamesh")[1]["status"]
        return int(status["used"]["pods"])

    # the quota counts every running pod (it admitted them all); its controller recounts as jobs finish
    wait_until(lambda: pods_in_quota() == expected - jobs, 60, f"the quota to count {expected - jobs} pods")
    claims = server.items(f"/api/v1/namespaces/{namespace}/persistentvolumeclaims")
    assert {"data-redpanda-0", "data-postgres-0", "postgres-backup-backups"} <= {c["metadata"]["name"] for c in claims}
    brokers = server.items(f"/api/v1/namespaces/{namespace}/pods?labelSelector=app.kubernetes.io%2Fname%3Dredpanda")
    assert sorted(pod["spec"]["nodeName"] for pod in brokers) == ["fake-zone-a", "fake-zone-b", "fake-zone-c"]


def not_settled(server: Cluster, namespace: str, objects: list[dict[str, Any]]) -> list[str]:
    """What is not yet as a healthy deployment leaves it: pods, claims, Services and Jobs."""
    base = f"/api/v1/namespaces/{namespace}"
    found = [
        f"pod {p['metadata']['name']}: {p['status'].get('phase')}"
        for p in server.items(f"{base}/pods")
        if not (p["status"].get("phase") == "Succeeded" or is_ready(p))
    ]
    found += [
        f"claim {c['metadata']['name']}: {c['status'].get('phase')}"
        for c in server.items(f"{base}/persistentvolumeclaims")
        if c["status"].get("phase") != "Bound"
    ]
    slices = server.items(f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices")
    served = {
        s["metadata"]["labels"]["kubernetes.io/service-name"]
        for s in slices
        if any(e.get("conditions", {}).get("ready") for e in s.get("endpoints") or [])
    }
    found += [
        f"service {o['metadata']['name']}: no ready endpoint"
        for o in objects
        if o["kind"] == "Service" and o["metadata"]["name"] not in served
    ]
    jobs = server.items(f"/apis/batch/v1/namespaces/{namespace}/jobs")
    found += [f"job {j['metadata']['name']}: not complete" for j in jobs if not j["status"].get("succeeded")]
    return found


def is_ready(pod: dict[str, Any]) -> bool:
    conditions = pod["status"].get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def test_a_pod_breaking_restricted_is_refused_for_real(server: Cluster, stacks: dict[str, Recording]) -> None:
    exporter = copy.deepcopy(manifest(stacks["staging"].one("kubernetes:apps/v1:Deployment", "redis-exporter")))
    exporter["metadata"]["name"] = "open-exporter"
    del exporter["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]
    namespace = exporter["metadata"]["namespace"]
    server.apply({**exporter, "kind": "Deployment"}, dry_run=False)

    def refused() -> list[str] | None:
        return [m for m in failed_creates(server, namespace) if "open-exporter" in m] or None

    messages = wait_until(refused, 60, "the ReplicaSet's FailedCreate event")
    assert any("violates PodSecurity" in m and "unrestricted capabilities" in m for m in messages), messages


def http01_solver_pod(namespace: str) -> dict[str, Any]:
    """The pod cert-manager v1.21.1 starts for an HTTP-01 challenge, with its defaults
    (pkg/issuer/acme/http/pod.go, buildDefaultPod; the resource flags' defaults)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "cm-acme-http-solver-test",
            "namespace": namespace,
            "labels": {"acme.cert-manager.io/http01-solver": "true"},
        },
        "spec": {
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "restartPolicy": "OnFailure",
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "acmesolver",
                    "image": "quay.io/jetstack/cert-manager-acmesolver:v1.21.1",
                    "args": ["--listen-port=8089", "--domain=grafana.example.com", "--token=t", "--key=k"],
                    "ports": [{"name": "http", "containerPort": 8089}],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "64Mi"},
                        "limits": {"cpu": "100m", "memory": "64Mi"},
                    },
                    "securityContext": {
                        "readOnlyRootFilesystem": True,
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }


def test_cert_managers_http01_solver_pod_is_admitted_and_selected(server: Cluster) -> None:
    """Pod Security, the quota and its defaults admit the solver; the exposure's policy selects it."""
    recording = exposed("prod", INGRESS_MODE)
    objects = [manifest(r) for r in kubernetes_objects(recording)]
    for kind in ("Namespace", "LimitRange", "ResourceQuota"):
        for obj in (o for o in objects if o["kind"] == kind):
            server.apply(obj, dry_run=False)
    pod = http01_solver_pod("dictamesh-prod")
    assert server.apply(pod) == []
    policy = next(o for o in objects if o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == "acme-http01-solver")
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= pod["metadata"]["labels"].items()
    assert policy["spec"]["ingress"][0]["ports"] == [
        {"protocol": "TCP", "port": pod["spec"]["containers"][0]["ports"][0]["containerPort"]}
    ]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_every_certificate_a_pod_mounts_is_one_the_cluster_holds(
    server: Cluster, stacks: dict[str, Recording], stack: str
) -> None:
    """cert-manager's own CRDs (its release's module) take every Issuer and Certificate; each TLS volume of
    a pod the controllers made names the Secret of a Certificate in the namespace, and every Certificate's
    Secret is mounted by its server."""
    namespace = f"dictamesh-{stack}"
    objects = created(stacks[stack])
    for obj in sorted(objects, key=lambda o: o["kind"] != "Namespace"):
        server.apply(obj, dry_run=False)
    held = server.items(f"/apis/cert-manager.io/v1/namespaces/{namespace}/certificates")
    secrets = {c["spec"]["secretName"] for c in held}
    assert secrets == {"dictamesh-ca", "postgres-tls", "redis-tls", "redpanda-tls"}
    issuers = server.items(f"/apis/cert-manager.io/v1/namespaces/{namespace}/issuers")
    assert sorted(i["metadata"]["name"] for i in issuers) == ["dictamesh-ca", "dictamesh-selfsigned"]
    jobs = sum(1 for o in objects if o["kind"] == "Job")
    expected = jobs + sum(int(o["spec"]["replicas"]) for o in objects if o["kind"] in ("StatefulSet", "Deployment"))
    pods = pods_admitted(server, namespace, expected)
    mounted = {
        (pod["metadata"]["name"].rsplit("-", 1)[0], v["secret"]["secretName"])
        for pod in pods
        for v in pod["spec"]["volumes"]
        if v["name"] in ("tls", "tls-ca")
    }
    assert {secret for _, secret in mounted} == secrets - {"dictamesh-ca"}
    assert ("postgres", "postgres-tls") in mounted and ("redis", "redis-tls") in mounted
    assert any(owner.startswith("redpanda") and secret == "redpanda-tls" for owner, secret in mounted)
