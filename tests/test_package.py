"""The component package: its public API, its generated arguments and schema, and the components deployed alone
on an explicit target, under the mock engine."""

import ast
import json
import subprocess
import sys
from pathlib import Path
from secrets import token_hex
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

import components
from components import Cache, CatalogDatabase, EventBus, Sentry, TargetArgs
from provider.__main__ import COMPONENTS
from scripts import package_args, package_schema
from tests.harness import ROOT, Recording, run_program

NAMESPACE = "team-data"
KUBERNETES: TargetArgs = {"kubernetes": {"namespace": NAMESPACE, "tls": {"enabled": False}}}


def deployed(*built: Any) -> Recording:
    """What building `built` (component, args) pairs in one program registers."""
    return run_program("consumer", lambda: [component(name, args) for component, name, args in built])


def refusal(component: Any, args: dict[str, Any]) -> tuple[str, Recording]:
    recording = Recording("consumer")
    with pytest.raises(Exception) as raised:  # the mock engine wraps the component's error
        run_program("consumer", lambda: component("refused", args), recording=recording)
    return str(raised.value), recording


@pytest.mark.parametrize("script", ["scripts.package_args", "scripts.package_schema"])
def test_the_generated_files_are_up_to_date(script: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", script, "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_a_stale_schema_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text(package_schema.render_schema().replace('"integer"', '"number"', 1))
    monkeypatch.setattr(package_schema, "SCHEMA", stale)
    monkeypatch.setattr(sys, "argv", ["package_schema", "--check"])
    assert package_schema.main() == 1


def test_the_public_api_is_what_the_package_exports() -> None:
    assert components.__all__ == sorted(components.__all__)
    assert {c.__name__ for c in COMPONENTS} <= set(components.__all__)
    assert components.__version__ == "0.3.0"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## {components.__version__}" in changelog, "CHANGELOG.md has no entry for this version"


@pytest.mark.parametrize("folder", ["provider", "examples/python"])
def test_what_installs_the_wheel_pins_this_version(folder: str) -> None:
    """The provider's and the Python example's venvs install the wheel `make package` builds: its version alone."""
    pins = (ROOT / folder / "requirements.txt").read_text().split()
    assert f"dictamesh-infra=={components.__version__}" in pins


def test_every_input_and_output_of_the_schema_is_documented() -> None:
    schema = json.loads(package_schema.render_schema())
    undocumented = []
    for token, resource in schema["resources"].items():
        assert resource.get("description"), token
        for kind in ("inputProperties", "properties"):
            undocumented += [f"{token}.{n}" for n, p in resource[kind].items() if not p.get("description")]
    for token, kind in schema["types"].items():
        undocumented += [f"{token}.{n}" for n, p in kind["properties"].items() if not p.get("description")]
    assert not undocumented


def test_the_schema_names_what_a_choice_allows_and_what_is_required() -> None:
    schema = json.loads(package_schema.render_schema())
    cache = schema["resources"]["dictamesh:index:Cache"]
    assert cache["requiredInputs"] == ["target"]
    assert "`noeviction`" in cache["inputProperties"]["maxmemoryPolicy"]["description"]
    assert cache["inputProperties"]["maxmemory"]["plain"] is True  # settings shape what is built: plain values
    kubernetes = schema["types"]["dictamesh:index:KubernetesTargetArgs"]
    assert kubernetes["required"] == ["namespace"]
    assert "context" not in kubernetes["properties"]  # the consumer's provider chooses the cluster


def test_every_setting_of_a_public_component_is_an_argument() -> None:
    args = package_args.render()
    for model, name in package_args.COMPONENTS.items():
        left_out = package_args.LEFT_OUT.get(model, set())
        body = args.split(f"class {name}(")[1].split("\nclass ")[0]
        missing = [f for f in model.model_fields if f not in left_out and f"    {f}: " not in body]
        assert not missing, f"{name}: {missing}"


def test_the_cache_alone_goes_into_an_existing_namespace() -> None:
    recording = deployed((Cache, "cache", {"target": KUBERNETES, "maxmemory": "256mb", "clients": ["orders-api"]}))
    assert not recording.of_type("kubernetes:core/v1:Namespace")  # the namespace's owner made it
    assert not recording.of_type("kubernetes:core/v1:ResourceQuota")
    statefulset = recording.one("kubernetes:apps/v1:StatefulSet", "redis")
    assert statefulset.inputs["metadata"]["namespace"] == NAMESPACE
    assert statefulset.inputs["metadata"]["labels"]["app.kubernetes.io/instance"] == "dictamesh-consumer"
    assert statefulset.parent == recording.one("dictamesh:cache:Cache", "cache").urn
    assert recording.one("dictamesh:cache:Cache", "cache").parent == recording.one("dictamesh:index:Cache", "cache").urn
    clients = recording.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "redis-clients")
    assert "orders-api" in json.dumps(clients.inputs)
    config = recording.one("kubernetes:core/v1:ConfigMap", "redis-files")
    assert "maxmemory 256mb" in json.dumps(config.inputs)


def test_a_consumers_provider_reaches_every_resource() -> None:
    def program() -> None:
        provider = k8s.Provider("team-cluster", context="team")
        Cache("cache", {"target": KUBERNETES}, pulumi.ResourceOptions(providers=[provider]))

    recording = run_program("consumer", program)
    objects = [r for r in recording.resources if r.type.startswith("kubernetes:") and r.custom]
    assert objects
    assert all("team-cluster" in r.raw.get("provider", "team-cluster") for r in objects)


def test_the_catalog_and_event_bus_alone() -> None:
    recording = deployed(
        (CatalogDatabase, "catalog", {"target": KUBERNETES, "sample_data": False}),
        (EventBus, "event-bus", {"target": KUBERNETES, "brokers": 3, "dev_container": False, "sasl": True}),
    )
    assert recording.one("kubernetes:apps/v1:StatefulSet", "postgres").inputs["metadata"]["namespace"] == NAMESPACE
    brokers = recording.one("kubernetes:apps/v1:StatefulSet", "redpanda")
    assert brokers.inputs["spec"]["replicas"] == 3


def test_the_catalogs_scheduled_backups_keep_their_claim() -> None:
    backup = {"enabled": True, "schedule": "30 3 * * *", "retention_days": 14, "storage": "50Gi"}
    recording = deployed((CatalogDatabase, "catalog", {"target": KUBERNETES, "backup": backup}))
    dumps = recording.one("kubernetes:batch/v1:CronJob", "postgres-backup")
    assert dumps.inputs["spec"]["schedule"] == "30 3 * * *"
    assert {"name": "RETENTION_DAYS", "value": "14"} in dumps.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ][0]["env"]
    assert recording.one("kubernetes:batch/v1:CronJob", "postgres-restore").inputs["spec"]["suspend"] is True
    claim = recording.one("kubernetes:core/v1:PersistentVolumeClaimPatch", "postgres-backup-backups")
    assert claim.inputs["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert claim.retain_on_delete  # turning backups off leaves the dumps in the namespace
    # a server-side apply, which adopts the claim left behind when backups are turned on again
    assert claim.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}
    assert not deployed((CatalogDatabase, "catalog", {"target": KUBERNETES})).of_type("kubernetes:batch/v1:CronJob")


def test_generated_passwords_stay_secret_in_the_outputs() -> None:
    def program() -> None:
        cache = Cache("cache", {"target": KUBERNETES})
        pulumi.export("url", cache.url)
        bus = EventBus("event-bus", {"target": KUBERNETES, "sasl": True})
        pulumi.export("sasl", bus.sasl_password)

    recording = run_program("consumer", program)
    assert recording.secret_outputs == {"url", "sasl"}
    assert recording.generated
    for resource in recording.resources:
        if recording.leaks(resource.inputs) and not resource.type.startswith("random:"):
            assert resource.secret_paths(), resource.urn  # a Secret's data, say: sent and kept as a secret


@pytest.mark.parametrize("wrap", [pulumi.Output.secret, pulumi.Output.from_input], ids=["secret", "plain-output"])
def test_sentry_alone_mounts_a_consumers_smtp_password_as_a_secret(wrap: Any) -> None:
    """Through the component provider a consumer's secret arrives as an Output nested in its argument (seen with
    the engine's YAML and Node.js hosts); Sentry only mounts it, and keeps it secret either way."""
    password = f"smtp-{token_hex(8)}"
    smtp = {"host": "smtp.example.com", "port": 2525, "username": "sentry", "sender": "s@example.com"}
    recording = deployed((Sentry, "sentry", {"target": KUBERNETES, "smtp": {**smtp, "password": wrap(password)}}))
    holders = [r for r in recording.resources if password in json.dumps(r.inputs)]
    assert {r.type for r in holders} == {"kubernetes:core/v1:Secret"}
    for holder in holders:
        path = next(f"stringData.{key}" for key, value in holder.inputs["stringData"].items() if value == password)
        assert holder.is_secret(path), holder.name
    policy = recording.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "sentry-web-egress")
    assert [port["port"] for port in policy.inputs["spec"]["egress"][0]["ports"]] == [443, 2525]
    assert recording.one("kubernetes:batch/v1:CronJob", "sentry-cleanup").inputs["spec"]["schedule"] == "0 0 * * *"


def test_sentry_alone_on_docker_publishes_its_front_door() -> None:
    def program() -> None:
        sentry = Sentry("sentry", {"target": {"docker": {"network": "team-net", "instance": "team"}}})
        pulumi.export("url", sentry.url)
        pulumi.export("admin", sentry.admin_password)

    recording = run_program("consumer", program)
    nginx = recording.one("docker:index/container:Container", "sentry-nginx")
    assert nginx.inputs["name"] == "dictamesh-team-sentry-nginx"
    assert nginx.inputs["ports"][0]["external"] == 9000 and nginx.inputs["ports"][0]["ip"] == "127.0.0.1"
    assert recording.outputs["url"] == "http://127.0.0.1:9000"
    assert recording.secret_outputs == {"admin"}
    assert not [r for r in recording.resources if r.name == "sentry-cleanup"]  # no CronJob on docker


def test_a_components_uis_are_exposed_through_its_target_behind_the_login() -> None:
    """The Console behind the sign-in proxy with a consumer's OIDC client secret, Sentry with its own login; each
    component's exposure under the component, so that two of them fit in one program."""
    client_secret = f"oidc-{token_hex(8)}"
    idp = "https://login.example.com/realms/team"
    oidc = {
        "issuer_url": idp,
        "client_id": "team-uis",
        "client_secret": pulumi.Output.secret(client_secret),
        "authorization_url": f"{idp}/auth",
        "token_url": f"{idp}/token",
        "jwks_url": f"{idp}/certs",
    }
    exposure = {
        "mode": "ingress",
        "domain": "team.example.com",
        "ingress_class": "nginx",
        "controller_namespace": "ingress-nginx",
        "tls": {"cluster_issuer": "letsencrypt"},
        "uis": ["console", "sentry"],
        "login": {"oidc": oidc},
    }
    target: Any = {"kubernetes": {**KUBERNETES["kubernetes"], "exposure": exposure}}

    def program() -> None:
        bus = EventBus("event-bus", {"target": target})
        for output in ("public_urls", "login_callbacks", "ui_basic_auth_user", "ui_basic_auth_password"):
            pulumi.export(output, getattr(bus, output))
        pulumi.export("sentry_url", Sentry("sentry", {"target": target}).url)

    recording = run_program("consumer", program)
    ingresses = {r.name: r.inputs for r in recording.of_type("kubernetes:networking.k8s.io/v1:Ingress")}
    assert set(ingresses) == {"console-ui", "sentry-ui"}
    console_backend = ingresses["console-ui"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert console_backend["name"] == "console-login"  # through the proxy; Sentry signs its users in itself
    assert recording.outputs["public_urls"] == {"console": "https://console.team.example.com/"}
    assert recording.outputs["login_callbacks"] == ["https://console.team.example.com/oauth2/callback"]
    assert recording.outputs["sentry_url"] == "https://sentry.team.example.com"  # without the slash, as Sentry wants
    assert recording.secret_outputs == {"ui_basic_auth_password"}
    holders = [r for r in recording.resources if client_secret in json.dumps(r.inputs)]
    assert [r.name for r in holders] == ["console-login-secrets"]
    assert holders[0].is_secret("stringData.client-secret")
    owners = {r.parent for r in recording.of_type("dictamesh:platform:Exposure")}
    assert owners == {
        recording.one(f"dictamesh:index:{c}", n).urn for c, n in (("EventBus", "event-bus"), ("Sentry", "sentry"))
    }


def test_the_docker_target_names_containers_by_instance_and_offsets_ports() -> None:
    recording = deployed(
        (
            Cache,
            "cache",
            {"target": {"docker": {"network": "team-net", "instance": "team", "host_port_offset": 100}}},
        )
    )
    redis = recording.one("docker:index/container:Container", "redis")
    assert redis.inputs["name"] == "dictamesh-team-redis"
    assert redis.inputs["ports"][0]["external"] == 6479
    assert redis.inputs["networksAdvanced"][0]["name"] == "team-net"
    assert not recording.of_type("docker:index/network:Network")


@pytest.mark.parametrize(
    ("component", "args", "expected"),
    [
        (Cache, {"target": KUBERNETES, "maxmemory": "lots"}, "maxmemory = 'lots': expected a Redis size in kb, mb"),
        (Cache, {"target": KUBERNETES, "maxmemmory": "1gb"}, "maxmemmory: unknown key (a typo?); allowed here:"),
        (Cache, {"target": {}}, "target = {}: give exactly one of docker and kubernetes"),
        (
            Cache,
            {"target": {"docker": {"network": "n"}, **KUBERNETES}},
            "give exactly one of docker and kubernetes",
        ),
        (Cache, {"target": {"kubernetes": {"tls": {"enabled": False}}}}, "target.kubernetes.namespace: required"),
        (
            Cache,
            {"target": {"kubernetes": {"namespace": "Team_Data"}}},
            "target.kubernetes.namespace = 'Team_Data': expected a DNS label",
        ),
        (Cache, {"target": {"kubernetes": {"namespace": NAMESPACE}}}, "tls.issuer = 'selfSigned': a component"),
        (EventBus, {"target": KUBERNETES, "brokers": 3, "topics": [{"name": "t", "replicas": 5}]}, "replicas = 5"),
        (
            CatalogDatabase,
            {"target": {"docker": {"network": "n"}}, "backup": {"enabled": True}},
            "backup.enabled = True: scheduled backups are a CronJob of the kubernetes target",
        ),
        (
            Sentry,
            {"target": {"docker": {"network": "n"}}, "cleanup_schedule": "0 3 * * *"},
            "cleanup_schedule = '0 3 * * *': the docker target runs no scheduled jobs",
        ),
        (Sentry, {"target": KUBERNETES, "enabled": False}, "enabled: not an argument of Sentry"),
        (
            Sentry,
            {"target": KUBERNETES, "smtp": {"host": "smtp.example.com", "sender": "s@example.com", "password": 7}},
            "smtp.password = 7: expected a secret",
        ),
        (
            EventBus,
            {
                "target": {
                    "kubernetes": {**KUBERNETES["kubernetes"], "exposure": {"mode": "ingress", "uis": ["console"]}}
                }
            },
            "target.kubernetes.exposure.domain: required to name the hosts of console",
        ),
        (Cache, {"target": {"docker": {"instance": "team"}}}, "target.docker.network: required"),
        (Cache, {"target": {"docker": {"network": "n", "hostPortOffset": 1}}}, "target.docker.hostPortOffset: unknown"),
        (Cache, {"target": {"docker": {"network": "n", "host_port_offset": -1}}}, "host_port_offset = -1: expected a"),
        (
            Cache,
            {"target": {"kubernetes": {**KUBERNETES["kubernetes"], "protect": "yes"}}},
            "protect = 'yes': expected",
        ),
    ],
)
def test_bad_arguments_are_refused_by_name_before_any_resource(component: Any, args: Any, expected: str) -> None:
    message, recording = refusal(component, args)
    assert expected in message
    assert f"{component.__name__} 'refused'" in message
    assert not [r for r in recording.resources if r.type != "pulumi:pulumi:Stack"]


def test_the_python_example_declares_every_config_key_it_reads() -> None:
    # an undeclared key still works from `pulumi config set`, but the example's Pulumi.yaml is what a reader sees
    example = ROOT / "examples" / "python"
    read = {
        call.args[0].value
        for call in ast.walk(ast.parse((example / "__main__.py").read_text()))
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "config"
        and call.args
        and isinstance(call.args[0], ast.Constant)
    }
    declared = set(yaml.safe_load((example / "Pulumi.yaml").read_text())["config"])
    assert read == declared
    assert {"namespace", "network", "strictSpread"} <= read  # the parse finds the calls
