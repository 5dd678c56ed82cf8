"""The namespace a stack of this program owns, made before any workload: Pod Security `restricted`, a
default-deny network, the quota and container defaults, and the stack's own CA when it issues certificates.

A component deployed alone (components/public/) gets none of this: it goes into a namespace its owner made.
"""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.runtime.kubernetes import certificates, network, quota
from components.settings import Settings

Json = dict[str, Any]


def platform_labels(instance: str) -> Json:
    """The labels every object of one deployment of DictaMesh carries."""
    return {
        "app.kubernetes.io/instance": instance,
        "app.kubernetes.io/part-of": "dictamesh",
        "app.kubernetes.io/managed-by": "pulumi",
    }


def custom_object(name: str, manifest: Json, opts: pulumi.ResourceOptions) -> pulumi.Resource:
    """An object of a custom resource type (an HTTPRoute, a cert-manager Certificate) from its manifest."""
    return k8s.apiextensions.CustomResource(
        name,
        api_version=manifest["apiVersion"],
        kind=manifest["kind"],
        metadata=manifest["metadata"],
        spec=manifest["spec"],
        opts=opts,
    )


def stack_provider(settings: Settings) -> k8s.Provider:
    """The stack's kubernetes provider: its kubeconfig context, or manifests written to a folder."""
    render_dir = settings.kubernetes.render_dir
    if render_dir:
        pulumi.log.warn(f"rendering manifests to {render_dir}: Secrets are written there in plain text")
    return k8s.Provider("kubernetes", context=settings.kubernetes.context, render_yaml_to_directory=render_dir)


def prepare(
    settings: Settings, provider: pulumi.ProviderResource
) -> tuple[list[pulumi.Resource], list[pulumi.Resource]]:
    """Creates the stack's namespace and what guards it; returns (the namespace, the stack's CA Issuer if any)."""
    labels = platform_labels(f"dictamesh-{settings.stack}")
    pod_security = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
    namespace = k8s.core.v1.Namespace(
        "namespace",
        metadata={"name": settings.namespace, "labels": {**pod_security, **labels}},
        # deleting a namespace deletes every claim in it
        opts=pulumi.ResourceOptions(provider=provider, protect=settings.protect),
    )
    opts = pulumi.ResourceOptions(provider=provider, depends_on=[namespace])
    for policy in (
        network.default_deny(settings.namespace, labels),
        network.namespace_egress(settings.namespace, labels, settings.kubernetes.dns_ip_blocks),
    ):
        k8s.networking.v1.NetworkPolicy(policy["metadata"]["name"], **policy, opts=opts)
    k8s.core.v1.ResourceQuota("quota", **quota.resource_quota(settings, labels), opts=opts)
    k8s.core.v1.LimitRange("limit-range", **quota.limit_range(settings.namespace, labels), opts=opts)
    tls = settings.kubernetes.tls
    issuer: list[pulumi.Resource] = []
    if tls.enabled and not tls.cluster_issuer:
        ca_labels = {"app.kubernetes.io/component": "certificates", **labels}
        parent = pulumi.ComponentResource("dictamesh:platform:CertificateAuthority", "certificate-authority")
        for manifest in certificates.ca_chain(settings.namespace, ca_labels):
            name = f"{manifest['kind'].lower()}-{manifest['metadata']['name']}"
            chained = pulumi.ResourceOptions(parent=parent, depends_on=issuer)
            issuer = [custom_object(name, manifest, pulumi.ResourceOptions.merge(opts, chained))]
    return [namespace], issuer
