"""NetworkPolicies: the namespace denies all traffic; each workload admits the clients it declares."""

from typing import Any

from components.model import Workload

Json = dict[str, Any]


def default_deny(namespace: str, labels: Json) -> Json:
    return {
        "metadata": {"name": "default-deny", "namespace": namespace, "labels": labels},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def namespace_egress(namespace: str, labels: Json) -> Json:
    """Pods may resolve names and open connections inside the namespace; ingress rules there decide the rest."""
    dns_ports = [{"protocol": protocol, "port": 53} for protocol in ("UDP", "TCP")]
    return {
        "metadata": {"name": "allow-egress-dns-and-namespace", "namespace": namespace, "labels": labels},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                    "ports": dns_ports,
                },
                {"to": [{"podSelector": {}}]},
            ],
        },
    }


def allow_clients(workload: Workload, namespace: str, labels: Json, selector: Json) -> Json | None:
    if not workload.clients or not workload.ports:
        return None
    return {
        "metadata": {"name": f"{workload.name}-clients", "namespace": namespace, "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {
                            "podSelector": {
                                "matchExpressions": [
                                    {
                                        "key": "app.kubernetes.io/name",
                                        "operator": "In",
                                        "values": sorted(workload.clients),
                                    }
                                ]
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": port.port} for port in workload.ports],
                }
            ],
        },
    }
