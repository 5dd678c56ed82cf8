"""Guardrails for what is reachable from outside a cluster: TLS where required, no wildcard hosts."""

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policies.common import config, resource_policy

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ROUTE_KIND = "HTTPRoute"  # gateway.networking.k8s.io/v1, registered as a CustomResource

TLS_DEFAULTS: dict[str, Any] = {"requireTls": False}
# the protocol of the Gateway listener a route attaches to, as the program read it from the Gateway
# (components/runtime/kubernetes/gateway.py): a policy sees the route alone, never the Gateway
LISTENER_PROTOCOL = "dictamesh.io/gateway-listener-protocol"


def _route(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """The HTTPRoute's spec, whichever way the provider names the custom resource's type."""
    props = args.props
    if props.get("kind") == ROUTE_KIND and str(props.get("apiVersion", "")).startswith("gateway.networking.k8s.io/"):
        spec: Mapping[str, Any] = props.get("spec") or {}
        return spec
    return None


def _hosts(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == INGRESS:
        spec = args.props.get("spec") or {}
        yield from (rule.get("host", "") for rule in spec.get("rules") or [])
        yield from (host for tls in spec.get("tls") or [] for host in tls.get("hosts") or [])
    elif (route := _route(args)) is not None:
        yield from route.get("hostnames") or []


def _tls(args: ResourceValidationArgs, report: ReportViolation) -> None:
    settings = config(args.get_config(), TLS_DEFAULTS)
    if not settings["requireTls"]:
        return
    name = (args.props.get("metadata") or {}).get("name")
    if args.resource_type == INGRESS:
        spec = args.props.get("spec") or {}
        covered = {host for tls in spec.get("tls") or [] for host in tls.get("hosts") or []}
        plain = [rule.get("host", "*") for rule in spec.get("rules") or [] if rule.get("host") not in covered]
        if plain:
            report(f"Ingress {name} serves {', '.join(plain)} without TLS: set kubernetes.exposure.tls.", None)
    elif _route(args) is not None:
        protocol = ((args.props.get("metadata") or {}).get("annotations") or {}).get(LISTENER_PROTOCOL)
        if protocol != "HTTPS":
            said = f"says {protocol}" if protocol else "is not said"
            report(
                f"HTTPRoute {name}: the protocol of its Gateway listener {said} (annotation {LISTENER_PROTOCOL}, "
                "read from the Gateway); attach it to an HTTPS listener: kubernetes.exposure.gateway.listener.",
                None,
            )


def _wildcards(args: ResourceValidationArgs, report: ReportViolation) -> None:
    wild = [host for host in _hosts(args) if not host or "*" in host]
    if wild:
        name = (args.props.get("metadata") or {}).get("name")
        shown = ", ".join(host or "(any host)" for host in wild)
        report(f"{name} answers for {shown}: name each host (kubernetes.exposure.domain or hosts).", None)


POLICIES = [
    resource_policy(
        "k8s-exposure-tls",
        "Where the stack's config requires it (prod), Ingresses and HTTPRoutes serve their hosts over TLS.",
        _tls,
        TLS_DEFAULTS,
    ),
    resource_policy(
        "k8s-no-wildcard-hosts", "Ingresses and HTTPRoutes name their hosts; no wildcard or catch-all.", _wildcards
    ),
]
