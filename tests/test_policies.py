"""Each policy against one violating and one compliant resource built by hand, asserting its message."""

import copy
from typing import Any

import pytest
from pulumi_policy import Policy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tests.policy_args import ALL_POLICIES, resource, violations

LABELS = {f"app.kubernetes.io/{k}": "x" for k in ("name", "instance", "component", "part-of", "managed-by")}
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CONTAINER = "docker:index/container:Container"


def container(**changes: Any) -> dict[str, Any]:
    quantities = {"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "1Gi"}
    spec: dict[str, Any] = {
        "name": "app",
        "image": "redis:7.4.5",
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": 999,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
            "readOnlyRootFilesystem": True,
        },
        "resources": {"requests": quantities, "limits": dict(quantities)},
        "readinessProbe": {"exec": {"command": ["true"]}},
        "livenessProbe": {"exec": {"command": ["true"]}},
        "env": [{"name": "PGPASSWORD_FILE", "value": "/run/secrets/x"}],
    }
    spec.update(changes)
    return spec


def workload(kind: str = "Deployment", pod: dict[str, Any] | None = None, **spec_changes: Any) -> dict[str, Any]:
    pod_spec = {"automountServiceAccountToken": False, "serviceAccountName": "app", "containers": [container()]}
    pod_spec.update(pod or {})
    template = {"metadata": {"labels": LABELS}, "spec": pod_spec}
    spec = {"replicas": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "x"}}, "template": template}
    spec.update(spec_changes)
    if kind == "CronJob":
        spec = {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "app", "namespace": "ns", "labels": LABELS},
        "spec": spec,
    }


INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"


def ingress(host: str = "grafana.dictamesh.example.com", tls: bool = True) -> dict[str, Any]:
    backend = {"service": {"name": "grafana", "port": {"number": 3000}}}
    spec: dict[str, Any] = {
        "ingressClassName": "nginx",
        "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
    }
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "grafana-tls"}]
    return {"kind": "Ingress", "metadata": {"name": "grafana-ui", "namespace": "ns", "labels": LABELS}, "spec": spec}


def http_route(protocol: str | None = "HTTPS", hostname: str = "grafana.dictamesh.example.com") -> dict[str, Any]:
    """An HTTPRoute on a listener named `http`: the name says nothing, the protocol read from the Gateway does."""
    parent = {"name": "edge", "namespace": "gateways", "sectionName": "http"}
    annotations = {"dictamesh.io/gateway-listener-protocol": protocol} if protocol else {}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "grafana-ui", "namespace": "ns", "annotations": annotations},
        "spec": {"parentRefs": [parent], "hostnames": [hostname], "rules": []},
    }


def test_http_routes_attach_to_a_tls_listener_and_name_their_hosts() -> None:
    tls, wildcard = by_name("k8s-exposure-tls"), by_name("k8s-no-wildcard-hosts")
    route = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
    found = violations(tls, resource(route, http_route(protocol="HTTP")), {"requireTls": True})
    assert any("HTTPRoute grafana-ui: the protocol of its Gateway listener says HTTP" in m for m in found)
    unsaid = violations(tls, resource(route, http_route(protocol=None)), {"requireTls": True})
    assert any("its Gateway listener is not said" in m for m in unsaid)
    assert violations(tls, resource(route, http_route()), {"requireTls": True}) == []
    assert violations(tls, resource(route, http_route(protocol="HTTP"))) == []  # required only where configured
    assert any(
        "answers for *.example.com" in m
        for m in violations(wildcard, resource(route, http_route(hostname="*.example.com")))
    )
    assert violations(wildcard, resource(route, http_route())) == []


def docker_container(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "dictamesh-dev-app",
        "image": "sha256:abc",
        "ports": [{"internal": 5432, "external": 5432, "ip": "127.0.0.1"}],
        "memory": 512,
        "healthcheck": {"tests": ["CMD", "true"]},
        "restart": "unless-stopped",
        "mustRun": True,
        "envs": ["POSTGRES_PASSWORD_FILE=/run/secrets/p"],
    }
    props.update(changes)
    return props


def namespace(labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns", "labels": labels}}


def service(kind: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "ns", "labels": LABELS},
        "spec": {"type": kind, "ports": [{"port": 80}]},
    }


PRIVILEGED = container(securityContext={**container()["securityContext"], "privileged": True})
ROOT = container(securityContext={**container()["securityContext"], "runAsUser": 0})
NO_LIMITS = container(resources={"requests": {"cpu": "1"}})
NO_PROBES = {k: v for k, v in container().items() if k not in ("readinessProbe", "livenessProbe")}

# policy name -> (violating (type, props[, config]), compliant (type, props[, config]), words of the message)
CASES: dict[str, tuple[tuple[Any, ...], tuple[Any, ...], str]] = {
    "k8s-pod-security-restricted": (
        (DEPLOYMENT, workload(pod={"containers": [PRIVILEGED]})),
        (DEPLOYMENT, workload()),
        "container app is privileged. Pod Security `restricted` refuses this pod",
    ),
    "k8s-resource-requests-and-limits": (
        (DEPLOYMENT, workload(pod={"containers": [NO_LIMITS]})),
        (DEPLOYMENT, workload()),
        "container app sets no limits for cpu, memory, ephemeral-storage",
    ),
    "k8s-health-probes": (
        (DEPLOYMENT, workload(pod={"containers": [NO_PROBES]})),
        ("kubernetes:batch/v1:CronJob", workload("CronJob", pod={"containers": [NO_PROBES]})),
        "container app has no readinessProbe: give its workload a Probe",
    ),
    "k8s-pinned-images": (
        (DEPLOYMENT, workload(pod={"containers": [container(image="redis:latest")]})),
        (DEPLOYMENT, workload()),
        "container app: image redis:latest uses 'latest'",
    ),
    "k8s-no-secret-literals": (
        (DEPLOYMENT, workload(pod={"containers": [container(env=[{"name": "DB_PASSWORD", "value": "x"}])]})),
        (DEPLOYMENT, workload()),
        "sets DB_PASSWORD as a literal: read it from a Secret",
    ),
    "k8s-no-default-namespace": (
        ("kubernetes:core/v1:ConfigMap", {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}),
        ("kubernetes:core/v1:ConfigMap", {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}}),
        "ConfigMap subject lands in the `default` namespace",
    ),
    "k8s-namespace-pod-security-label": (
        ("kubernetes:core/v1:Namespace", namespace({"pod-security.kubernetes.io/enforce": "baseline"})),
        ("kubernetes:core/v1:Namespace", namespace({"pod-security.kubernetes.io/enforce": "restricted"})),
        "namespace subject must carry pod-security.kubernetes.io/enforce: restricted",
    ),
    "k8s-service-type-allowlist": (
        ("kubernetes:core/v1:Service", service("LoadBalancer")),
        ("kubernetes:core/v1:Service", service("LoadBalancer"), {"allowed": ["ns/web"]}),
        "Service ns/web is of type LoadBalancer: expose it through an ingress",
    ),
    "k8s-no-service-account-token": (
        (DEPLOYMENT, workload(pod={"automountServiceAccountToken": True})),
        (DEPLOYMENT, workload(pod={"automountServiceAccountToken": True}), {"allowed": ["app"]}),
        "the pod mounts a service account token",
    ),
    "k8s-recommended-labels": (
        (DEPLOYMENT, {**workload(), "metadata": {"name": "app", "namespace": "ns", "labels": {}}}),
        (DEPLOYMENT, workload()),
        "lacks the recommended labels app.kubernetes.io/name",
    ),
    "k8s-exposure-tls": (
        (INGRESS, ingress(tls=False), {"requireTls": True}),
        (INGRESS, ingress(tls=True), {"requireTls": True}),
        "serves grafana.dictamesh.example.com without TLS",
    ),
    "k8s-no-wildcard-hosts": (
        (INGRESS, ingress(host="*.dictamesh.example.com")),
        (INGRESS, ingress()),
        "answers for *.dictamesh.example.com",
    ),
    "docker-loopback-ports": (
        (CONTAINER, docker_container(ports=[{"internal": 5432, "external": 5432, "ip": "0.0.0.0"}])),
        (CONTAINER, docker_container()),
        "publishes port 5432 on 0.0.0.0: bind it to 127.0.0.1",
    ),
    "docker-no-privilege": (
        (CONTAINER, docker_container(privileged=True, networkMode="host")),
        (CONTAINER, docker_container()),
        "container dictamesh-dev-app is privileged",
    ),
    "docker-pinned-images": (
        ("docker:index/remoteImage:RemoteImage", {"name": "redis:latest"}),
        ("docker:index/remoteImage:RemoteImage", {"name": "redis:7.4.5"}),
        "image redis:latest uses 'latest'",
    ),
    "docker-container-hardening": (
        (CONTAINER, {k: v for k, v in docker_container().items() if k != "healthcheck"}),
        (CONTAINER, {k: v for k, v in docker_container(mustRun=False, restart="no").items() if k != "healthcheck"}),
        "container dictamesh-dev-app has no healthcheck",
    ),
    "docker-no-secret-env": (
        (CONTAINER, docker_container(envs=["REDIS_PASSWORD=hunter2"])),
        (CONTAINER, docker_container()),
        "sets REDIS_PASSWORD as an env literal",
    ),
    "generated-password-strength": (
        ("random:index/randomPassword:RandomPassword", {"length": 16, "special": False}),
        ("random:index/randomPassword:RandomPassword", {"length": 32, "special": False}),
        "password subject has 16 characters: generate at least 24",
    ),
}


def by_name(name: str) -> Policy:
    return next(policy for policy in ALL_POLICIES if policy.name == name)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_resource_policy_reports_the_violation_and_passes_the_compliant(name: str) -> None:
    bad, good, words = CASES[name]
    policy = by_name(name)
    found = violations(policy, resource(bad[0], bad[1]), bad[2] if len(bad) > 2 else None)
    assert any(words in message for message in found), found
    assert violations(policy, resource(good[0], good[1]), good[2] if len(good) > 2 else None) == []


def test_pod_security_names_each_way_a_pod_breaks_restricted() -> None:
    found = violations(
        by_name("k8s-pod-security-restricted"),
        resource(
            DEPLOYMENT,
            workload(
                pod={"hostNetwork": True, "containers": [ROOT], "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
            ),
        ),
    )
    assert any("hostNetwork is true" in m for m in found)
    assert any("volume h uses hostPath" in m for m in found)
    assert any("container app runs as UID 0" in m for m in found)


def test_images_can_be_required_by_digest() -> None:
    policy = by_name("k8s-pinned-images")
    assert violations(policy, resource(DEPLOYMENT, workload()), {"requireDigest": True})
    pinned = container(image="redis@sha256:" + "a" * 64)
    assert (
        violations(policy, resource(DEPLOYMENT, workload(pod={"containers": [pinned]})), {"requireDigest": True}) == []
    )


def test_config_maps_with_credential_keys_are_refused() -> None:
    policy = by_name("k8s-no-secret-literals")
    bad = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": {"db-password": "x"}}
    assert any(
        "ConfigMap key db-password looks like a credential" in m
        for m in violations(policy, resource("kubernetes:core/v1:ConfigMap", bad))
    )
    good = {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": {"redis.conf": "port 6379"}}
    assert violations(policy, resource("kubernetes:core/v1:ConfigMap", good)) == []


def test_passwords_with_url_breaking_characters_are_refused() -> None:
    policy = by_name("generated-password-strength")
    found = violations(policy, resource("random:index/randomPassword:RandomPassword", {"length": 32, "special": True}))
    assert any("characters that break URLs" in m for m in found)
    url_safe = {"length": 32, "special": True, "overrideSpecial": "-_"}
    assert violations(policy, resource("random:index/randomPassword:RandomPassword", url_safe)) == []
    assert violations(
        policy,
        resource("random:index/randomPassword:RandomPassword", {"length": 28, "special": False}),
        {"minLength": 32},
    )


def test_every_policy_has_a_case() -> None:
    resource_policies = {
        p.name
        for p in ALL_POLICIES
        if p.name
        not in {
            "k8s-replicated-workloads-have-budgets",
            "k8s-namespace-default-deny",
            "stateful-resources-protected",
            "event-bus-minimum-brokers",
            "datastores-encrypted-in-transit",
        }
    }
    assert resource_policies == set(CASES)


def test_policies_describe_themselves() -> None:
    for policy in ALL_POLICIES:
        assert policy.description and policy.enforcement_level is not None, policy.name


def test_policies_leave_the_resource_they_read_untouched() -> None:
    props = workload()
    before = copy.deepcopy(props)
    for policy in ALL_POLICIES:
        violations(policy, resource(DEPLOYMENT, props))
    assert props == before


def test_a_malformed_digest_is_not_a_pin() -> None:
    policy = by_name("docker-pinned-images")
    found = violations(policy, resource("docker:index/remoteImage:RemoteImage", {"name": "redis@sha256:abc"}))
    assert found == ["image redis@sha256:abc: a digest is sha256:<64 hex>."]


def test_a_container_image_unknown_in_preview_is_left_to_its_remote_image() -> None:
    """During a preview the engine sends a RemoteImage's image_id as the unknown sentinel; the policy
    framework raises on reading it, and a policy that lets it escape cannot run at all."""
    policy = by_name("docker-pinned-images")
    props = unknown_checking_proxy({**docker_container(), "image": UNKNOWN_STRING_VALUE})
    assert violations(policy, resource(CONTAINER, props)) == []
    named = violations(policy, resource(CONTAINER, docker_container(image="redis:latest")))
    assert named == ["image redis:latest uses 'latest': pin a version tag or a digest."]
