"""cert-manager objects for TLS between workloads: the issuer, and one Certificate per TLS server.

cert-manager v1.21.1 (`pkg/apis/certmanager/v1/types_certificate.go`): a Certificate's `usages` default
to digital signature and key encipherment, without `server auth`, so they are named; `ca.crt` lands in
every Secret a CA or self-signed issuer signs, which is what clients mount. cert-manager rewrites the
Secret on renewal and signals no one: the kubelet refreshes the mounted files (no subPath), and each
server takes them up itself or is told to by its component.
"""

from typing import Any

from components.model import Workload
from components.runtime.kubernetes.settings import InTransit

Json = dict[str, Any]
API_VERSION = "cert-manager.io/v1"
SELF_SIGNED_ISSUER = "dictamesh-selfsigned"
CA = "dictamesh-ca"  # the stack's own CA: its Certificate, its Secret and the Issuer that signs with it
# leaves are not re-issued when the CA is, so it lives long and keeps its key: clients keep trusting it
CA_DURATION, CA_RENEW_BEFORE = "87600h", "8760h"


def secret_name(workload: str) -> str:
    """The Secret a TLS server's certificate is issued into."""
    return f"{workload}-tls"


def issuer_ref(tls: InTransit) -> Json:
    if tls.cluster_issuer:
        return {"name": tls.cluster_issuer, "kind": "ClusterIssuer", "group": "cert-manager.io"}
    return {"name": CA, "kind": "Issuer", "group": "cert-manager.io"}


def ca_chain(namespace: str, labels: Json) -> list[Json]:
    """A self-signed Issuer, the CA Certificate it signs, and the CA Issuer that signs every server's."""

    def meta(name: str) -> Json:
        return {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": name, **labels}}

    return [
        {
            "apiVersion": API_VERSION,
            "kind": "Issuer",
            "metadata": meta(SELF_SIGNED_ISSUER),
            "spec": {"selfSigned": {}},
        },
        {
            "apiVersion": API_VERSION,
            "kind": "Certificate",
            "metadata": meta(CA),
            "spec": {
                "isCA": True,
                "commonName": f"{namespace} CA",
                "secretName": CA,
                "duration": CA_DURATION,
                "renewBefore": CA_RENEW_BEFORE,
                "privateKey": {"algorithm": "RSA", "size": 3072, "rotationPolicy": "Never"},
                "usages": ["cert sign", "crl sign", "digital signature"],
                "issuerRef": {"name": SELF_SIGNED_ISSUER, "kind": "Issuer", "group": "cert-manager.io"},
            },
        },
        {
            "apiVersion": API_VERSION,
            "kind": "Issuer",
            "metadata": meta(CA),
            "spec": {"ca": {"secretName": CA}},
        },
    ]


def dns_names(workload: Workload, namespace: str) -> list[str]:
    """Every name a client may dial: the Service in its short, namespace and cluster-local forms, and
    each replica under its headless Service."""
    service = [workload.name, f"{workload.name}.{namespace}", f"{workload.name}.{namespace}.svc"]
    names = [*service, f"{service[-1]}.cluster.local"]
    if workload.stateful:
        for ordinal in range(workload.replicas):
            replica = f"{workload.name}-{ordinal}.{workload.name}.{namespace}.svc"
            names += [replica, f"{replica}.cluster.local"]
    return names


def server_certificate(workload: Workload, namespace: str, labels: Json, tls: InTransit) -> Json:
    return {
        "apiVersion": API_VERSION,
        "kind": "Certificate",
        "metadata": {"name": secret_name(workload.name), "namespace": namespace, "labels": labels},
        "spec": {
            "secretName": secret_name(workload.name),
            "secretTemplate": {"labels": labels},
            "commonName": workload.name,
            "dnsNames": dns_names(workload, namespace),
            "duration": tls.certificate_lifetime,
            "renewBefore": tls.renew_before,
            "privateKey": {"algorithm": "RSA", "size": 2048, "rotationPolicy": "Always"},
            "usages": ["server auth", "digital signature", "key encipherment"],
            "issuerRef": issuer_ref(tls),
        },
    }
