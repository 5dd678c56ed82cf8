"""EventBus under the mock engine: every broker knows itself and the same seeds, on both targets."""

import re
from typing import Any

import pytest
import yaml

from components.config import ConfigError, parse
from components.event_bus import files
from components.model import Replica
from tests.harness import Recording, run_stack

CONTAINER = "docker:index/container:Container"
SEEDS = "--seeds=redpanda-0:33145,redpanda-1:33145,redpanda-2:33145"


def flag(args: list[str], name: str) -> str:
    values = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}=")]
    assert len(values) == 1, (name, args)
    return values[0]


def cluster_args(recording: Recording, stack: str) -> list[list[str]]:
    """The arguments each broker runs with; in a StatefulSet, the template with its pod's name put in."""
    if stack == "dev":
        return [recording.one(CONTAINER, f"redpanda-{n}").inputs["command"] for n in range(3)]
    template = recording.one("kubernetes:apps/v1:StatefulSet", "redpanda").inputs["spec"]["template"]["spec"]
    container = template["containers"][0]
    assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in container["env"]
    return [[arg.replace("$(POD_NAME)", f"redpanda-{n}") for arg in container["args"]] for n in range(3)]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_broker_advertises_itself_and_joins_the_same_seeds(stacks: dict[str, Recording], stack: str) -> None:
    domain = "" if stack == "dev" else f".redpanda.dictamesh-{stack}.svc.cluster.local"
    brokers = cluster_args(stacks[stack], stack)
    seeds = {flag(args, "seeds") for args in brokers}
    assert seeds == {",".join(f"redpanda-{n}{domain}:33145" for n in range(3))}
    for n, args in enumerate(brokers):
        me = f"redpanda-{n}{domain}"
        assert args[:2] == ["redpanda", "start"]
        assert flag(args, "advertise-kafka-addr").startswith(f"internal://{me}:9092")
        assert flag(args, "advertise-pandaproxy-addr").startswith(f"internal://{me}:8082")
        assert flag(args, "advertise-rpc-addr") == f"{me}:33145"
        assert flag(args, "rpc-addr") == "0.0.0.0:33145"
        assert flag(args, "schema-registry-addr").startswith("internal://0.0.0.0:8081")


def test_dev_brokers_publish_their_own_host_ports(stacks: dict[str, Recording]) -> None:
    for n, args in enumerate(cluster_args(stacks["dev"], "dev")):
        assert flag(args, "advertise-kafka-addr") == f"internal://redpanda-{n}:9092,external://localhost:{19092 + n}"
        assert flag(args, "mode") == "dev-container" and flag(args, "smp") == "1"
        ports = {p["internal"]: p["external"] for p in stacks["dev"].one(CONTAINER, f"redpanda-{n}").inputs["ports"]}
        assert ports == {9644: 19644 + n, 19092: 19092 + n, 18081: 18081 + n, 18082: 18182 + n}


def test_the_dev_cluster_reserves_a_laptop_sized_footprint(stacks: dict[str, Recording]) -> None:
    brokers = [stacks["dev"].one(CONTAINER, f"redpanda-{n}").inputs for n in range(3)]
    assert sum(broker["memory"] for broker in brokers) == 3 * 1024  # MiB of container limits
    # Redpanda documents --memory 1G per dev-container broker; 64Mi stays for the process itself
    assert {flag(broker["command"], "memory") for broker in brokers} == {"960M"}


def test_the_core_dev_stack_fits_in_four_gibibytes(stacks: dict[str, Recording]) -> None:
    core = [
        c.inputs
        for c in stacks["dev"].of_type(CONTAINER)
        if c.inputs["mustRun"]
        and c.name not in ("prometheus", "alertmanager", "grafana", "jaeger")
        and not c.name.startswith("sentry-")
    ]
    assert len(core) == 8  # three brokers, Console, PostgreSQL, Redis and two exporters
    assert sum(c["memory"] for c in core) <= 4096


def test_a_dev_container_broker_needs_a_gibibyte() -> None:
    with pytest.raises(ConfigError, match=r"'896Mi': a dev-container broker needs at least 1Gi"):
        parse("dev", {"eventBus": '{"resources": {"memory": "896Mi"}}'})


def test_dev_health_check_passes_only_once_the_broker_reports_ready(stacks: dict[str, Recording]) -> None:
    check = stacks["dev"].one(CONTAINER, "redpanda-0").inputs["healthcheck"]["tests"]
    assert check[:3] == ["CMD", "sh", "-c"]
    assert "/v1/status/ready" in check[3] and "grep -q '\"ready\"'" in check[3]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_clusters_run_in_production_mode_sized_from_resources(stacks: dict[str, Recording], stack: str) -> None:
    args = cluster_args(stacks[stack], stack)[0]
    assert not any(arg.startswith("--mode") for arg in args)
    expected = {"staging": ("1", "1228M"), "prod": ("2", "3276M")}[stack]
    assert (flag(args, "smp"), flag(args, "memory")) == expected
    assert not any("external://" in arg for arg in args)
    statefulset = stacks[stack].one("kubernetes:apps/v1:StatefulSet", "redpanda").inputs["spec"]
    assert statefulset["replicas"] == 3 and statefulset["podManagementPolicy"] == "Parallel"
    container = statefulset["template"]["spec"]["containers"][0]
    assert {p["name"] for p in container["ports"]} == {"kafka", "schema-registry", "http-proxy", "admin", "rpc"}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_brokers_start_from_a_production_redpanda_yaml(stacks: dict[str, Recording], stack: str) -> None:
    """Without a redpanda.yaml, rpk takes its defaults (developer_mode: true) and bypasses fsync."""
    recording = stacks[stack]
    template = recording.one("kubernetes:apps/v1:StatefulSet", "redpanda").inputs["spec"]["template"]["spec"]
    container = template["containers"][0]
    assert container["command"] == ["/bin/bash", "/opt/dictamesh/broker.sh"]  # tests/test_broker_script.py
    assert container["args"][:2] == ["redpanda", "start"]
    data = recording.one("kubernetes:core/v1:ConfigMap", "redpanda-files").inputs["data"]
    assert data["broker.sh"] == files.script("broker.sh")
    node = yaml.safe_load(data["redpanda.yaml"])["redpanda"]  # and TLS: tests/test_tls.py
    assert node["data_directory"] == "/var/lib/redpanda/data" and node["developer_mode"] is False
    # a broker whose seeds are empty would found a cluster of its own; off, as Redpanda advises in production
    assert node["empty_seed_starts_cluster"] is False
    assert node["admin"] == [{"name": "internal", "address": "0.0.0.0", "port": 9644}]
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/etc/dictamesh/redpanda.yaml"]["subPath"] == "redpanda.yaml"
    assert "subPath" not in mounts["/etc/redpanda"]  # writable: rpk writes its config back at start
    for args in cluster_args(recording, stack):
        assert not {"--mode=dev-container", "--unsafe-bypass-fsync", "--check=false"} & set(args)
        # no static CPU manager is assumed: a pinned reactor would busy-poll a core that other pods share
        assert "--overprovisioned" in args


def test_production_mode_needs_a_gibibyte_per_core() -> None:
    with pytest.raises(
        ConfigError, match=r"2Gi for 2 core\(s\) gives Redpanda 819Mi per core .* at least 1Gi per core"
    ):
        parse("staging", {"eventBus": '{"resources": {"cpu": "2", "memory": "2Gi"}}'})
    assert parse("dev", {"eventBus": '{"resources": {"cpu": "2", "memory": "2Gi"}}'}).event_bus.dev_container


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_broker_probes_wait_for_a_new_cluster_and_read_the_ready_body(stacks: dict[str, Recording], stack: str) -> None:
    template = stacks[stack].one("kubernetes:apps/v1:StatefulSet", "redpanda").inputs["spec"]["template"]["spec"]
    container = template["containers"][0]
    startup, ready, alive = (container[f"{kind}Probe"] for kind in ("startup", "readiness", "liveness"))
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 1200  # the chart allows 20 minutes
    # /v1/status/ready answers 200 with {"status":"booting"}: only the body tells
    assert "/v1/status/ready" in ready["exec"]["command"][2] and '"ready"' in ready["exec"]["command"][2]
    assert alive == {"tcpSocket": {"port": 9644}, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 6}
    assert template["terminationGracePeriodSeconds"] == 90


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_sasl_superuser_comes_from_a_secret(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    container = recording.one("kubernetes:apps/v1:StatefulSet", "redpanda").inputs["spec"]["template"]["spec"]
    env = {item["name"]: item for item in container["containers"][0]["env"]}
    assert env["RP_BOOTSTRAP_USER"]["valueFrom"]["secretKeyRef"] == {
        "name": "redpanda-secrets",
        "key": "RP_BOOTSTRAP_USER",
    }
    bootstrap = yaml.safe_load(
        recording.one("kubernetes:core/v1:ConfigMap", "redpanda-files").inputs["data"][".bootstrap.yaml"]
    )
    assert bootstrap == {
        "default_topic_replications": 3,
        "enable_sasl": True,
        "superusers": ["admin"],
        "admin_api_require_auth": True,
    }
    assert "eventBusSaslPassword" in recording.secret_outputs


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_http_proxy_and_schema_registry_ask_for_basic_auth_under_sasl(stacks: dict[str, Recording], stack: str) -> None:
    for args in cluster_args(stacks[stack], stack):
        assert flag(args, "pandaproxy-addr") == "internal://0.0.0.0:8082|http_basic"
        assert flag(args, "schema-registry-addr") == "internal://0.0.0.0:8081|http_basic"
        assert flag(args, "kafka-addr") == "internal://0.0.0.0:9092"
    for args in cluster_args(stacks["dev"], "dev"):  # no SASL in dev: no auth on any listener
        assert "|" not in flag(args, "pandaproxy-addr") + flag(args, "schema-registry-addr")


def test_topics_nobody_declared_get_three_replicas_where_there_are_three_brokers() -> None:
    assert yaml.safe_load(files.bootstrap_yaml(parse("dev", {}).event_bus))["default_topic_replications"] == 3
    one = parse("dev", {"eventBus": '{"brokers": 1, "topics": []}'}).event_bus
    assert yaml.safe_load(files.bootstrap_yaml(one))["default_topic_replications"] == 1


def test_min_insync_replicas_is_refused_with_the_reason() -> None:
    topics = '{"topics": [{"name": "a", "config": {"min.insync.replicas": "2"}}]}'
    with pytest.raises(ConfigError, match=r"eventBus.topics\[0\].config.min.insync.replicas is not allowed: Redpanda"):
        parse("staging", {"eventBus": topics})


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_broker_ports_admit_only_who_needs_them(stacks: dict[str, Recording], stack: str) -> None:
    policy = stacks[stack].one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "redpanda-clients").inputs["spec"]
    admitted = {
        int(port["port"]): set(rule["from"][0]["podSelector"]["matchExpressions"][0]["values"])
        for rule in policy["ingress"]
        for port in rule["ports"]
    }
    assert admitted[33145] == {"redpanda"}
    assert admitted[9644] == {"redpanda-console", "redpanda-topics", "redpanda-decommission", "prometheus"}
    for port in (9092, 8081, 8082):
        assert {"redpanda-console", "redpanda-topics", "redpanda-decommission", "metadata-catalog"} <= admitted[port]
        assert "prometheus" not in admitted[port]
    # each broker's HTTP proxy and Schema Registry produce to and read from the partition leaders
    assert "redpanda" in admitted[9092]
    assert "redpanda" not in admitted[8081] | admitted[8082]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_console_config_names_every_broker(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    if stack == "dev":
        uploads = recording.one(CONTAINER, "redpanda-console").inputs["uploads"]
        text = next(u["content"] for u in uploads if u["file"] == "/etc/redpanda-console/config.yaml")
        brokers = [f"redpanda-{n}" for n in range(3)]
    else:
        secret = recording.one("kubernetes:core/v1:Secret", "redpanda-console-secrets")
        assert secret.is_secret("stringData.config.yaml")
        text = secret.inputs["stringData"]["config.yaml"]
        brokers = [f"redpanda-{n}.redpanda.dictamesh-{stack}.svc.cluster.local" for n in range(3)]
    config = yaml.safe_load(text)
    scheme = "http" if stack == "dev" else "https"  # TLS: tests/test_tls.py
    assert config["kafka"]["brokers"] == [f"{b}:9092" for b in brokers]
    assert config["schemaRegistry"]["urls"] == [f"{scheme}://{b}:8081" for b in brokers]
    assert config["redpanda"]["adminApi"]["urls"] == [f"{scheme}://{b}:9644" for b in brokers]
    assert ("sasl" in config["kafka"]) is (stack != "dev")
    if stack != "dev":  # the Console's own user, not the superuser, on Kafka, the Schema Registry and admin API
        assert config["kafka"]["sasl"]["username"] == "dictamesh_console"
        password = config["kafka"]["sasl"]["password"]
        for api in (config["schemaRegistry"], config["redpanda"]["adminApi"]):
            assert api["authentication"] == {
                "impersonateUser": False,
                "basic": {"username": "dictamesh_console", "password": password},
            }
        topics = recording.one("kubernetes:core/v1:Secret", "redpanda-topics-secrets").inputs["stringData"]
        assert topics["console-password"] == password != topics["sasl-password"]
        assert topics["sasl-password"] not in text
        console = recording.one("kubernetes:apps/v1:Deployment", "redpanda-console")
        assert any("redpanda-topics" in urn for urn in console.depends_on)  # its user exists before it starts


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_topics_are_applied_by_a_job_after_the_cluster(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    if stack == "dev":
        job = recording.one(CONTAINER, "redpanda-topics")
        spec = next(u["content"] for u in job.inputs["uploads"] if u["file"] == "/etc/dictamesh/topics.tsv")
        brokers = {r.urn for r in recording.of_type(CONTAINER) if re.fullmatch(r"redpanda-\d", r.name)}
    else:
        job = recording.one("kubernetes:batch/v1:Job", "redpanda-topics")
        spec = recording.one("kubernetes:core/v1:ConfigMap", "redpanda-topics-files").inputs["data"]["topics.tsv"]
        brokers = {recording.one("kubernetes:apps/v1:StatefulSet", "redpanda").urn}
        assert job.delete_before_replace
    assert brokers <= set(job.depends_on)
    names = [line.split("\t")[0] for line in spec.splitlines()]
    assert names == ["dictamesh.entity-events", "dictamesh.schema-changes", "dictamesh.lineage-events"]


def test_prod_refuses_two_brokers_and_dev_container_mode() -> None:
    with pytest.raises(ConfigError, match=r"dictamesh:eventBus.brokers = 2: prod needs at least 3 brokers"):
        run_stack("prod", {"dictamesh:eventBus": {"brokers": 2}})
    with pytest.raises(ConfigError, match=r"eventBus.devContainer = True: dev-container mode .* refused in prod"):
        parse("prod", {"eventBus": '{"devContainer": true}'})
    assert parse("dev", {"eventBus": '{"brokers": 1, "topics": []}'}).event_bus.brokers == 1


def node_config(recording: Recording, stack: str) -> dict[str, Any]:
    """The redpanda.yaml every broker starts from, parsed."""
    if stack == "dev":
        uploads = recording.one(CONTAINER, "redpanda-0").inputs["uploads"]
        text = next(u["content"] for u in uploads if u["file"] == "/etc/dictamesh/redpanda.yaml")
    else:
        text = recording.one("kubernetes:core/v1:ConfigMap", "redpanda-files").inputs["data"]["redpanda.yaml"]
    loaded: dict[str, Any] = yaml.safe_load(text)["redpanda"]
    return loaded


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_port_a_client_uses_is_bound_on_every_interface(stacks: dict[str, Recording], stack: str) -> None:
    """rpk takes the node file as it is: a listener neither there nor in a start flag stays on 127.0.0.1."""
    recording = stacks[stack]
    bound = {entry["port"]: entry["address"] for entry in node_config(recording, stack)["admin"]}
    for args in cluster_args(recording, stack):
        for name in ("kafka-addr", "pandaproxy-addr", "schema-registry-addr"):
            for listener in flag(args, name).split(","):
                address, port = listener.split("://")[1].split("|")[0].rsplit(":", 1)
                bound[int(port)] = address
        address, port = flag(args, "rpc-addr").rsplit(":", 1)
        bound[int(port)] = address
    bus = recording.outputs["eventBus"]
    urls = [*bus["adminUrls"], bus["schemaRegistryUrl"], bus["httpProxyUrl"]]
    used = {int(server.rsplit(":", 1)[1]) for server in bus["bootstrapServers"].split(",")}
    used |= {int(url.rsplit(":", 1)[1]) for url in urls} | {33145}
    used |= {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", str(recording.one(*broker_kind(stack)).inputs))}
    assert used == {9092, 8081, 8082, 9644, 33145}
    assert {port: bound.get(port) for port in used} == dict.fromkeys(used, "0.0.0.0")


def broker_kind(stack: str) -> tuple[str, str]:
    return (CONTAINER, "redpanda-0") if stack == "dev" else ("kubernetes:apps/v1:StatefulSet", "redpanda")


def test_brokers_pin_their_cores_only_where_the_nodes_say_they_can() -> None:
    settings = parse("prod", {"eventBus": '{"pinnedCpus": true}'}).event_bus
    replica = Replica(ordinal=0, host="redpanda-0", published={})
    assert "--overprovisioned" not in files.broker_args(settings, replica, ["redpanda-0"])
    assert "--overprovisioned" in files.broker_args(parse("prod", {}).event_bus, replica, ["redpanda-0"])


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_dev_container_properties_reach_the_bootstrap_file(stacks: dict[str, Recording], stack: str) -> None:
    """rpk writes dev-container mode's cluster properties into redpanda.yaml, which a .bootstrap.yaml overrides."""
    recording = stacks[stack]
    if stack == "dev":
        uploads = recording.one(CONTAINER, "redpanda-0").inputs["uploads"]
        text = next(u["content"] for u in uploads if u["file"] == "/etc/redpanda/.bootstrap.yaml")
    else:
        text = recording.one("kubernetes:core/v1:ConfigMap", "redpanda-files").inputs["data"][".bootstrap.yaml"]
    cluster = yaml.safe_load(text)
    if stack == "dev":
        assert cluster["storage_min_free_bytes"] == 10 * 2**20  # not the 5 GiB production floor
        assert cluster["write_caching_default"] == "true" and cluster["topic_partitions_per_shard"] == 1000
        assert "storage_min_free_bytes" not in node_config(recording, stack)  # ignored there next to the bootstrap
    else:
        assert not set(files.DEV_CONTAINER_CLUSTER) & set(cluster)


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_converge_job_carries_the_bootstrap_properties_even_without_topics(stack: str) -> None:
    recording = run_stack(stack, {"dictamesh:eventBus": {"topics": []}})
    bootstrap = yaml.safe_load(files.bootstrap_yaml(parse(stack, {"eventBus": '{"topics": []}'}).event_bus))
    if stack == "dev":
        uploads = recording.one(CONTAINER, "redpanda-topics").inputs["uploads"]
        text = next(u["content"] for u in uploads if u["file"] == "/etc/dictamesh/cluster.tsv")
    else:
        text = recording.one("kubernetes:core/v1:ConfigMap", "redpanda-topics-files").inputs["data"]["cluster.tsv"]
    assert [line.split("\t")[0] for line in text.splitlines()] == list(bootstrap)
