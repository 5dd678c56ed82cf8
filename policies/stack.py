"""Guardrails over the whole stack: budgets, default-deny, protected state, a quorum of brokers."""

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
)

from policies import listeners
from policies.common import config, stack_policy

REPLICATED = {"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"}
STATEFUL = {
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:core/v1:PersistentVolumeClaim",
    "docker:index/volume:Volume",
}


def _namespace(resource: PolicyResource) -> Any:
    return (resource.props.get("metadata") or {}).get("namespace")


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    match = selector.get("matchLabels") or {}
    return bool(match) and all(labels.get(key) == value for key, value in match.items())


def _budgets(args: StackValidationArgs, report: ReportViolation) -> None:
    budgets = [r for r in args.resources if r.resource_type == "kubernetes:policy/v1:PodDisruptionBudget"]
    for workload in (r for r in args.resources if r.resource_type in REPLICATED):
        spec = workload.props.get("spec") or {}
        if (spec.get("replicas") or 1) <= 1:
            continue
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        covered = (
            _namespace(b) == _namespace(workload)
            and _selects((b.props.get("spec") or {}).get("selector") or {}, labels)
            for b in budgets
        )
        if not any(covered):
            report(
                f"{workload.name} runs {int(spec['replicas'])} replicas with no PodDisruptionBudget selecting them: "
                "a node drain could take them all down.",
                workload.urn,
            )


def _is_default_deny(policy: PolicyResource) -> bool:
    spec = policy.props.get("spec") or {}
    return spec.get("podSelector") == {} and "Ingress" in (spec.get("policyTypes") or []) and not spec.get("ingress")


def _default_deny(args: StackValidationArgs, report: ReportViolation) -> None:
    policies = [r for r in args.resources if r.resource_type == "kubernetes:networking.k8s.io/v1:NetworkPolicy"]
    for namespace in (r for r in args.resources if r.resource_type == "kubernetes:core/v1:Namespace"):
        name = (namespace.props.get("metadata") or {}).get("name")
        if not any(_namespace(p) == name and _is_default_deny(p) for p in policies):
            report(
                f"namespace {name} has no default-deny NetworkPolicy (empty podSelector, Ingress, no rules).",
                namespace.urn,
            )


def _protected(args: StackValidationArgs, report: ReportViolation) -> None:
    for resource in args.resources:
        if resource.resource_type in STATEFUL and not resource.opts.protect:
            report(
                f"{resource.resource_type.rsplit(':', 1)[-1]} {resource.name} holds state but is not protected: "
                "`pulumi destroy` or a replacement would delete its data. Set protect=True.",
                resource.urn,
            )


CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


def _encrypted(args: StackValidationArgs, report: ReportViolation) -> None:
    issued = {
        (_namespace(c), (c.props.get("spec") or {}).get("secretName"))
        for c in args.resources
        if c.resource_type == CERTIFICATE
    }
    config_maps = {
        (_namespace(c), (c.props.get("metadata") or {}).get("name")): c.props.get("data") or {}
        for c in args.resources
        if c.resource_type == CONFIG_MAP
    }
    for resource in args.resources:
        labels = (resource.props.get("metadata") or {}).get("labels") or {}
        name = labels.get("app.kubernetes.io/name")
        if resource.resource_type != "kubernetes:apps/v1:StatefulSet" or name not in listeners.READERS:
            continue
        template = ((resource.props.get("spec") or {}).get("template") or {}).get("spec") or {}
        volumes = template.get("volumes") or []
        mounted = {(v.get("secret") or {}).get("secretName") for v in volumes}
        if not any((_namespace(resource), secret) in issued for secret in mounted):
            report(
                f"{name} serves without TLS: its pods mount no certificate that a cert-manager Certificate of "
                "the stack issues. Set kubernetes.tls.enabled to true (the cluster needs cert-manager).",
                resource.urn,
            )
            continue
        files: dict[str, str] = {}
        for volume in volumes:
            files |= config_maps.get((_namespace(resource), (volume.get("configMap") or {}).get("name")), {})
        container_args = [str(a) for c in template.get("containers") or [] for a in c.get("args") or []]
        for plain in listeners.READERS[name](files, container_args):
            report(f"{name} takes plain text beside TLS: {plain}.", resource.urn)


BROKER_DEFAULTS = {"minBrokers": 3}


def _brokers(args: StackValidationArgs, report: ReportViolation) -> None:
    minimum = config(args.get_config(), BROKER_DEFAULTS)["minBrokers"]
    for resource in args.resources:
        if resource.resource_type == "kubernetes:apps/v1:StatefulSet" and resource.name == "redpanda":
            brokers = int((resource.props.get("spec") or {}).get("replicas") or 1)
            break
    else:
        labels = [
            {label.get("label"): label.get("value") for label in r.props.get("labels") or []}
            for r in args.resources
            if r.resource_type == "docker:index/container:Container"
        ]
        brokers = sum(1 for label in labels if label.get("dev.dictamesh.workload") == "redpanda")
        if not brokers:
            return
    if brokers < minimum:
        report(f"the event bus runs {brokers} brokers: at least {minimum} keep it available when one fails.", None)


POLICIES = [
    stack_policy(
        "k8s-replicated-workloads-have-budgets",
        "Every replicated Deployment or StatefulSet has a PodDisruptionBudget.",
        _budgets,
    ),
    stack_policy("k8s-namespace-default-deny", "Every namespace has a default-deny NetworkPolicy.", _default_deny),
    stack_policy(
        "stateful-resources-protected",
        "StatefulSets, claims and docker volumes are protected (enforced in prod).",
        _protected,
    ),
    stack_policy(
        "datastores-encrypted-in-transit",
        "PostgreSQL, Redis and Redpanda on Kubernetes serve TLS alone, with a certificate of the stack (enforced in "
        "prod).",
        _encrypted,
    ),
    stack_policy(
        "event-bus-minimum-brokers",
        "The event bus runs at least a quorum-capable number of brokers.",
        _brokers,
        BROKER_DEFAULTS,
    ),
]
