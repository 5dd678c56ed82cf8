"""Encryption in transit (issue 21), as the program generates it: the cert-manager objects, the mounts,
and every server's and client's settings, on each stack under the mock engine."""

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config import ConfigError, parse
from components.model import CA_FILE, TLS_CA, TLS_CERT, TLS_DIR, TLS_KEY
from components.runtime.kubernetes import certificates
from tests.harness import Recording, run_stack
from tests.observability import files_of, prometheus_files
from tests.policy_args import mandatory_violations, stack_policy_config

CERTIFICATE = "kubernetes:cert-manager.io/v1:Certificate"
ISSUER = "kubernetes:cert-manager.io/v1:Issuer"
POD_KINDS = (
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
)
SERVERS = ("postgres", "redis", "redpanda")
# every client of a TLS server in the program, and the server it verifies
CLIENTS = {
    "postgres-exporter": "postgres",
    "postgres-converge": "postgres",
    "postgres-backup": "postgres",
    "postgres-tls-reload": "postgres",
    "redis-exporter": "redis",
    "redis-tls-reload": "redis",
    "redpanda-console": "redpanda",
    "redpanda-topics": "redpanda",
    "prometheus": "redpanda",
}
CLUSTERS = ("staging", "prod")


def pod_spec(recording: Recording, workload: str) -> dict[str, Any]:
    for kind in POD_KINDS:
        found = [r for r in recording.of_type(kind) if r.name == workload]
        if found:
            spec = found[0].inputs["spec"]
            if kind.endswith("CronJob"):
                spec = spec["jobTemplate"]["spec"]
            pod: dict[str, Any] = spec["template"]["spec"]
            return pod
    raise AssertionError(f"no pod template for {workload}")


def env(recording: Recording, workload: str) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in pod_spec(recording, workload)["containers"][0]["env"]}


def certificate(recording: Recording, server: str) -> dict[str, Any]:
    spec: dict[str, Any] = recording.one(CERTIFICATE, f"certificate-{server}-tls").inputs["spec"]
    return spec


@cache
def cluster_issuer_prod() -> Recording:
    return run_stack("prod", {"dictamesh:kubernetes": {**prod_kubernetes(), "tls": {"issuer": "internal-ca"}}})


@cache
def plain_prod() -> Recording:
    return run_stack("prod", {"dictamesh:kubernetes": {**prod_kubernetes(), "tls": {"enabled": False}}})


def prod_kubernetes() -> dict[str, Any]:
    with open("Pulumi.prod.yaml") as stack_file:
        kubernetes: dict[str, Any] = yaml.safe_load(stack_file)["config"]["dictamesh:kubernetes"]
    return kubernetes


@pytest.mark.parametrize("stack", CLUSTERS)
def test_the_stack_makes_its_own_ca_and_signs_every_server_with_it(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    issuers = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in recording.of_type(ISSUER)}
    assert issuers == {
        certificates.SELF_SIGNED_ISSUER: {"selfSigned": {}},
        "dictamesh-ca": {"ca": {"secretName": "dictamesh-ca"}},
    }
    ca = recording.one(CERTIFICATE, "certificate-dictamesh-ca").inputs["spec"]
    assert ca["isCA"] is True and ca["issuerRef"]["name"] == certificates.SELF_SIGNED_ISSUER
    # leaves are not re-issued when the CA is: a new CA key would leave every client distrusting them
    assert ca["privateKey"]["rotationPolicy"] == "Never" and ca["duration"] == "87600h"
    leaves = {r.inputs["spec"]["secretName"] for r in recording.of_type(CERTIFICATE)} - {"dictamesh-ca"}
    assert leaves == {f"{server}-tls" for server in SERVERS}
    for server in SERVERS:
        leaf = certificate(recording, server)
        assert leaf["issuerRef"] == {"name": "dictamesh-ca", "kind": "Issuer", "group": "cert-manager.io"}
        # cert-manager's default usages leave out server auth, which Go and OpenSSL clients check
        assert "server auth" in leaf["usages"]
        assert leaf["privateKey"]["rotationPolicy"] == "Always"


def test_a_cluster_issuer_replaces_the_stacks_own_ca() -> None:
    recording = cluster_issuer_prod()
    assert recording.of_type(ISSUER) == []
    assert sorted(r.inputs["spec"]["secretName"] for r in recording.of_type(CERTIFICATE)) == [
        f"{server}-tls" for server in sorted(SERVERS)
    ]
    for server in SERVERS:
        assert certificate(recording, server)["issuerRef"] == {
            "name": "internal-ca",
            "kind": "ClusterIssuer",
            "group": "cert-manager.io",
        }
    assert recording.outputs["tlsCa"]["secret"] == "postgres-tls"


@pytest.mark.parametrize("stack", CLUSTERS)
def test_each_certificate_names_every_address_its_clients_dial(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    namespace = f"dictamesh-{stack}"
    brokers = recording.one("kubernetes:apps/v1:StatefulSet", "redpanda").inputs["spec"]["replicas"]
    dialled = {
        "postgres": {env(recording, "postgres-backup")["PGHOST"], env(recording, "postgres-converge")["PGHOST"]},
        "redis": {env(recording, "redis-exporter")["REDIS_ADDR"].split("//")[1].rsplit(":", 1)[0]},
        "redpanda": {b.rsplit(":", 1)[0] for b in env(recording, "redpanda-topics")["RPK_BROKERS"].split(",")},
    }
    assert len(dialled["redpanda"]) == brokers
    for server, hosts in dialled.items():
        names = certificate(recording, server)["dnsNames"]
        assert hosts <= set(names), (server, hosts, names)
        assert f"{server}.{namespace}.svc.cluster.local" in names and server in names


@pytest.mark.parametrize("stack", CLUSTERS)
def test_servers_mount_their_certificate_and_clients_the_ca_alone(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    for server in SERVERS:
        pod = pod_spec(recording, server)
        volume = next(v for v in pod["volumes"] if v["name"] == "tls")
        assert volume["secret"] == {"secretName": f"{server}-tls", "defaultMode": 0o440}
        mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "tls")
        # a subPath mount never sees a renewed file
        assert mount == {"name": "tls", "mountPath": TLS_DIR, "readOnly": True}
    for client, server in CLIENTS.items():
        pod = pod_spec(recording, client)
        volume = next(v for v in pod["volumes"] if v["name"] == "tls-ca")
        # never the server's key beside it; PostgreSQL's reload job compares the certificate with what it serves
        compared = [{"key": "tls.crt", "path": "server.crt"}] if client == "postgres-tls-reload" else []
        assert volume["secret"] == {
            "secretName": f"{server}-tls",
            "defaultMode": 0o444,
            "items": [{"key": "ca.crt", "path": "ca.crt"}, *compared],
        }, client
        mounts = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "tls-ca"]
        assert mounts == [{"name": "tls-ca", "mountPath": "/etc/dictamesh/ca", "readOnly": True}]
        assert not any(v["name"] == "tls" for v in pod["volumes"]), f"{client} mounts a server's key"


def test_redis_takes_tls_alone_and_its_clients_verify(stacks: dict[str, Recording]) -> None:
    recording = stacks["prod"]
    conf = files_of(recording, "redis")["redis.conf"].splitlines()
    assert "port 0" in conf and "tls-port 6379" in conf and "tls-auth-clients no" in conf
    assert {f"tls-cert-file {TLS_CERT}", f"tls-key-file {TLS_KEY}", f"tls-ca-cert-file {TLS_CA}"} <= set(conf)
    exporter = env(recording, "redis-exporter")
    assert exporter["REDIS_ADDR"] == "rediss://redis.dictamesh-prod.svc.cluster.local:6379"
    assert exporter["REDIS_EXPORTER_TLS_CA_CERT_FILE"] == CA_FILE
    probe = pod_spec(recording, "redis")["containers"][0]["readinessProbe"]["exec"]["command"][-1]
    assert f"--tls --cacert {TLS_CA}" in probe
    reload = pod_spec(recording, "redis-tls-reload")["containers"][0]["command"][-1]
    assert f"--tls --cacert {CA_FILE}" in reload and "CONFIG SET tls-cert-file" in reload
    assert recording.outputs["cacheUrl"].startswith("rediss://")


def test_postgres_takes_tls_alone_from_the_network_and_its_clients_verify_the_name(
    stacks: dict[str, Recording],
) -> None:
    recording = stacks["prod"]
    found = files_of(recording, "postgres")
    conf = found["postgresql.conf"]
    assert "ssl = on" in conf and f"ssl_key_file = '{TLS_KEY}'" in conf
    assert "hba_file = '/etc/postgresql/pg_hba.conf'" in conf
    rules = [line.split() for line in found["pg_hba.conf"].splitlines() if line and not line.startswith("#")]
    assert {rule[0] for rule in rules} == {"local", "hostssl"}
    verify = f"sslmode=verify-full&sslrootcert={CA_FILE}"
    assert env(recording, "postgres-exporter")["DATA_SOURCE_URI"].endswith(f"?{verify}")
    for job in ("postgres-converge", "postgres-backup", "postgres-tls-reload"):
        assert env(recording, job)["PGSSLMODE"] == "verify-full" and env(recording, job)["PGSSLROOTCERT"] == CA_FILE
    assert recording.outputs["catalogDsn"].endswith(f"?{verify}")


def test_every_redpanda_listener_and_client_is_tls(stacks: dict[str, Recording]) -> None:
    recording = stacks["prod"]
    config = yaml.safe_load(files_of(recording, "redpanda")["redpanda.yaml"])
    server_tls = {
        "enabled": True,
        "cert_file": TLS_CERT,
        "key_file": TLS_KEY,
        "truststore_file": TLS_CA,
        "require_client_auth": False,
    }
    listener = [{"name": "internal", **server_tls}]
    assert config["redpanda"]["admin"] == [{"name": "internal", "address": "0.0.0.0", "port": 9644}]
    assert config["redpanda"]["kafka_api_tls"] == listener and config["redpanda"]["admin_api_tls"] == listener
    assert config["redpanda"]["rpc_server_tls"] == server_tls
    assert config["pandaproxy"] == {"pandaproxy_api_tls": listener}
    assert config["schema_registry"] == {"schema_registry_api_tls": listener}
    brokers = [f"redpanda-{n}.redpanda.dictamesh-prod.svc.cluster.local" for n in range(3)]
    for client in ("pandaproxy_client", "schema_registry_client"):
        assert config[client]["brokers"] == [{"address": b, "port": 9092} for b in brokers]
        assert config[client]["broker_tls"] == {
            "enabled": True,
            "truststore_file": TLS_CA,
            "require_client_auth": False,
        }
    # the start flags name the same listener: an entry under another name would leave it in plain text
    args = pod_spec(recording, "redpanda")["containers"][0]["args"]
    for flag in ("--kafka-addr=", "--pandaproxy-addr=", "--schema-registry-addr="):
        assert next(a for a in args if a.startswith(flag)).split("=", 1)[1].startswith("internal://")
    topics = env(recording, "redpanda-topics")
    assert {k: topics[k] for k in topics if "TLS" in k} == {
        "RPK_TLS_ENABLED": "true",
        "RPK_TLS_CA": CA_FILE,
        "RPK_ADMIN_TLS_ENABLED": "true",
        "RPK_ADMIN_TLS_CA": CA_FILE,
    }
    probe = pod_spec(recording, "redpanda")["containers"][0]["readinessProbe"]["exec"]["command"][-1]
    service = "redpanda.dictamesh-prod.svc.cluster.local"
    assert f"--cacert {TLS_CA} --resolve {service}:9644:127.0.0.1 https://{service}:9644/" in probe
    prometheus, _ = prometheus_files(recording)
    job = next(j for j in yaml.safe_load(prometheus)["scrape_configs"] if j["job_name"] == "redpanda")
    assert job["scheme"] == "https" and job["tls_config"] == {"ca_file": CA_FILE}
    outputs = recording.outputs["eventBus"]
    assert outputs["schemaRegistryUrl"].startswith("https://") and outputs["httpProxyUrl"].startswith("https://")
    assert all(url.startswith("https://") for url in outputs["adminUrls"])


def test_the_console_verifies_every_api_against_the_ca(stacks: dict[str, Recording]) -> None:
    recording = stacks["prod"]
    secret = recording.one("kubernetes:core/v1:Secret", "redpanda-console-secrets").inputs["stringData"]
    config = yaml.safe_load(secret["config.yaml"])
    tls = {"enabled": True, "caFilepath": CA_FILE}
    assert config["kafka"]["tls"] == tls
    assert config["schemaRegistry"]["tls"] == tls and config["redpanda"]["adminApi"]["tls"] == tls
    assert all(
        u.startswith("https://") for u in config["schemaRegistry"]["urls"] + config["redpanda"]["adminApi"]["urls"]
    )


def test_dev_stays_plain_text_on_the_loopback(stacks: dict[str, Recording]) -> None:
    dev = stacks["dev"]
    assert dev.of_type(CERTIFICATE) == []
    assert "port 6379" in files_of(dev, "redis")["/etc/redis/redis.conf"].splitlines()
    assert "ssl = on" not in files_of(dev, "postgres")["/etc/postgresql/postgresql.conf"]
    assert dev.outputs["cacheUrl"].startswith("redis://") and "sslmode" not in dev.outputs["catalogDsn"]
    assert "tlsCa" not in dev.outputs


def test_the_ca_is_an_output_with_where_to_read_it(stacks: dict[str, Recording]) -> None:
    trust = stacks["staging"].outputs["tlsCa"]
    assert trust == {
        "namespace": "dictamesh-staging",
        "secret": "dictamesh-ca",
        "key": "ca.crt",
        "mountedAt": CA_FILE,
        "read": "kubectl -n dictamesh-staging get secret dictamesh-ca -o jsonpath='{.data.ca\\.crt}' | base64 -d",
    }
    assert "tlsCa" not in stacks["staging"].secret_outputs


def test_plain_text_without_cert_manager_is_refused_by_the_prod_policy() -> None:
    plain = plain_prod()
    assert plain.of_type(CERTIFICATE) == []
    assert plain.outputs["cacheUrl"].startswith("redis://")
    found = [v for v in mandatory_violations(plain, stack_policy_config("prod")) if "encrypted" in v]
    assert sorted(found) == [
        f"datastores-encrypted-in-transit: {server} serves without TLS: its pods mount no certificate that a "
        "cert-manager Certificate of the stack issues. Set kubernetes.tls.enabled to true (the cluster needs "
        "cert-manager)."
        for server in SERVERS
    ]
    assert [v for v in mandatory_violations(plain, stack_policy_config("staging")) if "encrypted" in v] == []


def with_files(recording: Recording, changes: dict[str, dict[str, str]]) -> Recording:
    """The recording with some ConfigMaps' files replaced: `<workload>-files` -> file -> content."""
    resources = [
        replace(r, inputs={**r.inputs, "data": {**r.inputs["data"], **changes[r.name]}}) if r.name in changes else r
        for r in recording.resources
    ]
    return replace(recording, resources=resources)


def test_the_prod_policy_refuses_a_datastore_that_also_takes_plain_text(stacks: dict[str, Recording]) -> None:
    prod = stacks["prod"]
    assert [v for v in mandatory_violations(prod, stack_policy_config("prod")) if "encrypted" in v] == []
    files = {server: files_of(prod, server) for server in SERVERS}
    broker = yaml.safe_load(files["redpanda"]["redpanda.yaml"])
    broker["redpanda"]["kafka_api_tls"] = []
    broker["redpanda"]["rpc_server_tls"]["enabled"] = False
    leaky = with_files(
        prod,
        {
            "postgres-files": {"pg_hba.conf": files["postgres"]["pg_hba.conf"] + "host all all all scram-sha-256\n"},
            "redis-files": {"redis.conf": files["redis"]["redis.conf"].replace("port 0", "port 6380")},
            "redpanda-files": {"redpanda.yaml": yaml.safe_dump(broker)},
        },
    )
    found = [v for v in mandatory_violations(leaky, stack_policy_config("prod")) if "encrypted" in v]
    assert sorted(v.split(": ", 1)[1] for v in found) == [
        "postgres takes plain text beside TLS: pg_hba.conf: `host all all all scram-sha-256` takes plain text.",
        "redis takes plain text beside TLS: redis.conf: port 6380.",
        "redpanda takes plain text beside TLS: redpanda: the RPC between brokers has no TLS.",
        "redpanda takes plain text beside TLS: redpanda: the kafka listener 'internal' has no TLS.",
    ]


def test_a_bad_issuer_is_refused_naming_the_setting() -> None:
    with pytest.raises(ConfigError) as raised:
        parse("prod", {"target": "kubernetes", "kubernetes": '{"tls": {"issuer": "Internal CA"}}'})
    assert (
        "dictamesh:kubernetes.tls.issuer = 'Internal CA': expected selfSigned, or a ClusterIssuer's name "
        "(lower-case letters, digits, '-' and '.')"
    ) in str(raised.value)


FACTS = json.loads((Path(__file__).parent / "upstream" / "tls-facts.json").read_text())


def test_redpandas_config_uses_only_keys_its_release_reads(stacks: dict[str, Recording]) -> None:
    """Read from Redpanda's config code and rpk's YAML structs (tests/upstream/tls-facts.json, with the ref)."""
    recording = stacks["prod"]
    config = yaml.safe_load(files_of(recording, "redpanda")["redpanda.yaml"])
    redpanda = FACTS["redpanda"]
    sections = {
        "redpanda": redpanda["node_properties"],
        "pandaproxy": redpanda["pandaproxy_properties"],
        "schema_registry": redpanda["schema_registry_properties"],
        "pandaproxy_client": redpanda["kafka_client_properties"],
        "schema_registry_client": redpanda["kafka_client_properties"],
    }
    assert set(config) - {"rpk"} <= set(sections)
    for section, keys in config.items():
        if section != "rpk":
            assert set(keys) <= set(sections[section]), section
    # rpk in a broker's container reaches the seeds' TLS listeners and verifies them against the CA
    rpk_yaml = FACTS["rpk"]["yaml"]
    assert set(config["rpk"]) == set(rpk_yaml["sections"])
    for api, settings in config["rpk"].items():
        assert set(settings) <= set(rpk_yaml["sections"][api]), api
        assert settings["tls"] == {"ca_file": "/etc/dictamesh/tls/ca.crt"} and set(settings["tls"]) <= set(
            rpk_yaml["tls_keys"]
        )
    assert config["rpk"]["admin_api"]["addresses"][0] == "redpanda-0.redpanda.dictamesh-prod.svc.cluster.local:9644"
    listeners = [
        config["redpanda"]["kafka_api_tls"],
        config["redpanda"]["admin_api_tls"],
        config["pandaproxy"]["pandaproxy_api_tls"],
        config["schema_registry"]["schema_registry_api_tls"],
    ]
    for entries in listeners:
        for entry in entries:
            assert set(entry) <= set(redpanda["endpoint_tls_keys"]) and entry["enabled"] is True
            assert entry["require_client_auth"] is False
    clients = [config[client]["broker_tls"] for client in ("pandaproxy_client", "schema_registry_client")]
    for entry in [config["redpanda"]["rpc_server_tls"], *clients]:
        assert set(entry) <= set(redpanda["tls_keys"]) and entry["enabled"] is True
    assert set(config["redpanda"]["admin"][0]) <= {"name", "address", "port"}


def test_clients_use_the_tls_settings_their_release_reads(stacks: dict[str, Recording]) -> None:
    recording = stacks["prod"]
    rpk = set(FACTS["rpk"]["x_keys"].values())
    # RPK_PASS_FILE is topics.sh's own: it exports RPK_PASS from the file
    assert {key for key in env(recording, "redpanda-topics") if key.startswith("RPK_")} - {"RPK_PASS_FILE"} <= rpk
    secret = recording.one("kubernetes:core/v1:Secret", "redpanda-console-secrets").inputs["stringData"]
    console = yaml.safe_load(secret["config.yaml"])
    for api in (console["kafka"], console["schemaRegistry"], console["redpanda"]["adminApi"]):
        assert set(api["tls"]) <= set(FACTS["console"]["tls_struct_keys"])
    assert FACTS["redis_exporter"]["ca_env"] in env(recording, "redis-exporter")
    assert FACTS["postgres_exporter"]["sslrootcert_in_uri"] is True
