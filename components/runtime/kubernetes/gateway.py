"""The Gateway the UIs' routes attach to: read from the cluster, never managed by the stack.

Its listener's protocol is the cluster's fact, not a setting: each HTTPRoute carries it, as read, in
`LISTENER_PROTOCOL`, where the `k8s-exposure-tls` policy checks it, and the program refuses a listener that
is missing or serves anything but HTTPS before it attaches a route.
"""

from typing import Any

import pulumi

from components.runtime.kubernetes.settings import GatewayRef

API_VERSION = "gateway.networking.k8s.io/v1"
LISTENER_PROTOCOL = "dictamesh.io/gateway-listener-protocol"
SERVED = "HTTPS"  # an HTTPRoute attaches to HTTP or HTTPS listeners alone (Gateway API v1.4.0)


class _LiveGateway(pulumi.CustomResource):
    """A read of the Gateway. pulumi-kubernetes' `CustomResource.get` registers no property, so its read
    would resolve no `spec`; naming the properties here makes the read's state reach the program. Once the
    inputs name the kind, the provider (4.32.0) finds the object by their metadata, not by the ID."""

    spec: pulumi.Output[Any]

    def __init__(self, gateway: GatewayRef, opts: pulumi.ResourceOptions) -> None:
        metadata = {"name": gateway.name, "namespace": gateway.namespace}
        props = {"apiVersion": API_VERSION, "kind": "Gateway", "metadata": metadata, "spec": None}
        read = pulumi.ResourceOptions(id=f"{gateway.namespace}/{gateway.name}")
        super().__init__(
            f"kubernetes:{API_VERSION}:Gateway",
            f"gateway-{gateway.namespace}-{gateway.name}",
            props,
            pulumi.ResourceOptions.merge(opts, read),
        )


def listener_protocol(spec: Any, gateway: GatewayRef) -> str:
    """The protocol of the listener the routes attach to; a missing or plain listener is refused."""
    listeners = {str(each.get("name")): str(each.get("protocol")) for each in (spec or {}).get("listeners") or []}
    where = f"Gateway {gateway.namespace}/{gateway.name}"
    found = ", ".join(f"{name} ({protocol})" for name, protocol in sorted(listeners.items())) or "none"
    protocol = listeners.get(gateway.listener)
    if protocol is None:
        raise pulumi.RunError(
            f"kubernetes.exposure.gateway.listener = {gateway.listener!r}: {where} has no listener of that name; "
            f"its listeners: {found}"
        )
    if protocol != SERVED:
        raise pulumi.RunError(
            f"kubernetes.exposure.gateway.listener = {gateway.listener!r}: {where} serves it over {protocol}, and the "
            f"UIs carry sign-ins and passwords: name a listener with protocol {SERVED} (its listeners: {found})"
        )
    return protocol


def served_protocol(gateway: GatewayRef, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """The protocol the routes' listener serves, as the cluster says at this run."""
    return _LiveGateway(gateway, opts).spec.apply(lambda spec: listener_protocol(spec, gateway))
