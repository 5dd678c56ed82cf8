"""Sentry under the mock engine on both targets: every service, the bootstrap order, secrets, outputs and memory."""

from typing import Any

import pytest

from components.config import ConfigError, parse
from components.quantity import mebibytes
from components.sentry import topology
from components.sentry.topology import ADMIN_JOB, SNUBA_JOB, TOPICS_JOB, UPGRADE_JOB
from tests.harness import Recording, Registered, run_stack

CONTAINER = "docker:index/container:Container"
JOB = "kubernetes:batch/v1:Job"
WORKLOAD_KINDS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet")
DATASTORE_NAMES = {s.name for s in topology.DATASTORES}
PROCESSES = [s for s in topology.SERVICES if s.name not in DATASTORE_NAMES]


def main_resources(recording: Recording) -> dict[str, Registered]:
    """Workload name -> its container (dev) or its Deployment, StatefulSet or Job (clusters)."""
    if recording.stack == "dev":
        return {r.name: r for r in recording.of_type(CONTAINER)}
    return {r.name: r for kind in (*WORKLOAD_KINDS, JOB) for r in recording.of_type(kind)}


def after(resources: dict[str, Registered], name: str) -> set[str]:
    """Every workload `name` waits for, directly or through others."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dependency in resources[todo.pop()].depends_on:
            found = dependency.rsplit("::", 1)[-1]
            if found in resources and found not in seen:
                seen.add(found)
                todo.append(found)
    return seen


def test_dev_runs_every_service_with_a_probe_limits_and_its_own_user(stacks: dict[str, Recording]) -> None:
    containers = main_resources(stacks["dev"])
    for service in topology.SERVICES:
        inputs = containers[service.name].inputs
        assert inputs["memory"] > 0 and float(inputs["cpus"]) > 0, service.name
        uid = int(inputs["user"].split(":")[0])
        assert uid != 0, service.name
        if service.name == "sentry-relay":  # distroless: nginx's health check goes through relay's readiness
            assert "healthcheck" not in inputs
            nginx_check = containers["sentry-nginx"].inputs["healthcheck"]["tests"]
            assert nginx_check[-1].endswith("/relay-health")
        else:
            assert inputs["healthcheck"]["tests"][0] == "CMD", service.name
    assert int(containers["sentry-web"].inputs["user"].split(":")[0]) == 999  # the image's `sentry` user


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_clusters_run_every_service_with_probes_limits_and_its_own_user(
    stacks: dict[str, Recording], stack: str
) -> None:
    workloads = main_resources(stacks[stack])
    for service in topology.SERVICES:
        workload = workloads[service.name]
        expected = "StatefulSet" if service.storage else "Deployment"
        assert workload.type.endswith(expected), service.name
        pod = workload.inputs["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(container), service.name
        assert container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] > 0
    relay = workloads["sentry-relay"].inputs["spec"]["template"]["spec"]["containers"][0]
    assert relay["readinessProbe"]["httpGet"] == {"path": "/api/relay/healthcheck/ready/", "port": 3000}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_bootstrap_runs_in_order_once_its_datastores_are_ready(stacks: dict[str, Recording], stack: str) -> None:
    resources = main_resources(stacks[stack])
    assert "sentry-kafka" in after(resources, TOPICS_JOB)
    assert {"sentry-clickhouse", "sentry-redis", TOPICS_JOB} <= after(resources, SNUBA_JOB)
    needs = {"sentry-postgres", "sentry-redis", "sentry-memcached", "sentry-objectstore", SNUBA_JOB}
    assert needs <= after(resources, UPGRADE_JOB)
    assert UPGRADE_JOB in after(resources, ADMIN_JOB)
    for service in PROCESSES:  # nothing of Sentry starts before its schema and its admin exist
        assert {TOPICS_JOB, SNUBA_JOB, UPGRADE_JOB, ADMIN_JOB} <= after(resources, service.name), service.name
    for datastore in DATASTORE_NAMES:
        assert not after(resources, datastore) & {TOPICS_JOB, SNUBA_JOB, UPGRADE_JOB, ADMIN_JOB}


def test_bootstrap_steps_run_the_upstream_commands(stacks: dict[str, Recording]) -> None:
    containers = main_resources(stacks["dev"])
    assert containers[UPGRADE_JOB].inputs["command"] == ["upgrade", "--noinput", "--create-kafka-topics"]
    snuba = containers[SNUBA_JOB].inputs["entrypoints"][-1]
    assert "snuba bootstrap --force --no-migrate" in snuba and "snuba migrations migrate --force" in snuba
    admin = containers[ADMIN_JOB].inputs["entrypoints"][-1]
    assert "createuser" in admin and "--superuser" in admin and "--force-update" in admin
    assert "--create-if-not-exists" not in containers[TOPICS_JOB].inputs["entrypoints"][-1]
    assert "--if-not-exists" in containers[TOPICS_JOB].inputs["entrypoints"][-1]
    for job in (TOPICS_JOB, SNUBA_JOB, UPGRADE_JOB, ADMIN_JOB):
        assert containers[job].inputs["mustRun"] is False and containers[job].inputs["attach"] is True


def test_a_new_sentry_image_runs_the_migrations_again() -> None:
    def upgrade_image(recording: Recording) -> str:
        job = recording.one(JOB, UPGRADE_JOB).inputs["spec"]["template"]["spec"]["containers"][0]
        image: str = job["image"]
        return image

    bumped = {"dictamesh:sentry": {"images": {"sentry": "ghcr.io/getsentry/sentry:26.9.0"}}}
    assert upgrade_image(run_stack("staging")) == "ghcr.io/getsentry/sentry:26.8.0"
    # a Job's pod template cannot change in place: the engine replaces the Job, which runs again
    assert upgrade_image(run_stack("staging", bumped)) == "ghcr.io/getsentry/sentry:26.9.0"


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_no_credential_in_a_command_line_an_env_literal_or_a_config_map(
    stacks: dict[str, Recording], stack: str
) -> None:
    """No generated secret may sit where anyone can read it."""
    recording = stacks[stack]
    for resource in recording.resources:
        if resource.type == CONTAINER:
            exposed = [*resource.inputs.get("entrypoints", []), *resource.inputs.get("command", [])]
            exposed += resource.inputs.get("envs", [])
        elif resource.type == "kubernetes:core/v1:ConfigMap":
            exposed = strings(resource.inputs.get("data", {}))
        elif resource.type in (*WORKLOAD_KINDS, JOB):
            containers = resource.inputs["spec"]["template"]["spec"]["containers"]
            exposed = strings([[c.get("command"), c.get("args"), c.get("env")] for c in containers])
        else:
            continue
        assert not recording.leaks(exposed), (resource.type, resource.name)


def test_network_policies_keep_each_datastore_to_its_clients(stacks: dict[str, Recording]) -> None:
    def admitted(workload: str) -> dict[int, set[str]]:
        spec = stacks["staging"].one("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{workload}-clients")
        found: dict[int, set[str]] = {}
        for rule in spec.inputs["spec"]["ingress"]:
            peers = set()
            for peer in rule["from"]:
                selector = peer.get("podSelector", {})
                names = [e["values"] for e in selector.get("matchExpressions", [])]
                peers |= {n for values in names for n in values} or {"*" if selector == {} else "?"}
            for port in rule["ports"]:
                found.setdefault(int(port["port"]), set()).update(peers)
        return found

    snuba = {s.name for s in (topology.SNUBA_API, *topology.SNUBA_CONSUMERS)} | {SNUBA_JOB}
    clickhouse = admitted("sentry-clickhouse")
    assert clickhouse[8123] == clickhouse[9000] == snuba and clickhouse[9363] == {"prometheus"}
    assert "sentry-web" in admitted("sentry-postgres")[5432] and not snuba & admitted("sentry-postgres")[5432]
    assert admitted("sentry-relay")[3000] == {"*"}  # in-namespace SDKs send events to relay
    assert admitted("sentry-taskbroker")[50051] == {"sentry-taskworker"}
    # isolated from the platform: no Sentry workload is a client of the catalog, cache or event bus
    for platform in ("postgres", "redis", "redpanda"):
        clients = {c for peers in admitted(platform).values() for c in peers}
        assert not {c for c in clients if c.startswith("sentry")}, platform


def test_outputs_give_the_url_the_admin_and_the_relay_endpoint(stacks: dict[str, Recording]) -> None:
    dev = stacks["dev"]
    assert dev.outputs["sentry"] == {
        "url": "http://127.0.0.1:9000",
        "adminEmail": "admin@dictamesh.local",
        "relayEndpoint": "http://sentry-relay:3000",
    }
    assert "sentryAdminPassword" in dev.secret_outputs
    staging = stacks["staging"].outputs["sentry"]
    assert staging["relayEndpoint"] == "http://sentry-relay.dictamesh-staging.svc.cluster.local:3000"


def test_the_whole_dev_stack_stays_within_twelve_and_a_half_gibibytes(stacks: dict[str, Recording]) -> None:
    services = [c.inputs for c in stacks["dev"].of_type(CONTAINER) if c.inputs["mustRun"]]
    sentry = sum(c["memory"] for c in services if c["name"].startswith("dictamesh-dev-sentry-"))
    total = sum(c["memory"] for c in services)
    assert total <= 12.5 * 1024, total  # 3.5 GB of the seed's 16 GB machine left to its host
    assert sentry == sum(
        mebibytes(getattr(parse("dev", {}).sentry.resources, s.size).memory) for s in topology.SERVICES
    )


def test_switching_sentry_off_removes_all_of_it() -> None:
    recording = run_stack("dev", {"dictamesh:sentry": {"enabled": False}})
    assert not [r.name for r in recording.resources if r.name.startswith("sentry")]
    assert "sentry" not in recording.outputs and "sentryAdminPassword" not in recording.outputs


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"adminEmail": "root"}', "dictamesh:sentry.adminEmail = 'root': expected an email address"),
        ('{"eventRetentionDays": 0}', "dictamesh:sentry.eventRetentionDays = 0: Input should be greater than or equal"),
        (
            '{"smtp": {"host": "smtp.example.com", "username": "u", "sender": "s@example.com"}}',
            "smtp.username and smtp.password: set both or neither",
        ),
        ('{"images": {"sentry": "ghcr.io/getsentry/sentry"}}', "dictamesh:sentry.images.sentry = "),
        ('{"hostPort": 3000}', "sentry.hostPort = 3000: host port already taken by observability.hostPorts.grafana"),
        (
            '{"cacheSize": "2Gi"}',
            "cacheSize = '2Gi': resources.bootstrap.ephemeralStorage = '1Gi' must hold it and /tmp (256Mi); raise "
            "ephemeralStorage to 2304Mi or more",
        ),
    ],
)
def test_bad_sentry_settings_are_refused_with_the_key_and_what_is_allowed(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=".*" + message.replace("(", r"\(").replace(")", r"\)")):
        parse("dev", {"sentry": value})


def test_every_consumer_touches_the_health_file_its_probe_reads(stacks: dict[str, Recording]) -> None:
    containers = main_resources(stacks["dev"])
    # snuba's, sentry's consumers' and the taskworker's spellings of the same option
    flags = {
        f"--{flag}={topology.HEALTH_FILE}"
        for flag in ("health-check-file", "healthcheck-file-path", "health-check-file-path")
    }
    for name in [c.name for c in (*topology.SNUBA_CONSUMERS, *topology.SENTRY_CONSUMERS)] + ["sentry-taskworker"]:
        inputs = containers[name].inputs
        assert set(inputs["command"]) & flags, name
        assert topology.HEALTH_FILE in inputs["healthcheck"]["tests"][-1], name


def test_only_sentrys_own_processes_reach_out_and_only_on_their_ports() -> None:
    recording = run_stack(
        "staging",
        {"dictamesh:sentry": {"smtp": {"host": "smtp.example.com", "port": 2525, "sender": "s@example.com"}}},
    )
    policies = {p.name: p.inputs["spec"] for p in recording.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}
    for process in topology.SENTRY_PROCESSES:
        ports = [port["port"] for port in policies[f"{process}-egress"]["egress"][0]["ports"]]
        assert ports == [443, 2525], process
    for name in (*topology.SNUBA_PROCESSES, *DATASTORE_NAMES, "sentry-relay", "sentry-nginx"):
        assert f"{name}-egress" not in policies, name


def test_clusters_clean_up_past_the_retention_nightly_and_docker_refuses_a_schedule(
    stacks: dict[str, Recording],
) -> None:
    cron = stacks["prod"].one("kubernetes:batch/v1:CronJob", topology.CLEANUP_JOB).inputs["spec"]
    assert cron["schedule"] == "0 0 * * *"
    container = cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-1] == 'exec sentry cleanup --days "$SENTRY_EVENT_RETENTION_DAYS"'
    assert {"name": "SENTRY_EVENT_RETENTION_DAYS", "value": "90"} in container["env"]
    assert not [r for r in stacks["dev"].resources if r.name == topology.CLEANUP_JOB]
    with pytest.raises(ConfigError, match=r"sentry.cleanupSchedule = '0 3 \* \* \*': scheduled jobs need"):
        parse("dev", {"sentry": '{"cleanupSchedule": "0 3 * * *"}'})


def test_the_caches_at_data_get_a_real_mount_of_their_size_on_both_targets(stacks: dict[str, Recording]) -> None:
    """/data is a root-owned VOLUME of the image: the Sentry user writes there only on a mount of its own, and a
    large debug file must not outgrow it (the kubelet evicts the pod that does)."""
    web = stacks["dev"].one("docker:index/container:Container", "sentry-web").inputs
    assert web["tmpfs"] == {
        "/tmp": "rw,nosuid,nodev,size=256m,mode=1777",
        "/data": "rw,nosuid,nodev,size=512m,mode=1777",
    }
    assert web["uploads"]  # a container with files: the root stays writable for them, the scratch is its own
    pod = stacks["staging"].one("kubernetes:apps/v1:Deployment", "sentry-web").inputs["spec"]["template"]["spec"]
    mounted = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    sizes = {v["name"]: v["emptyDir"]["sizeLimit"] for v in pod["volumes"] if "emptyDir" in v}
    assert sizes[mounted["/data"]] == "512Mi" and sizes[mounted["/tmp"]] == "256Mi"
    bigger = run_stack("staging", {"dictamesh:sentry": {"cacheSize": "768Mi"}})
    pod = bigger.one("kubernetes:apps/v1:Deployment", "sentry-web").inputs["spec"]["template"]["spec"]
    assert "768Mi" in {v["emptyDir"]["sizeLimit"] for v in pod["volumes"] if "emptyDir" in v}
