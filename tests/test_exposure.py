"""The UIs reachable over TLS from outside the cluster: Ingress or Gateway API objects, a login proxy in front
of each UI without a login (tests/test_login_proxy.py runs them), and NetworkPolicies admitting the controller's
namespace alone."""

import dataclasses
import re
from pathlib import Path
from typing import Any

import bcrypt
import jsonschema
import pytest
import yaml

from components.config import ConfigError, parse
from scripts.local_cluster import gateway_api_crd
from tests.harness import Recording, run_stack, stack_config
from tests.manifests import assert_valid, manifest, write_manifests
from tests.policy_args import mandatory_violations, stack_policy_config

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
EVERY_UI = ["grafana", "console", "jaeger", "prometheus", "alertmanager"]


def exposed(stack: str, exposure: dict[str, Any]) -> Recording:
    kubernetes = yaml.safe_load(stack_config(stack)["dictamesh:kubernetes"])
    return run_stack(stack, {"dictamesh:kubernetes": {**kubernetes, "exposure": exposure}})


INGRESS_MODE = {
    "mode": "ingress",
    "domain": "dictamesh.example.com",
    "hosts": {"grafana": "dashboards.example.com"},
    "ingressClass": "nginx",
    "controllerNamespace": "ingress-nginx",
    "tls": {"clusterIssuer": "letsencrypt-prod"},
    "uis": EVERY_UI,
}
GATEWAY_MODE = {
    "mode": "gateway",
    "domain": "dictamesh.example.com",
    "gateway": {"name": "edge", "namespace": "gateways", "listener": "public"},  # scripts/local_cluster.py
    "controllerNamespace": "envoy-gateway-system",
    "uis": ["grafana", "jaeger"],
}


@pytest.fixture(scope="module")
def ingress_prod() -> Recording:
    return exposed("prod", INGRESS_MODE)


def test_each_ui_gets_a_tls_ingress_on_its_host(ingress_prod: Recording) -> None:
    ingresses = {r.name: r.inputs for r in ingress_prod.of_type(INGRESS)}
    assert set(ingresses) == {f"{ui}-ui" for ui in EVERY_UI}
    grafana = ingresses["grafana-ui"]
    # no wait for an address the controller may never publish (the real engine's `up` would fail after 10 min)
    assert grafana["metadata"]["annotations"] == {
        "cert-manager.io/cluster-issuer": "letsencrypt-prod",
        "pulumi.com/skipAwait": "true",
    }
    assert grafana["spec"]["tls"] == [{"hosts": ["dashboards.example.com"], "secretName": "grafana-tls"}]
    rule = grafana["spec"]["rules"][0]
    assert rule["host"] == "dashboards.example.com"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "grafana", "port": {"number": 3000.0}}}
    assert ingresses["console-ui"]["spec"]["rules"][0]["host"] == "console.dictamesh.example.com"
    assert ingress_prod.outputs["publicUrls"] == {
        "grafana": "https://dashboards.example.com/",
        **{ui: f"https://{ui}.dictamesh.example.com/" for ui in EVERY_UI if ui != "grafana"},
    }


def test_uis_without_a_login_are_routed_through_their_login_proxy(ingress_prod: Recording) -> None:
    ingresses = {r.name: r.inputs for r in ingress_prod.of_type(INGRESS)}
    for ui in ("prometheus", "alertmanager", "console", "jaeger"):
        (path,) = ingresses[f"{ui}-ui"]["spec"]["rules"][0]["http"]["paths"]
        assert path["backend"] == {"service": {"name": f"{ui}-login", "port": {"number": 4180.0}}}, ui
        assert ingress_prod.one("kubernetes:core/v1:Service", f"{ui}-login")
        # the route moves to the proxy once the proxy is ready
        ingress = ingress_prod.one(INGRESS, f"{ui}-ui")
        assert any(urn.endswith(f"Deployment::{ui}-login") for urn in ingress.depends_on), ui
    grafana = ingresses["grafana-ui"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert grafana == {"name": "grafana", "port": {"number": 3000.0}}  # its own login
    # no controller's annotations: any controller serves them
    expected = {"cert-manager.io/cluster-issuer", "pulumi.com/skipAwait"}
    assert all(set(i["metadata"]["annotations"]) == expected for i in ingresses.values())
    assert ingress_prod.outputs["loginCallbacks"] == [
        f"https://{ui}.dictamesh.example.com/oauth2/callback"
        for ui in ("console", "jaeger", "prometheus", "alertmanager")
    ]


def test_the_generated_user_and_cookie_secret_are_secret_and_stable(ingress_prod: Recording) -> None:
    secrets = {ui: ingress_prod.one("kubernetes:core/v1:Secret", f"{ui}-login-secrets") for ui in ("console", "jaeger")}
    for secret in secrets.values():
        assert secret.is_secret("stringData.htpasswd") and secret.is_secret("stringData.cookie-secret")
    user, hashed = secrets["console"].inputs["stringData"]["htpasswd"].strip().split(":", 1)  # an htpasswd line
    assert "uiBasicAuthPassword" in ingress_prod.secret_outputs and ingress_prod.outputs["uiBasicAuthUser"] == user
    # checked on every basic-auth request: the cheapest cost, since the password is 32 random characters
    assert hashed.startswith("$2a$04$")
    assert bcrypt.checkpw(ingress_prod.outputs["uiBasicAuthPassword"].encode(), hashed.encode())
    # one cookie secret for every UI, so that one sign-in serves them all
    cookie = {ui: secret.inputs["stringData"]["cookie-secret"] for ui, secret in secrets.items()}
    assert cookie["console"] == cookie["jaeger"] and len(cookie["console"]) == 32
    again = exposed("prod", INGRESS_MODE).one("kubernetes:core/v1:Secret", "console-login-secrets")
    assert again.inputs == secrets["console"].inputs


def test_a_provider_client_secret_reaches_the_proxies_as_a_secret_file() -> None:
    oidc = {
        "issuerUrl": "https://idp.example.com",
        "clientId": "ui",
        "clientSecret": "s3cret-from-the-provider",
        "authorizationUrl": "https://idp.example.com/auth",
        "tokenUrl": "https://idp.example.com:8443/token",
        "jwksUrl": "https://idp.example.com/keys",
    }
    recording = exposed("prod", {**INGRESS_MODE, "login": {"oidc": oidc}})
    secret = recording.one("kubernetes:core/v1:Secret", "console-login-secrets")
    assert secret.is_secret("stringData.client-secret")
    assert secret.inputs["stringData"]["client-secret"] == "s3cret-from-the-provider"
    deployment = recording.one("kubernetes:apps/v1:Deployment", "console-login").inputs
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert not [arg for arg in args if "s3cret" in arg]
    assert "--allowed-group=dictamesh-admins" in args  # the Console changes topics: admins alone by default
    jaeger = recording.one("kubernetes:apps/v1:Deployment", "jaeger-login").inputs
    assert not [a for a in jaeger["spec"]["template"]["spec"]["containers"][0]["args"] if "allowed-group" in a]
    # the provider is outside the cluster: its ports, and no other, are open to the proxies
    egress = recording.one(NETWORK_POLICY, "console-login-egress").inputs["spec"]["egress"]
    assert egress[0]["ports"] == [{"protocol": "TCP", "port": 443.0}, {"protocol": "TCP", "port": 8443.0}]


def container(recording: Recording, workload: str) -> dict[str, Any]:
    statefulset = recording.one("kubernetes:apps/v1:StatefulSet", workload).inputs
    containers: list[dict[str, Any]] = statefulset["spec"]["template"]["spec"]["containers"]
    return containers[0]


def public_links(recording: Recording) -> dict[str, str | None]:
    """Where Grafana's redirects and the links in alerts and notifications point."""
    env = {item["name"]: item.get("value") for item in container(recording, "grafana")["env"]}

    def flag(workload: str) -> str | None:
        found = [a for a in container(recording, workload)["args"] if a.startswith("--web.external-url=")]
        return found[0].split("=", 1)[1] if found else None

    return {
        "grafana": env.get("GF_SERVER_ROOT_URL"),
        "prometheus": flag("prometheus"),
        "alertmanager": flag("alertmanager"),
    }


def test_links_written_by_the_exposed_uis_use_their_public_urls(
    ingress_prod: Recording, stacks: dict[str, Recording]
) -> None:
    assert public_links(ingress_prod) == {
        "grafana": "https://dashboards.example.com/",
        "prometheus": "https://prometheus.dictamesh.example.com/",
        "alertmanager": "https://alertmanager.dictamesh.example.com/",
    }
    # unexposed, they keep their defaults, which suit a port-forward
    unset = {"grafana": None, "prometheus": None, "alertmanager": None}
    assert public_links(stacks["prod"]) == unset
    only_grafana = {**unset, "grafana": "https://grafana.dictamesh.example.com/"}
    assert public_links(exposed("staging", GATEWAY_MODE)) == only_grafana


def test_the_controller_namespace_alone_reaches_the_exposed_ports(ingress_prod: Recording) -> None:
    policies = {r.name: r.inputs["spec"] for r in ingress_prod.of_type(NETWORK_POLICY)}
    grafana = policies["grafana-from-ingress-nginx"]
    assert grafana["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "grafana"
    assert grafana["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
            "ports": [{"protocol": "TCP", "port": 3000.0}],
        }
    ]
    proxied = {
        "console": "redpanda-console",
        "jaeger": "jaeger",
        "prometheus": "prometheus",
        "alertmanager": "alertmanager",
    }
    assert {name for name in policies if "-from-" in name} == {
        "grafana-from-ingress-nginx",
        *(f"{ui}-login-from-ingress-nginx" for ui in proxied),
        *(f"{workload}-from-{ui}-login" for ui, workload in proxied.items()),
    }
    # the UI admits its proxy alone, on the UI's port
    console = policies["redpanda-console-from-console-login"]
    assert console["ingress"][0]["from"] == [
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/name": "console-login",
                    "app.kubernetes.io/instance": "dictamesh-prod",
                }
            }
        }
    ]


def test_the_controller_reaches_cert_managers_http01_solver_pods(ingress_prod: Recording) -> None:
    """cert-manager v1.21.1 starts the solver in the Ingress's namespace, labelled and listening as below
    (pkg/issuer/acme/http/pod.go); the namespace's default deny would time its challenge out."""
    solver = ingress_prod.one(NETWORK_POLICY, "acme-http01-solver").inputs["spec"]
    assert solver["podSelector"] == {"matchLabels": {"acme.cert-manager.io/http01-solver": "true"}}
    assert solver["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
            "ports": [{"protocol": "TCP", "port": 8089.0}],
        }
    ]
    # an existing Secret, or a Gateway's certificate (issued in the Gateway's namespace), needs no solver here
    own_secret = {**INGRESS_MODE, "tls": {"secretName": "wildcard-tls"}}
    for unsolved in (exposed("prod", own_secret), exposed("prod", GATEWAY_MODE)):
        assert "acme-http01-solver" not in {r.name for r in unsolved.of_type(NETWORK_POLICY)}


def test_proxies_on_the_host_network_are_admitted_by_address() -> None:
    blocks = {**GATEWAY_MODE, "controllerNamespace": None, "controllerIpBlocks": ["10.0.0.0/24", "10.0.1.7/32"]}
    policy = exposed("prod", blocks).one(NETWORK_POLICY, "grafana-from-controller-ips").inputs["spec"]
    assert policy["ingress"][0]["from"] == [{"ipBlock": {"cidr": "10.0.0.0/24"}}, {"ipBlock": {"cidr": "10.0.1.7/32"}}]
    both = {**INGRESS_MODE, "controllerIpBlocks": ["10.0.0.0/24"]}
    peers = exposed("prod", both).one(NETWORK_POLICY, "acme-http01-solver").inputs["spec"]["ingress"][0]["from"]
    assert peers == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
        {"ipBlock": {"cidr": "10.0.0.0/24"}},
    ]
    # the login proxies read X-Forwarded-* from those addresses alone, and from no one without them
    login = exposed("prod", blocks).one("kubernetes:apps/v1:Deployment", "jaeger-login").inputs
    args = login["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [a for a in args if "proxy" in a] == [
        "--reverse-proxy=true",
        "--trusted-proxy-ip=10.0.0.0/24",
        "--trusted-proxy-ip=10.0.1.7/32",
    ]
    plain = exposed("prod", GATEWAY_MODE).one("kubernetes:apps/v1:Deployment", "jaeger-login").inputs
    assert not [a for a in plain["spec"]["template"]["spec"]["containers"][0]["args"] if "proxy" in a]


def test_every_controller_serves_every_ui() -> None:
    traefik = exposed("prod", {**INGRESS_MODE, "ingressClass": "traefik"})
    assert {r.name for r in traefik.of_type(INGRESS)} == {f"{ui}-ui" for ui in EVERY_UI}
    gone = "controller: no longer read: the UIs without a login sit behind the stack's own login proxy"
    with pytest.raises(ConfigError, match=gone):
        parse("staging", {"kubernetes": {"exposure": {**INGRESS_MODE, "controller": "ingress-nginx"}}})


def test_exposure_objects_pass_strict_schema_validation_and_the_policy_pack(
    ingress_prod: Recording, tmp_path: Path
) -> None:
    paths = [p for p in write_manifests(ingress_prod, tmp_path) if "-ingress-" in p.name or "networkpolicy" in p.name]
    assert len(paths) >= 10
    assert_valid(paths)
    assert mandatory_violations(ingress_prod, stack_policy_config("prod")) == []


def test_an_ingress_without_tls_is_caught_by_the_policy_pack(ingress_prod: Recording) -> None:
    """The settings refuse an exposure without TLS; the policy pack holds prod to it whatever made the Ingress."""
    ingress = ingress_prod.one(INGRESS, "grafana-ui")
    plain = dataclasses.replace(ingress, inputs={**ingress.inputs, "spec": {**ingress.inputs["spec"], "tls": []}})
    recording = dataclasses.replace(ingress_prod, resources=[plain])
    found = mandatory_violations(recording, stack_policy_config("prod"))
    assert any("k8s-exposure-tls: Ingress grafana-ui serves dashboards.example.com without TLS" in m for m in found)


def httproute_schema() -> dict[str, Any]:
    crd = gateway_api_crd("httproutes")
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def test_gateway_mode_makes_http_routes_that_match_the_upstream_crd() -> None:
    recording = exposed("prod", GATEWAY_MODE)
    routes = recording.of_type(ROUTE)
    assert [r.name for r in routes] == ["grafana-ui", "jaeger-ui"]
    route = manifest(routes[0])
    # a UI without a login goes through its login proxy on a Gateway too
    assert manifest(routes[1])["spec"]["rules"][0]["backendRefs"] == [{"name": "jaeger-login", "port": 4180}]
    assert route["spec"]["parentRefs"][0] == {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": "edge",
        "namespace": "gateways",
        "sectionName": "public",
    }
    assert route["spec"]["hostnames"] == ["grafana.dictamesh.example.com"]
    # the listener's protocol as the cluster's Gateway has it (local_cluster.EDGE_GATEWAY), for the policy
    assert route["metadata"]["annotations"] == {"dictamesh.io/gateway-listener-protocol": "HTTPS"}
    # the real engine skips a read that waits on a resource the same preview creates (the namespace), and then
    # hands the program unknowns: a new stack's preview would check nothing
    assert recording.reads == {"gateway-gateways-edge": []}
    schema = httproute_schema()
    jsonschema.validate(route, schema)
    broken = {**route, "spec": {**route["spec"], "hostnames": ["*bad*"]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    # the controller's proxies are admitted, not the Gateway object's namespace
    policies = {r.name for r in recording.of_type(NETWORK_POLICY)}
    assert {"grafana-from-envoy-gateway-system", "jaeger-login-from-envoy-gateway-system"} <= policies
    assert recording.outputs["publicUrls"] == {
        ui: f"https://{ui}.dictamesh.example.com/" for ui in ("grafana", "jaeger")
    }
    assert mandatory_violations(recording, stack_policy_config("prod")) == []


@pytest.mark.parametrize(
    ("listener", "message"),
    [
        (
            "web",
            "kubernetes.exposure.gateway.listener = 'web': Gateway gateways/edge serves it over HTTP, and the UIs "
            "carry sign-ins and passwords: name a listener with protocol HTTPS (its listeners: public (HTTPS), web "
            "(HTTP))",
        ),
        (
            "https",
            "kubernetes.exposure.gateway.listener = 'https': Gateway gateways/edge has no listener of that name; "
            "its listeners: public (HTTPS), web (HTTP)",
        ),
    ],
)
def test_a_gateway_listener_is_held_to_the_protocol_the_cluster_says(listener: str, message: str) -> None:
    """The Gateway is read at each run: a plain or missing listener is refused, whatever its name says."""
    gateway = {"name": "edge", "namespace": "gateways", "listener": listener}
    with pytest.raises(Exception, match=re.escape(message)):
        exposed("prod", {**GATEWAY_MODE, "gateway": gateway})


def test_a_gateway_that_is_not_in_the_cluster_fails_its_read() -> None:
    with pytest.raises(Exception, match=re.escape("resource 'gateways/elsewhere' does not exist")):
        exposed("prod", {**GATEWAY_MODE, "gateway": {"name": "elsewhere", "namespace": "gateways"}})


@pytest.mark.parametrize(
    ("exposure", "message"),
    [
        (
            {**GATEWAY_MODE, "gateway": {"name": "edge", "namespace": "gateways", "scheme": "https"}},
            "gateway.scheme: no longer read: the listener's protocol is read from the Gateway itself",
        ),
        ({**INGRESS_MODE, "domain": None, "hosts": {}}, "domain: required to name the hosts of grafana"),
        ({**INGRESS_MODE, "domain": "*.example.com"}, "exposure.domain = '*.example.com': expected a DNS name"),
        ({**INGRESS_MODE, "controllerNamespace": None}, "controllerNamespace: required in ingress mode"),
        (
            {**INGRESS_MODE, "login": {"groups": {"grafana": ["x"]}}},
            "login.groups: grafana not exposed behind the login",
        ),
        ({**INGRESS_MODE, "login": {"adminGroups": []}}, "login.adminGroups = []: List should have at least 1 item"),
        (
            {**INGRESS_MODE, "login": {"session": "1d"}},
            "login.session = '1d': expected a duration in hours and minutes",
        ),
        (
            {**INGRESS_MODE, "login": {"oidc": {"issuerUrl": "http://idp"}}},
            "login.oidc.issuerUrl = 'http://idp': expected an https",
        ),
        ({**GATEWAY_MODE, "controllerIpBlocks": ["10.0.0.0"]}, "controllerIpBlocks[0] = '10.0.0.0': expected an IPv4"),
        ({**GATEWAY_MODE, "controllerNamespace": None}, "controllerNamespace: required in gateway mode"),
        (
            {**INGRESS_MODE, "tls": {}},
            "tls: the UIs (grafana, console, jaeger, prometheus, alertmanager) carry sign-ins",
        ),
        ({**INGRESS_MODE, "tls": {"clusterIssuer": "a", "secretName": "b"}}, "clusterIssuer, secretName: set one"),
        ({**INGRESS_MODE, "uis": ["kibana"]}, "exposure.uis[0] = 'kibana': Input should be"),
    ],
)
def test_bad_exposure_settings_name_the_key(exposure: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse("staging", {"kubernetes": {"exposure": exposure}})


def test_uis_of_a_disabled_component_are_refused() -> None:
    missing = (
        r"uis: grafana, jaeger, prometheus, alertmanager not deployed in this stack "
        r"\(observability.enabled, sentry.enabled\)"
    )
    with pytest.raises(ConfigError, match=missing):
        parse("staging", {"observability": {"enabled": False}, "kubernetes": {"exposure": INGRESS_MODE}})


def test_nothing_is_exposed_by_default(stacks: dict[str, Recording]) -> None:
    for stack in ("staging", "prod"):
        assert not stacks[stack].of_type(INGRESS) and "publicUrls" not in stacks[stack].outputs
