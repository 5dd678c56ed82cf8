"""Ingress or HTTPRoute objects for the UIs a stack exposes, and the NetworkPolicies that admit the
controller's namespace to them (or to the login proxies in front of them), and nothing broader."""

from typing import Any

import pulumi

from components.model import WebUi
from components.runtime.kubernetes.gateway import LISTENER_PROTOCOL
from components.runtime.kubernetes.settings import Exposure, GatewayRef

Json = dict[str, Any]


def ingress(ui: WebUi, exposure: Exposure, namespace: str, labels: Json) -> Json:
    host = exposure.host(ui.name)
    # `up` does not wait for the controller to publish an address: many never do (Traefik without a published
    # service, a controller on the host network), and the provider would then fail the update after 10 minutes
    annotations: Json = {"pulumi.com/skipAwait": "true"}
    if exposure.tls.cluster_issuer:
        annotations["cert-manager.io/cluster-issuer"] = exposure.tls.cluster_issuer
    spec: Json = {
        "ingressClassName": exposure.ingress_class,
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": route.path,
                            "pathType": "Prefix",
                            "backend": {"service": {"name": route.workload, "port": {"number": route.port}}},
                        }
                        for route in ui.routes
                    ]
                },
            }
        ],
    }
    if exposure.tls.enabled:
        spec["tls"] = [{"hosts": [host], "secretName": exposure.tls.secret_name or f"{ui.name}-tls"}]
    metadata: Json = {"name": f"{ui.name}-ui", "namespace": namespace, "labels": labels, "annotations": annotations}
    return {"metadata": metadata, "spec": spec}


def http_route(
    ui: WebUi, exposure: Exposure, gateway: GatewayRef, namespace: str, labels: Json, *, protocol: pulumi.Input[str]
) -> Json:
    """`protocol`: the listener's, as read from the Gateway (gateway.py)."""
    metadata = {"name": f"{ui.name}-ui", "namespace": namespace, "labels": labels}
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {**metadata, "annotations": {LISTENER_PROTOCOL: protocol}},
        "spec": {
            "parentRefs": [
                {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "name": gateway.name,
                    "namespace": gateway.namespace,
                    "sectionName": gateway.listener,
                }
            ],
            "hostnames": [exposure.host(ui.name)],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": route.path}}],
                    "backendRefs": [{"name": route.workload, "port": route.port}],
                }
                for route in ui.routes
            ],
        },
    }


# cert-manager v1.21.1 (pkg/issuer/acme/http/pod.go): the ACME HTTP-01 solver pod's label and port
HTTP01_SOLVER_LABEL = "acme.cert-manager.io/http01-solver"
HTTP01_SOLVER_PORT = 8089


def controller_peers(exposure: Exposure) -> list[Json]:
    """The controller's namespace, and the addresses of proxies that no namespace selects."""
    peers: list[Json] = [{"ipBlock": {"cidr": cidr}} for cidr in exposure.controller_ip_blocks]
    if exposure.controller_namespace:
        peers.insert(
            0, {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": exposure.controller_namespace}}}
        )
    return peers


def admission(metadata: Json, pods: Json, ports: list[int], exposure: Exposure) -> Json:
    return {
        "metadata": metadata,
        "spec": {
            "podSelector": {"matchLabels": pods},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": controller_peers(exposure), "ports": [{"protocol": "TCP", "port": port} for port in ports]}
            ],
        },
    }


def _routed_ports(ui: WebUi) -> list[tuple[str, list[int]]]:
    ports: dict[str, set[int]] = {}
    for route in ui.routes:
        ports.setdefault(route.workload, set()).add(route.port)
    return [(workload, sorted(numbers)) for workload, numbers in sorted(ports.items())]


def admit_controller(ui: WebUi, exposure: Exposure, namespace: str, labels: Json, instance: str) -> list[Json]:
    """One policy per workload behind the UI, opening only the routed ports to the controller."""
    source = exposure.controller_namespace or "controller-ips"
    return [
        admission(
            {"name": f"{workload}-from-{source}", "namespace": namespace, "labels": labels},
            {"app.kubernetes.io/name": workload, "app.kubernetes.io/instance": instance},
            numbers,
            exposure,
        )
        for workload, numbers in _routed_ports(ui)
    ]


def admit_login(ui: WebUi, proxy: str, namespace: str, labels: Json, instance: str) -> list[Json]:
    """The UI's login proxy reaches the routed ports of the UI's workloads."""
    proxies = [
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": proxy, "app.kubernetes.io/instance": instance}}}
    ]
    return [
        {
            "metadata": {"name": f"{workload}-from-{proxy}", "namespace": namespace, "labels": labels},
            "spec": {
                "podSelector": {
                    "matchLabels": {"app.kubernetes.io/name": workload, "app.kubernetes.io/instance": instance}
                },
                "policyTypes": ["Ingress"],
                "ingress": [{"from": proxies, "ports": [{"protocol": "TCP", "port": port} for port in numbers]}],
            },
        }
        for workload, numbers in _routed_ports(ui)
    ]


def admit_http01_solver(exposure: Exposure, namespace: str, labels: Json) -> Json:
    """The controller reaches the solver pods that cert-manager starts here while a certificate is issued."""
    pods = {HTTP01_SOLVER_LABEL: "true"}
    metadata = {"name": "acme-http01-solver", "namespace": namespace, "labels": labels}
    return admission(metadata, pods, [HTTP01_SOLVER_PORT], exposure)


def url(ui: str, exposure: Exposure) -> str:
    return f"https://{exposure.host(ui)}/"  # the settings refuse an exposure without TLS
