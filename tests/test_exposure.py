"""The UIs reachable over TLS from outside the cluster: Ingress or Gateway API objects, basic auth in front
of the UIs without a login, and NetworkPolicies admitting the controller's namespace alone."""

from pathlib import Path
from typing import Any

import bcrypt
import jsonschema
import pytest
import yaml

from components.config import ConfigError, parse
from scripts.local_cluster import module_dir
from tests.harness import Recording, run_stack, stack_config
from tests.manifests import assert_valid, manifest, write_manifests
from tests.policy_args import mandatory_violations, stack_policy_config

GATEWAY_API_VERSION = "v1.4.0"  # the upstream CRDs the HTTPRoutes are checked against (scripts/test-deps.sh)
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
    "controller": "ingress-nginx",
    "controllerNamespace": "ingress-nginx",
    "tls": {"clusterIssuer": "letsencrypt-prod"},
    "uis": EVERY_UI,
}
GATEWAY_MODE = {
    "mode": "gateway",
    "domain": "dictamesh.example.com",
    "gateway": {"name": "edge", "namespace": "gateways", "listener": "https"},
    "controllerNamespace": "envoy-gateway-system",
    "uis": ["grafana"],
}


@pytest.fixture(scope="module")
def ingress_prod() -> Recording:
    return exposed("prod", INGRESS_MODE)


def test_each_ui_gets_a_tls_ingress_on_its_host(ingress_prod: Recording) -> None:
    ingresses = {r.name: r.inputs for r in ingress_prod.of_type(INGRESS)}
    assert set(ingresses) == {f"{ui}-ui" for ui in EVERY_UI}
    grafana = ingresses["grafana-ui"]
    assert grafana["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert grafana["spec"]["tls"] == [{"hosts": ["dashboards.example.com"], "secretName": "grafana-tls"}]
    rule = grafana["spec"]["rules"][0]
    assert rule["host"] == "dashboards.example.com"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "grafana", "port": {"number": 3000.0}}}
    assert ingresses["console-ui"]["spec"]["rules"][0]["host"] == "console.dictamesh.example.com"
    assert ingress_prod.outputs["publicUrls"] == {
        "grafana": "https://dashboards.example.com/",
        **{ui: f"https://{ui}.dictamesh.example.com/" for ui in EVERY_UI if ui != "grafana"},
    }


def test_uis_without_a_login_sit_behind_generated_basic_auth(ingress_prod: Recording) -> None:
    ingresses = {r.name: r.inputs for r in ingress_prod.of_type(INGRESS)}
    for ui in ("prometheus", "alertmanager", "console", "jaeger"):
        annotations = ingresses[f"{ui}-ui"]["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/auth-type"] == "basic", ui
        assert annotations["nginx.ingress.kubernetes.io/auth-secret"] == "ui-basic-auth", ui
    assert "nginx.ingress.kubernetes.io/auth-type" not in ingresses["grafana-ui"]["metadata"]["annotations"]
    secret = ingress_prod.one("kubernetes:core/v1:Secret", "ui-basic-auth")
    assert secret.is_secret("stringData.auth")
    user, hashed = secret.inputs["stringData"]["auth"].split(":", 1)  # an htpasswd line, bcrypt
    assert "uiBasicAuthPassword" in ingress_prod.secret_outputs and ingress_prod.outputs["uiBasicAuthUser"] == user
    # checked on every request a UI sends: the cheapest cost, since the password is 32 random characters
    assert hashed.startswith("$2a$04$")
    assert bcrypt.checkpw(ingress_prod.outputs["uiBasicAuthPassword"].encode(), hashed.encode())
    assert exposed("prod", INGRESS_MODE).one("kubernetes:core/v1:Secret", "ui-basic-auth").inputs == secret.inputs


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
    assert {name for name in policies if "-from-" in name} == {
        f"{w}-from-ingress-nginx" for w in ("grafana", "redpanda-console", "jaeger", "prometheus", "alertmanager")
    }


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


def test_controllers_that_ignore_the_basic_auth_serve_only_the_uis_with_a_login() -> None:
    traefik = {**INGRESS_MODE, "ingressClass": "traefik", "controller": "traefik", "uis": ["grafana"]}
    ingress = exposed("prod", traefik).one(INGRESS, "grafana-ui").inputs
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    refused = (
        "uis: console, jaeger, prometheus, alertmanager have no login of their own, and controller = 'nginx-inc' "
        "would ignore the basic auth configured for ingress-nginx and serve them open"
    )
    with pytest.raises(ConfigError, match=refused):
        parse("staging", {"kubernetes": {"exposure": {**INGRESS_MODE, "controller": "nginx-inc"}}})


def test_exposure_objects_pass_strict_schema_validation_and_the_policy_pack(
    ingress_prod: Recording, tmp_path: Path
) -> None:
    paths = [p for p in write_manifests(ingress_prod, tmp_path) if "-ingress-" in p.name or "networkpolicy" in p.name]
    assert len(paths) >= 10
    assert_valid(paths)
    assert mandatory_violations(ingress_prod, stack_policy_config("prod")) == []


def test_prod_without_tls_is_caught_by_the_policy_pack() -> None:
    # UIs with a login of their own may go without TLS in staging; basic auth never may (the settings refuse it)
    login_only = {**INGRESS_MODE, "tls": {}, "uis": ["grafana", "sentry"]}
    found = mandatory_violations(exposed("prod", login_only), stack_policy_config("prod"))
    assert any("k8s-exposure-tls: Ingress grafana-ui serves dashboards.example.com without TLS" in m for m in found)
    assert mandatory_violations(exposed("staging", login_only), stack_policy_config("staging")) == []


def httproute_crd() -> dict[str, Any]:
    path = module_dir("sigs.k8s.io/gateway-api", GATEWAY_API_VERSION) / "config/crd/standard"
    crd: dict[str, Any] = yaml.safe_load((path / "gateway.networking.k8s.io_httproutes.yaml").read_text())
    return crd


def httproute_schema() -> dict[str, Any]:
    crd = httproute_crd()
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def test_gateway_mode_makes_http_routes_that_match_the_upstream_crd() -> None:
    recording = exposed("prod", GATEWAY_MODE)
    routes = recording.of_type(ROUTE)
    assert [r.name for r in routes] == ["grafana-ui"]
    route = manifest(routes[0])
    assert route["spec"]["parentRefs"][0] == {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": "edge",
        "namespace": "gateways",
        "sectionName": "https",
    }
    assert route["spec"]["hostnames"] == ["grafana.dictamesh.example.com"]
    schema = httproute_schema()
    jsonschema.validate(route, schema)
    broken = {**route, "spec": {**route["spec"], "hostnames": ["*bad*"]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    # the controller's proxies are admitted, not the Gateway object's namespace
    assert "grafana-from-envoy-gateway-system" in {r.name for r in recording.of_type(NETWORK_POLICY)}
    # the scheme is a setting, not a guess from the listener's name
    assert recording.outputs["publicUrls"] == {"grafana": "https://grafana.dictamesh.example.com/"}
    assert mandatory_violations(recording, stack_policy_config("prod")) == []
    plain = {**GATEWAY_MODE, "gateway": {**GATEWAY_MODE["gateway"], "scheme": "http"}}  # type: ignore[dict-item]
    assert parse("staging", {"kubernetes": {"exposure": plain}}).kubernetes.exposure.https is False


@pytest.mark.parametrize(
    ("exposure", "message"),
    [
        ({**GATEWAY_MODE, "uis": ["grafana", "prometheus"]}, "prometheus have no login of their own and Gateway API"),
        ({**INGRESS_MODE, "domain": None, "hosts": {}}, "domain: required to name the hosts of grafana"),
        ({**INGRESS_MODE, "domain": "*.example.com"}, "exposure.domain = '*.example.com': expected a DNS name"),
        ({**INGRESS_MODE, "controllerNamespace": None}, "controllerNamespace: required in ingress mode"),
        ({**INGRESS_MODE, "controller": None}, "controller: required in ingress mode, to know whose basic auth"),
        ({**GATEWAY_MODE, "controllerIpBlocks": ["10.0.0.0"]}, "controllerIpBlocks[0] = '10.0.0.0': expected an IPv4"),
        ({**GATEWAY_MODE, "controllerNamespace": None}, "controllerNamespace: required in gateway mode"),
        ({**INGRESS_MODE, "tls": {}}, "tls: console, jaeger, prometheus, alertmanager sit behind basic auth"),
        ({**INGRESS_MODE, "tls": {"clusterIssuer": "a", "secretName": "b"}}, "clusterIssuer, secretName: set one"),
        ({**INGRESS_MODE, "uis": ["kibana"]}, "exposure.uis[0] = 'kibana': Input should be"),
    ],
)
def test_bad_exposure_settings_name_the_key(exposure: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace("*", r"\*")):
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
