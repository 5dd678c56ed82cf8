"""Settings of the Kubernetes target (`dictamesh:kubernetes`): cluster, namespace, network, exposure,
quota and placement."""

import re
from typing import Annotated, Any, Literal, Self, cast

from pydantic import Field, model_validator

from components.change import OnChange
from components.fields import Cpu, DnsLabel, Memory, Section, matching
from components.login.settings import Login
from components.runtime.kubernetes import tls_reload
from components.sentry.topology import STATEFUL as STATEFUL_SENTRY

Cidr = Annotated[
    str,
    matching(r"([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}", "an IPv4 CIDR block such as 169.254.20.10/32"),
]
Hostname = Annotated[
    str,
    matching(
        r"([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
        "a DNS name such as dictamesh.example.com, without wildcards",
    ),
]
SELF_SIGNED = "selfSigned"
IssuerName = Annotated[
    str,
    matching(
        rf"{SELF_SIGNED}|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        f"{SELF_SIGNED}, or a ClusterIssuer's name (lower-case letters, digits, '-' and '.')",
    ),
]
Lifetime = Annotated[
    str,
    matching(r"[1-9][0-9]*h([0-9]+m)?|[1-9][0-9]*m", "hours and minutes as cert-manager takes them: 2160h, 90m"),
]
# the reload jobs (tls_reload.py) run hourly: a renewal leaves them this long to make PostgreSQL and Redis serve it,
# three runs and more, before the old certificate expires
RENEWAL_MINIMUM_SECONDS = 3 * tls_reload.PERIOD_SECONDS


def seconds(lifetime: Lifetime) -> int:
    found = re.fullmatch(r"(?:([0-9]+)h)?(?:([0-9]+)m)?", lifetime)
    hours, minutes = found.groups() if found else (None, None)
    return int(hours or 0) * 3600 + int(minutes or 0) * 60


# the web UIs a stack can expose; those without a login of their own are exposed behind the stack's
Ui = Literal["grafana", "console", "jaeger", "prometheus", "alertmanager", "sentry"]
LOGIN_UIS = ("grafana", "sentry")  # UIs with their own login; the others sit behind the stack's (components/login)
STATEFUL_WORKLOADS = (
    "postgres",
    "postgres-backup",
    "redis",
    "redpanda",
    "prometheus",
    "alertmanager",
    "grafana",
    "jaeger",
    *STATEFUL_SENTRY,
)


class Tls(Section):
    """The exposed UIs' certificate, in ingress mode: issued by cert-manager, or a Secret that exists."""

    cluster_issuer: str | None = Field(
        default=None, description="cert-manager ClusterIssuer that issues the certificates"
    )
    secret_name: str | None = Field(default=None, description="an existing TLS Secret in the namespace instead")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if self.cluster_issuer and self.secret_name:
            raise ValueError("clusterIssuer, secretName: set one, not both")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.cluster_issuer or self.secret_name)


class InTransit(Section):
    """TLS between the workloads: every datastore listener, certificates from cert-manager."""

    enabled: Annotated[
        bool,
        OnChange(
            "rolling",
            "none",
            "each TLS server restarts once, then its clients; the brokers' RPC switches for all of them at once: a "
            "short outage of the event bus",
        ),
    ] = Field(
        default=True, description="false: plain text, for a cluster without cert-manager (the prod policy refuses it)"
    )
    issuer: Annotated[
        IssuerName,
        OnChange(
            "live",
            "none",
            "the certificates are issued again and the servers read them (Redpanda itself, PostgreSQL and Redis at "
            "their reload job's next run); the Console trusts a new CA after its restart",
        ),
    ] = Field(
        default="selfSigned",
        description="selfSigned: a CA of the stack's own in its namespace; else the name of a cert-manager "
        "ClusterIssuer that puts its CA in the Secrets it issues (ca.crt), as CA and Vault issuers do",
    )

    certificate_lifetime: Annotated[
        Lifetime,
        OnChange(
            "live",
            "none",
            "cert-manager issues every server's certificate again at once (the request no longer matches); Redpanda "
            "serves it by itself, PostgreSQL and Redis within the hour, at their reload job's next run",
        ),
    ] = Field(default="2160h", description="how long a server's certificate is valid (cert-manager's duration)")
    renew_before: Annotated[
        Lifetime,
        OnChange("live", "none", "the next renewal of each certificate comes when this much of it is left"),
    ] = Field(
        default="720h",
        description="how long before it expires a certificate is renewed; at least 3h, which leaves the hourly "
        "reload jobs three runs to make PostgreSQL and Redis serve the renewal",
    )

    @model_validator(mode="after")
    def _renewal_served_in_time(self) -> Self:
        lifetime, renew = seconds(self.certificate_lifetime), seconds(self.renew_before)
        if renew < RENEWAL_MINIMUM_SECONDS:
            raise ValueError(
                f"renewBefore = {self.renew_before!r}: PostgreSQL and Redis are told to read a renewed certificate "
                f"by an hourly job; renew at least {RENEWAL_MINIMUM_SECONDS // 3600}h before expiry, so three runs "
                "come before the old one expires"
            )
        if lifetime <= renew:
            raise ValueError(
                f"certificateLifetime = {self.certificate_lifetime!r}, renewBefore = {self.renew_before!r}: the "
                "lifetime must be longer than renewBefore (cert-manager refuses the Certificate otherwise)"
            )
        return self

    @property
    def cluster_issuer(self) -> str | None:
        return None if self.issuer == SELF_SIGNED else self.issuer


def retired(values: Any, key: str, why: str) -> Any:
    """A key no longer read is refused with the reason, not silently ignored."""
    if isinstance(values, dict) and key in values:
        raise ValueError(f"{key}: no longer read: {why}; remove the key")
    return values


class GatewayRef(Section):
    """A Gateway that exists, which the UIs' HTTPRoutes attach to."""

    name: DnsLabel = Field(description="the Gateway's name")
    namespace: DnsLabel = Field(description="the Gateway's namespace")
    listener: str = Field(
        default="https",
        description="the Gateway listener (sectionName) routes attach to; its protocol is read from the Gateway "
        "at each run and must be HTTPS",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_scheme(cls, values: Any) -> Any:
        return retired(values, "scheme", "the listener's protocol is read from the Gateway itself")


class Exposure(Section):
    """How the UIs are reached from outside the cluster: an Ingress or an HTTPRoute per UI, those without a login
    of their own behind a sign-in proxy."""

    mode: Literal["none", "ingress", "gateway"] = Field(
        default="none",
        description="none: the UIs stay inside the cluster; ingress: an Ingress per UI; gateway: an "
        "HTTPRoute per UI on a Gateway",
    )
    domain: Hostname | None = Field(default=None, description="each UI is served at <ui>.<domain>")
    hosts: dict[Ui, Hostname] = Field(default_factory=dict, description="a host per UI, instead of <ui>.<domain>")
    ingress_class: str | None = Field(default=None, description="ingress mode: the IngressClass (any controller)")
    gateway: GatewayRef | None = Field(default=None, description="gateway mode: the Gateway routes attach to")
    tls: Tls = Tls()
    controller_namespace: DnsLabel | None = Field(
        default=None, description="namespace of the ingress controller or gateway, admitted to the exposed UIs"
    )
    controller_ip_blocks: list[Cidr] = Field(
        default_factory=list,
        description="addresses of proxies no namespace selects (host-network controllers, cloud load "
        "balancers' proxies), admitted besides controllerNamespace; the login proxies trust their X-Forwarded "
        "headers",
    )
    uis: list[Ui] = Field(default=["grafana", "console", "jaeger"], description="the UIs to expose")
    login: Login = Field(
        default=Login(),
        description="the sign-in in front of the UIs without one (console, jaeger, prometheus, alertmanager)",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_controller(cls, values: Any) -> Any:
        why = "the UIs without a login sit behind the stack's own login proxy, on any controller"
        return retired(values, "controller", why)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.mode == "none":
            return self
        missing = [ui for ui in self.uis if ui not in self.hosts and not self.domain]
        if missing:
            raise ValueError(f"domain: required to name the hosts of {', '.join(missing)} (or set hosts.<ui>)")
        if not self.controller_namespace and not self.controller_ip_blocks:
            # a Gateway's data plane often runs in its controller's namespace (envoy-gateway-system), not the
            # Gateway's: guessing admits the wrong one and every route times out
            raise ValueError(
                f"controllerNamespace: required in {self.mode} mode, to admit the controller's proxies alone "
                "(or controllerIpBlocks, for proxies on the host network)"
            )
        if self.mode == "ingress" and not self.ingress_class:
            raise ValueError("ingressClass: required in ingress mode")
        # sign-in cookies and admin passwords cross these connections: https, or nothing
        if self.mode == "ingress" and not self.tls.enabled:
            raise ValueError(
                f"tls: the UIs ({', '.join(self.uis)}) carry sign-ins and passwords, so they are served over https "
                "alone: set tls.clusterIssuer or tls.secretName"
            )
        if self.mode == "gateway":
            if not self.gateway:
                raise ValueError("gateway: required in gateway mode (gateway.name and gateway.namespace)")
            if self.tls.enabled:
                raise ValueError("tls: in gateway mode TLS is the Gateway listener's: leave tls unset")
        unknown = sorted(set(self.login.groups) - {ui for ui in self.uis if ui not in LOGIN_UIS})
        if unknown:
            raise ValueError(
                f"login.groups: {', '.join(unknown)} not exposed behind the login (those are the exposed UIs "
                f"without one of their own: {', '.join(ui for ui in self.uis if ui not in LOGIN_UIS) or 'none'})"
            )
        return self

    @property
    def proxied(self) -> list[str]:
        """The exposed UIs that sit behind the stack's login."""
        return [ui for ui in self.uis if ui not in LOGIN_UIS] if self.mode != "none" else []

    def cookie_domain(self, ui: str) -> str:
        """One sign-in for every UI under `domain`; a host elsewhere keeps its own."""
        host = self.host(ui)
        return self.domain if self.domain and host.endswith(f".{self.domain}") else host

    def host(self, ui: str) -> str:
        return self.hosts.get(cast(Ui, ui)) or f"{ui}.{self.domain}"

    @property
    def http01_solver_admitted(self) -> bool:
        """cert-manager runs an ACME HTTP-01 solver pod beside each Ingress it issues for; the controller must
        reach it. In gateway mode the Gateway's certificate, and so its solver, lives in the Gateway's namespace."""
        return self.mode == "ingress" and bool(self.tls.cluster_issuer)


class Quota(Section):
    """An explicit namespace quota; unset figures are computed from the stack's own workloads."""

    cpu: Cpu | None = None
    memory: Memory | None = None
    ephemeral_storage: Memory | None = None
    storage: Memory | None = None
    claims: int | None = Field(default=None, ge=0)
    pods: int | None = Field(default=None, ge=1)


NEW_STACK = "a stack keeps it for life: deploy another stack for another one"
# a claim's class is fixed when the claim is made (the StatefulSets' templates keep theirs too)
CLAIM_CLASS = OnChange(
    "none",
    "none",
    "a claim keeps the class it was made in, and a StatefulSet the class of its template: the new class reaches "
    "the claims of workloads added later; docs/runbook.md, 'Moving a claim to another storage class'",
    remember=True,
)


class KubernetesSettings(Section):
    context: Annotated[
        str | None,
        OnChange("refused", "none", f"another cluster would start empty, the claims left on this one; {NEW_STACK}"),
    ] = Field(default=None, description="kubeconfig context; the current one when unset")
    namespace: Annotated[
        DnsLabel | None,
        OnChange("refused", "none", f"the old namespace would be deleted, and with it every claim in it; {NEW_STACK}"),
    ] = Field(default=None, description="defaults to dictamesh-<stack>")
    storage_class: Annotated[str | None, CLAIM_CLASS] = Field(
        default=None, description="the cluster default when unset"
    )
    storage_classes: Annotated[dict[str, str], CLAIM_CLASS] = Field(
        default_factory=dict,
        description="a storage class per stateful workload (e.g. {redpanda: fast-ssd}), else storageClass",
    )
    render_dir: Annotated[
        str | None,
        OnChange("refused", "none", "the provider would replace every object it applied with a rendered file"),
    ] = Field(default=None, description="write manifests here instead of applying them")
    dns_ip_blocks: list[Cidr] = Field(
        default=["169.254.20.10/32", "169.254.169.254/32"],
        description="DNS servers on the host network that pods may query: NodeLocal DNSCache and GKE's metadata DNS",
    )
    api_server_ip_blocks: list[Cidr] = Field(
        default=["0.0.0.0/0"],
        description="addresses of the Kubernetes API server (`kubectl get endpoints kubernetes`), which the job "
        "watcher alone may reach, on 443 and 6443; any address by default",
    )
    client_namespaces: dict[DnsLabel, DnsLabel] = Field(
        default_factory=dict,
        description="client name -> namespace it also runs in, e.g. {prometheus: monitoring} for a cluster Prometheus",
    )
    exposure: Exposure = Field(default=Exposure(), description="how the UIs are reached from outside the cluster")
    tls: InTransit = Field(default=InTransit(), description="TLS on every datastore listener, between workloads")
    quota: Quota = Quota()
    quota_headroom_percent: int = Field(
        default=20, ge=0, le=500, description="room above the stack's own requests in the computed quota"
    )
    zones: Annotated[list[str], OnChange("rolling", "none", "the replicated workloads' spread changes")] = Field(
        default_factory=list, description="the cluster's zones; with 3 or more, prod spreads replicas strictly"
    )

    @model_validator(mode="after")
    def _known_workloads(self) -> Self:
        unknown = sorted(set(self.storage_classes) - set(STATEFUL_WORKLOADS))
        if unknown:
            raise ValueError(
                f"storageClasses: {', '.join(unknown)} has no storage; allowed: {', '.join(STATEFUL_WORKLOADS)}"
            )
        return self

    def storage_class_of(self, workload: str) -> str | None:
        return self.storage_classes.get(workload, self.storage_class)
