"""Day 2 under the mock engine: what changing a setting on a deployed stack does, as the program decides it from
the record of what the stack last deployed (components/deployed.py) and the effects every setting declares
(components/change.py). The real engine holds real plans to the same table (scripts/e2e_day2.py)."""

import json
import time
from types import SimpleNamespace
from typing import Any

import pulumi
import pytest
import yaml

from components import deployed
from components.change import settings_effects
from components.config import ConfigError, parse
from components.settings import Settings
from tests.harness import Recording, refusal, run_stack, stack_config

STATEFULSET = "kubernetes:apps/v1:StatefulSet"
CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"


def changed(stack: str, key: str, value: Any) -> dict[str, Any]:
    """Config overrides that set one key (`eventBus.image`) and keep the rest of the stack file's section."""
    section, _, field = key.partition(".")
    if not field:
        return {f"dictamesh:{section}": value}
    current: dict[str, Any] = yaml.safe_load(stack_config(stack).get(f"dictamesh:{section}", "{}"))
    return {f"dictamesh:{section}": {**current, **_nested(field, value)}}


def _nested(field: str, value: Any) -> dict[str, Any]:
    head, _, rest = field.partition(".")
    return {head: _nested(rest, value) if rest else value}


def stack_value(stack: str, section: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(stack_config(stack).get(f"dictamesh:{section}", "{}"))
    return found


def record(recording: Recording) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(recording.outputs["deployed"])
    return loaded


def test_every_setting_says_what_a_change_does_on_each_target() -> None:
    missing = [key for key, effect in settings_effects(Settings) if effect is None and key != "stack"]
    assert missing == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_record_holds_the_settings_whose_change_is_judged_and_no_secret(
    stacks: dict[str, Recording], stack: str
) -> None:
    recording = stacks[stack]
    assert "deployed" not in recording.secret_outputs and not recording.leaks(recording.outputs["deployed"])
    recorded = record(recording)
    other = "docker." if stack != "dev" else "kubernetes."  # the other target's section is not its own
    judged = {key for key, effect in settings_effects(Settings) if effect and effect.recorded and "[]" not in key}
    assert set(recorded) == {key for key in judged if not key.startswith(other)}
    assert recorded["target"] == {"dev": "docker", "staging": "kubernetes", "prod": "kubernetes"}[stack]
    if stack != "dev":
        assert recorded["kubernetes.namespace"] == f"dictamesh-{stack}"  # the effective name, though unset
    assert recorded["catalog.majorVersion"] == 16


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_a_deployed_stack_evaluates_to_the_same_inputs_as_a_new_one(stacks: dict[str, Recording], stack: str) -> None:
    """The record and the password read back change no input: a no-change preview stays empty."""
    again = run_stack(stack, previous=stacks[stack])
    before = {(r.type, r.name): r.inputs for r in stacks[stack].resources}
    assert {(r.type, r.name): r.inputs for r in again.resources} == before
    assert again.outputs["deployed"] == stacks[stack].outputs["deployed"]


REDPANDA = "docker.redpanda.com/redpandadata/redpanda"
REFUSED = [
    ("staging", "kubernetes.namespace", "elsewhere", ["'dictamesh-staging'", "every claim in it"]),
    ("staging", "kubernetes.context", "another", ["'dictamesh-staging'", "deploy another stack"]),
    ("staging", "kubernetes.renderDir", "/tmp/x", ["replace every object it applied"]),
    ("staging", "environment", "prod", ["'staging'", "its own defaults and protection"]),
    ("dev", "target", "kubernetes", ["'docker'", "the target it was made on"]),
    ("dev", "docker.host", "tcp://elsewhere:2376", ["its volumes left on this one"]),
    (
        "staging",
        "catalog.database",
        "catalog_two",
        ["'dictamesh_catalog'", "set catalog.renameFrom: dictamesh_catalog"],
    ),
    ("staging", "catalog.storage", "5Gi", ["the claims hold 10Gi", "never shrinks"]),
    ("staging", "eventBus.image", f"{REDPANDA}:v25.3.9", ["the brokers run 26.2", "cannot go back"]),
    ("staging", "sentry.images.postgres", "postgres:17.6-bookworm", ["data directory is 14's"]),
]


@pytest.mark.parametrize(("stack", "key", "value", "words"), REFUSED, ids=[f"{r[0]}-{r[1]}" for r in REFUSED])
def test_a_change_a_running_stack_cannot_take_is_refused_before_any_resource(
    stacks: dict[str, Recording], stack: str, key: str, value: Any, words: list[str]
) -> None:
    message, recording = refusal(stack, changed(stack, key, value), stacks[stack])
    assert f"dictamesh:{key} = {value!r}" in message
    for word in words:
        assert word in message, (word, message)
    assert not [r for r in recording.resources if r.custom]


def test_an_upgrade_that_skips_a_feature_release_names_the_one_between() -> None:
    deployed = run_stack("staging", changed("staging", "eventBus.image", f"{REDPANDA}:v25.3.9"))
    message, _ = refusal("staging", {}, deployed)
    assert "upgrades one feature release at a time: deploy the newest patch of 26.1 first" in message
    run_stack("staging", changed("staging", "eventBus.image", f"{REDPANDA}:v26.1.12"), previous=deployed)  # allowed


def test_a_rename_asked_for_is_made_by_the_converge_job(stacks: dict[str, Recording]) -> None:
    overrides = changed("staging", "catalog", {**stack_value("staging", "catalog"), "database": "catalog_two"})
    overrides["dictamesh:catalog"]["renameFrom"] = "dictamesh_catalog"
    renamed = run_stack("staging", overrides, previous=stacks["staging"])
    job = renamed.one("kubernetes:batch/v1:Job", "postgres-converge").inputs["spec"]["template"]["spec"]
    env = {item["name"]: item.get("value") for item in job["containers"][0]["env"]}
    assert env["RENAME_FROM"] == "dictamesh_catalog" and env["CATALOG_DATABASE"] == "catalog_two"


def test_a_new_postgres_major_starts_on_a_claim_of_its_own_and_keeps_the_old_one(stacks: dict[str, Recording]) -> None:
    image = "pgvector/pgvector:0.8.6-pg17"
    overrides = changed("staging", "catalog", {**stack_value("staging", "catalog"), "image": image, "majorVersion": 17})
    upgraded = run_stack("staging", overrides, previous=stacks["staging"])
    assert any("catalog.majorVersion 16 -> 17" in w and "Restore the dump" in w for w in upgraded.warnings)
    spec = upgraded.one(STATEFULSET, "postgres").inputs["spec"]
    # a new template name: the StatefulSet is replaced, and its old claim data-postgres-0 stays (Retain)
    assert [t["metadata"]["name"] for t in spec["volumeClaimTemplates"]] == ["data-pg17"]
    patches = {r.name for r in upgraded.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")}
    assert "data-pg17-postgres-0" in patches and "data-postgres-0" not in patches
    dev = run_stack("dev", changed("dev", "catalog", {"image": image, "majorVersion": 17}), previous=stacks["dev"])
    assert {r.inputs["name"] for r in dev.of_type(VOLUME) if r.name.startswith("postgres")} == {
        "dictamesh-dev-postgres-data-pg17"
    }


def test_an_image_of_another_major_than_the_data_directorys_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"it runs PostgreSQL 17, and majorVersion is 16"):
        parse("dev", {"catalog": '{"image": "pgvector/pgvector:0.8.6-pg17"}'})
    with pytest.raises(ConfigError, match=r"no PostgreSQL major in its tag"):
        parse("dev", {"catalog": '{"image": "example.com/catalog-db:2.1"}'})


def test_a_new_storage_class_is_not_forced_on_claims_that_cannot_change_it(stacks: dict[str, Recording]) -> None:
    moved = run_stack("staging", changed("staging", "kubernetes.storageClass", "fast"), previous=stacks["staging"])
    assert any("kubernetes.storageClass 'standard' -> 'fast'" in w and "keeps the class" in w for w in moved.warnings)
    claim = moved.one("kubernetes:core/v1:PersistentVolumeClaimPatch", "postgres-backup-backups")
    # pulumi-kubernetes would replace a claim whose class changed, deleting it (and its dumps) first
    assert claim.retain_on_delete and "spec.storageClassName" in claim.ignore_changes


def test_no_change_deletes_a_volume_or_claim_of_the_stack(stacks: dict[str, Recording]) -> None:
    """Dropped from the stack (fewer brokers, a set switched off), a volume or claim stays on the engine."""
    for stack in ("dev", "staging", "prod"):
        kept = [
            *stacks[stack].of_type(VOLUME),
            *stacks[stack].of_type("kubernetes:core/v1:PersistentVolumeClaim"),
            *stacks[stack].of_type("kubernetes:core/v1:PersistentVolumeClaimPatch"),
        ]
        assert kept and all(r.retain_on_delete for r in kept), stack
        for statefulset in stacks[stack].of_type(STATEFULSET):
            retention = statefulset.inputs["spec"]["persistentVolumeClaimRetentionPolicy"]
            assert retention == {"whenDeleted": "Retain", "whenScaled": "Retain"}


def test_docker_stops_a_container_with_its_grace_before_removing_it(stacks: dict[str, Recording]) -> None:
    """Without destroy_grace_seconds the provider stops a replaced container with a timeout of 0: a kill."""
    containers = {r.name: r.inputs for r in stacks["dev"].of_type(CONTAINER)}
    assert containers["postgres"]["destroyGraceSeconds"] == containers["postgres"]["stopTimeout"] > 90
    assert containers["redpanda-1"]["destroyGraceSeconds"] == 90
    assert "destroyGraceSeconds" not in containers["postgres-converge"]  # a one-shot job has finished


def test_docker_replaces_a_deployed_clusters_brokers_one_at_a_time(stacks: dict[str, Recording]) -> None:
    """A new cluster's founders start together; afterwards each broker waits for the one before to be healthy."""
    new = {r.name: r for r in stacks["dev"].of_type(CONTAINER)}
    deployed = {r.name: r for r in run_stack("dev", previous=stacks["dev"]).of_type(CONTAINER)}
    assert new["redpanda-0"].urn not in new["redpanda-1"].depends_on
    assert deployed["redpanda-0"].urn in deployed["redpanda-1"].depends_on
    assert deployed["redpanda-1"].urn in deployed["redpanda-2"].depends_on
    assert deployed["redpanda-0"].inputs["healthcheck"]["tests"][-1].endswith("""grep -Eq '"is_healthy": ?true'""")


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_more_brokers_join_and_no_running_broker_changes(stacks: dict[str, Recording], stack: str) -> None:
    grown = run_stack(stack, changed(stack, "eventBus.brokers", 5), previous=stacks[stack])
    if stack == "dev":
        before = {r.name: r.inputs for r in stacks[stack].of_type(CONTAINER) if r.name.startswith("redpanda-")}
        after = {r.name: r.inputs for r in grown.of_type(CONTAINER) if r.name.startswith("redpanda-")}
        for broker in ("redpanda-0", "redpanda-1", "redpanda-2"):
            assert after[broker] == before[broker], broker
        assert {"redpanda-3", "redpanda-4"} <= set(after)
        return
    before_spec = stacks[stack].one(STATEFULSET, "redpanda").inputs["spec"]
    after_spec = grown.one(STATEFULSET, "redpanda").inputs["spec"]
    assert after_spec["replicas"] == 5 and after_spec["template"] == before_spec["template"]


def test_no_broker_leaves_before_the_decommission_job_has_run(stacks: dict[str, Recording]) -> None:
    """Kubernetes: a lower replica count deletes pods at once, so the StatefulSet waits on the job. Docker: the
    job runs after the brokers that stay, and an update's deletions (the leaving brokers) come last."""
    staging = stacks["staging"]
    job = staging.one("kubernetes:batch/v1:Job", "redpanda-decommission")
    assert job.urn in staging.one(STATEFULSET, "redpanda").depends_on
    keep = " ".join(f"redpanda-{n}.redpanda.dictamesh-staging.svc.cluster.local" for n in range(3))
    assert {"name": "KEEP_HOSTS", "value": keep} in job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    dev = stacks["dev"]
    container = dev.one(CONTAINER, "redpanda-decommission")
    assert {dev.one(CONTAINER, f"redpanda-{n}").urn for n in range(3)} <= set(container.depends_on)
    assert "KEEP_HOSTS=redpanda-0 redpanda-1 redpanda-2" in container.inputs["envs"]


def test_a_rotated_sasl_password_restarts_no_broker(stacks: dict[str, Recording]) -> None:
    """The bootstrap user is read as the cluster forms; the topics job sets a new password on the running one."""
    template = stacks["staging"].one(STATEFULSET, "redpanda").inputs["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert "dictamesh.dev/secrets-sha256" not in annotations  # RP_BOOTSTRAP_USER alone, and it restarts nothing
    topics = stacks["staging"].one("kubernetes:core/v1:Secret", "redpanda-topics-secrets")
    assert set(topics.inputs["stringData"]) == {"sasl-password", "sasl-previous-password", "console-password"}


def test_the_nightly_backup_holds_no_superuser_and_a_restore_job_waits_for_an_operator(
    stacks: dict[str, Recording],
) -> None:
    recording = stacks["prod"]
    backup = recording.one("kubernetes:core/v1:Secret", "postgres-backup-secrets")
    assert set(backup.inputs["stringData"]) == {"backup-password"}
    restore = recording.one("kubernetes:batch/v1:CronJob", "postgres-restore").inputs["spec"]
    assert restore["suspend"] is True
    pod = restore["jobTemplate"]["spec"]["template"]["spec"]
    assert {
        "name": "backups",
        "persistentVolumeClaim": {"claimName": "postgres-backup-backups", "readOnly": True},
    } in pod["volumes"]
    assert set(recording.one("kubernetes:core/v1:Secret", "postgres-restore-secrets").inputs["stringData"]) == {
        "superuser-password"
    }
    assert not [
        r
        for r in recording.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch")
        if r.name.startswith("postgres-restore")
    ]


COMBINATIONS = [
    (
        "staging",
        {"eventBus": '{"resources": {"cpu": "500m", "memory": "2Gi"}}'},
        "resources.cpu = '500m' with devContainer false",
    ),
    (
        "staging",
        {"eventBus": '{"pinnedCpus": true, "resources": {"cpu": "1.5", "memory": "4Gi"}}'},
        "pinnedCpus = true with resources.cpu = '1.5'",
    ),
    ("staging", {"eventBus": '{"storage": "8Gi"}'}, "storage = '8Gi' with devContainer false"),
    (
        "dev",
        {"catalog": '{"tuning": {"maintenanceWorkMem": "256MB"}}'},
        "maintenanceWorkMem = '256MB': with sharedBuffers 128MB it exceeds resources.memory 320Mi",
    ),
]


@pytest.mark.parametrize(("stack", "config", "words"), COMBINATIONS)
def test_settings_valid_alone_that_the_server_refuses_together_are_refused(
    stack: str, config: dict[str, str], words: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        parse(stack, config)
    assert words in str(refused.value)


def test_fewer_brokers_warn_that_their_kept_claims_must_go_before_the_brokers_grow_again(
    stacks: dict[str, Recording],
) -> None:
    overrides = changed("staging", "eventBus.brokers", 1)
    overrides["dictamesh:eventBus"]["topics"] = [{"name": "orders", "replicas": 1}]
    shrunk = run_stack("staging", overrides, previous=stacks["staging"])
    assert any("eventBus.brokers 3 -> 1: brokers 1 to 2" in w and "can never rejoin" in w for w in shrunk.warnings)


def test_a_single_broker_keeps_its_name_and_volume_when_brokers_are_added(stacks: dict[str, Recording]) -> None:
    """A count of one named the broker `redpanda`, its volume `redpanda-data`: 1 -> 3 made a new broker 0 on a new
    volume, and 3 -> 1 a new one beside the old, whose published ports it could not take (found by make e2e)."""
    one = {"dictamesh:eventBus": {"brokers": 1, "topics": []}}
    single = run_stack("dev", one)
    names = {r.name for r in single.of_type(CONTAINER) if r.name.startswith("redpanda")}
    assert "redpanda-0" in names and "redpanda" not in names
    assert "dictamesh-dev-redpanda-0-data" in {r.inputs["name"] for r in single.of_type(VOLUME)}


def test_a_checkpoint_read_mid_write_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file backend rewrites a new stack's checkpoint as its first `up` starts: the engine's readStackOutputs
    then fails with EOF now and then (seen in `make e2e`). The read is tried again; any other failure is not."""
    answers: list[Exception | dict[str, Any]] = [
        Exception("invoke of pulumi:pulumi:readStackOutputs failed: failed to load checkpoint: EOF"),
        Exception("invoke of pulumi:pulumi:readStackOutputs failed: failed to load checkpoint: EOF"),
        {"outputs": {"deployed": "{}"}},
    ]
    calls: list[str] = []

    def invoke(token: str, args: dict[str, Any]) -> Any:
        calls.append(token)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return SimpleNamespace(value=answer)

    monkeypatch.setattr(pulumi.runtime, "invoke", invoke)
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    assert deployed._outputs("org/dictamesh-infra/dev") == {"deployed": "{}"}
    assert calls == [deployed.READ_STACK_OUTPUTS] * 3
    answers[:] = [Exception("invoke of pulumi:pulumi:readStackOutputs failed: permission denied")]
    with pytest.raises(Exception, match="permission denied"):
        deployed._outputs("org/dictamesh-infra/dev")
    assert len(calls) == 4
