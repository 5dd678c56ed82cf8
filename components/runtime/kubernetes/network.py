"""NetworkPolicies: the namespace denies all traffic; each workload admits the clients it declares."""

from collections.abc import Mapping, Sequence
from typing import Any

from components.model import Workload

Json = dict[str, Any]


def default_deny(namespace: str, labels: Json) -> Json:
    return {
        "metadata": {"name": "default-deny", "namespace": namespace, "labels": labels},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def namespace_egress(namespace: str, labels: Json, dns_ip_blocks: Sequence[str]) -> Json:
    """Pods may resolve names and open connections inside the namespace; ingress rules there decide the rest.

    DNS servers that run on the host network (NodeLocal DNSCache, a cloud's metadata DNS) have no pod
    to select: they are admitted by address.
    """
    dns_ports = [{"protocol": protocol, "port": 53} for protocol in ("UDP", "TCP")]
    dns_peers: list[Json] = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]
    dns_peers += [{"ipBlock": {"cidr": cidr}} for cidr in dns_ip_blocks]
    return {
        "metadata": {"name": "allow-egress-dns-and-namespace", "namespace": namespace, "labels": labels},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": dns_peers, "ports": dns_ports}, {"to": [{"podSelector": {}}]}],
        },
    }


def allow_clients(
    workload: Workload, namespace: str, labels: Json, selector: Json, client_namespaces: Mapping[str, str]
) -> Json | None:
    """One ingress rule per set of clients, each opening only the ports that set may reach.

    A client named in `client_namespaces` is also admitted from that namespace (a cluster-wide
    Prometheus in `monitoring`, say), selected there by the same app.kubernetes.io/name.
    """
    rules: dict[tuple[str, ...], list[int]] = {}
    for port in workload.ports:
        clients = tuple(sorted(set(workload.clients if port.clients is None else port.clients)))
        if clients:
            rules.setdefault(clients, []).append(port.port)
    if not rules:
        return None
    return {
        "metadata": {"name": f"{workload.name}-clients", "namespace": namespace, "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": _peers(clients, client_namespaces),
                    "ports": [{"protocol": "TCP", "port": port} for port in ports],
                }
                for clients, ports in rules.items()
            ],
        },
    }


API_SERVER_PORTS = (443, 6443)  # the kubernetes Service's port, and the API server's own behind it (kubeadm)


def allow_egress(
    workload: Workload, namespace: str, labels: Json, selector: Json, api_server: Sequence[str] = ()
) -> Json | None:
    """Connections out of the platform (webhooks, chat, SMTP), into other namespaces (an application's
    metrics) and to the API server's addresses (a workload that watches it), on those ports only."""
    rules: list[Json] = []
    if api_server:
        rules.append(
            {
                "to": [{"ipBlock": {"cidr": cidr}} for cidr in api_server],
                "ports": [{"protocol": "TCP", "port": port} for port in API_SERVER_PORTS],
            }
        )
    if workload.egress_ports:
        rules.append(
            {
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
                "ports": [{"protocol": "TCP", "port": port} for port in sorted(set(workload.egress_ports))],
            }
        )
    for other, ports in sorted(workload.egress_namespaces.items()):
        if other != namespace:  # its own namespace lets every pod out already (namespace_egress)
            rules.append(
                {
                    "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": other}}}],
                    "ports": [{"protocol": "TCP", "port": port} for port in sorted(set(ports))],
                }
            )
    if not rules:
        return None
    return {
        "metadata": {"name": f"{workload.name}-egress", "namespace": namespace, "labels": labels},
        "spec": {"podSelector": {"matchLabels": selector}, "policyTypes": ["Egress"], "egress": rules},
    }


def _peers(clients: Sequence[str], client_namespaces: Mapping[str, str]) -> list[Json]:
    """`*`: every workload of the namespace, and every client named in `client_namespaces` in its own."""
    if "*" in clients:
        return [{"podSelector": {}}, *_remote(sorted(client_namespaces), client_namespaces)]
    local: Json = {
        "podSelector": {
            "matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": list(clients)}]
        }
    }
    return [local, *_remote(clients, client_namespaces)]


def _remote(clients: Sequence[str], client_namespaces: Mapping[str, str]) -> list[Json]:
    return [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": client_namespaces[client]}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": client}},
        }
        for client in clients
        if client in client_namespaces
    ]
