"""Kubernetes objects that behave on a real cluster: restarts, probes, jobs, claims, DNS and clients."""

from typing import Any

import pulumi
import pytest

from components.catalog import files
from components.model import Port, Volume
from components.runtime.kubernetes.pod import digest
from components.sentry import topology
from tests.harness import Recording
from tests.test_runtime_sample import deploy, sample

STATEFULSET = "kubernetes:apps/v1:StatefulSet"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER_STACKS = ("staging", "prod")


def template(recording: Recording, name: str, kind: str = STATEFULSET) -> dict[str, Any]:
    spec: dict[str, Any] = recording.one(kind, name).inputs["spec"]["template"]
    return spec


def test_a_secret_change_rolls_the_pods_and_the_digest_reveals_nothing() -> None:
    before = template(deploy("staging", sample()), "sample", "kubernetes:apps/v1:Deployment")["metadata"]
    changed = sample(secrets={"/run/secrets/sample/key": pulumi.Output.secret("n3w")})
    after = template(deploy("staging", changed), "sample", "kubernetes:apps/v1:Deployment")["metadata"]
    digest = before["annotations"]["dictamesh.dev/secrets-sha256"]
    assert len(digest) == 64 and digest != after["annotations"]["dictamesh.dev/secrets-sha256"]
    assert before["annotations"]["dictamesh.dev/files-sha256"] == after["annotations"]["dictamesh.dev/files-sha256"]


def test_init_files_are_mounted_but_change_no_pod() -> None:
    first = sample(init_files={"/docker-entrypoint-initdb.d/01.sql": "CREATE TABLE a ();"})
    second = sample(init_files={"/docker-entrypoint-initdb.d/01.sql": "CREATE TABLE b ();"})
    kind = "kubernetes:apps/v1:Deployment"
    a, b = (template(deploy("staging", w), "sample", kind) for w in (first, second))
    assert a["metadata"]["annotations"] == b["metadata"]["annotations"]
    mounts = {m["mountPath"]: m for m in a["spec"]["containers"][0]["volumeMounts"]}
    assert mounts["/docker-entrypoint-initdb.d/01.sql"] == {
        "name": "files",
        "mountPath": "/docker-entrypoint-initdb.d/01.sql",
        "subPath": "01.sql",
        "readOnly": True,
    }
    changed_config = sample(files={"/etc/sample/sample.conf": "level = 4\n"})
    c = template(deploy("staging", changed_config), "sample", kind)
    assert (
        c["metadata"]["annotations"]["dictamesh.dev/files-sha256"]
        != a["metadata"]["annotations"]["dictamesh.dev/files-sha256"]
    )


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_catalog_init_sql_is_outside_the_restart_hash(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    data = recording.one("kubernetes:core/v1:ConfigMap", "postgres-files").inputs["data"]
    assert {"postgresql.conf", "01-init-metadata-catalog.sql"} <= set(data)
    annotations = template(recording, "postgres")["metadata"]["annotations"]
    config = {files.CONFIG_FILE: data["postgresql.conf"], files.HBA_FILE: data["pg_hba.conf"]}  # both restart it
    assert annotations["dictamesh.dev/files-sha256"] == digest(config)


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_only_brokers_publish_addresses_before_they_are_ready(stacks: dict[str, Recording], stack: str) -> None:
    services = {s.name: s.inputs["spec"] for s in stacks[stack].of_type("kubernetes:core/v1:Service")}
    assert services["redpanda"]["publishNotReadyAddresses"] is True
    for name in ("postgres", "redis"):
        assert services[name]["clusterIP"] == "None"
        assert "publishNotReadyAddresses" not in services[name], name


def test_backups_stop_at_their_deadline_and_failed_jobs_rerun_on_the_next_up(stacks: dict[str, Recording]) -> None:
    recording = stacks["prod"]
    cron = recording.one("kubernetes:batch/v1:CronJob", "postgres-backup").inputs["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert cron["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 3600
    topics = recording.one("kubernetes:batch/v1:Job", "redpanda-topics").inputs["metadata"]
    assert topics["annotations"] == {"pulumi.com/replaceUnready": "true"}


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_postgres_gets_a_memory_backed_dev_shm(stacks: dict[str, Recording], stack: str) -> None:
    pod = template(stacks[stack], "postgres")["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    size = {"staging": "128Mi", "prod": "320Mi"}[stack]  # maintenance_work_mem + 64Mi
    assert volumes["shm"] == {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": size}}
    assert {"name": "shm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]


def test_postgres_on_docker_gets_shm_size(stacks: dict[str, Recording]) -> None:
    assert stacks["dev"].one("docker:index/container:Container", "postgres").inputs["shmSize"] == 128


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_postgres_exporter_probes_its_landing_page_not_a_scrape(stacks: dict[str, Recording], stack: str) -> None:
    container = template(stacks[stack], "postgres-exporter", "kubernetes:apps/v1:Deployment")["spec"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/", "port": 9187}, probe


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_a_new_storage_size_resizes_the_claims_in_place(stacks: dict[str, Recording], stack: str) -> None:
    """Each template's spec (size, class) is the claims' own after the first `up`; a new template (a new
    volume's name) replaces the StatefulSet, whose claims stay."""
    recording = stacks[stack]
    for statefulset in recording.of_type(STATEFULSET):
        assert statefulset.ignore_changes == ["spec.volumeClaimTemplates[*].spec"], statefulset.name
        retention = statefulset.inputs["spec"]["persistentVolumeClaimRetentionPolicy"]
        assert retention == {"whenDeleted": "Retain", "whenScaled": "Retain"}, statefulset.name
    patches = {p.name: p for p in recording.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")}
    stateful = ("postgres", "redis", "prometheus", "alertmanager", "grafana", "jaeger", *topology.STATEFUL)
    claims = {f"{'cache' if name == 'sentry-symbolicator' else 'data'}-{name}-0" for name in stateful}
    # and the backups' claim, which the stack makes itself (a patch, so that one left behind is taken back)
    assert set(patches) == {*claims, *(f"data-redpanda-{n}" for n in range(3)), "postgres-backup-backups"}
    broker = patches["data-redpanda-2"]
    assert broker.inputs["spec"] == {
        "resources": {"requests": {"storage": {"staging": "20Gi", "prod": "100Gi"}[stack]}}
    }
    assert broker.inputs["metadata"]["annotations"] == {"pulumi.com/patchForce": "true"}
    assert recording.one(STATEFULSET, "redpanda").urn in broker.depends_on
    # a leaving broker's patch is forgotten: relinquishing its fields would take the claim's size away
    assert all(patch.retain_on_delete for patch in patches.values())


def test_a_grown_volume_changes_only_the_patch() -> None:
    small, large = (sample(volumes={"data": Volume("/var/lib/sample", size)}) for size in ("1Gi", "2Gi"))
    a, b = (deploy("staging", w) for w in (small, large))

    def ignoring_claims(recording: Recording) -> dict[str, Any]:
        spec = dict(recording.one(STATEFULSET, "sample").inputs["spec"])
        spec.pop("volumeClaimTemplates")  # ignored by the engine after the first `up`
        return spec

    assert ignoring_claims(a) == ignoring_claims(b)
    sizes = [r.one("kubernetes:core/v1:PersistentVolumeClaimPatch", "data-sample-1").inputs["spec"] for r in (a, b)]
    assert sizes == [{"resources": {"requests": {"storage": s}}} for s in ("1Gi", "2Gi")]


@pytest.mark.parametrize("stack", CLUSTER_STACKS)
def test_dns_on_the_host_network_is_reachable(stacks: dict[str, Recording], stack: str) -> None:
    egress = stacks[stack].one(NETWORK_POLICY, "allow-egress-dns-and-namespace").inputs["spec"]["egress"][0]
    blocks = [peer["ipBlock"]["cidr"] for peer in egress["to"] if "ipBlock" in peer]
    assert blocks == ["169.254.20.10/32", "169.254.169.254/32"]  # NodeLocal DNSCache, GKE's metadata DNS
    assert {"protocol": "UDP", "port": 53} in egress["ports"]


def test_a_client_namespace_admits_that_client_from_there_alone() -> None:
    workload = sample(ports=[Port("http", 8080), Port("metrics", 9100, clients=["prometheus"])])
    recording = deploy("staging", workload, kubernetes='{"clientNamespaces": {"prometheus": "monitoring"}}')
    rules = recording.one(NETWORK_POLICY, "sample-clients").inputs["spec"]["ingress"]
    by_port = {int(rule["ports"][0]["port"]): rule["from"] for rule in rules}
    assert by_port[9100][1] == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    }
    assert len(by_port[8080]) == 1  # the app's own clients stay in the namespace
