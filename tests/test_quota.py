"""Namespace quotas that fit the stack's own workloads, zone spread, and storage classes per workload."""

from typing import Any

import pytest
import yaml

from components.config import ConfigError, parse
from components.footprint import Footprint
from components.quantity import cpu_cores, memory_bytes
from tests.harness import Recording, run_stack, stack_config
from tests.manifests import makes_its_object
from tests.test_exposure import INGRESS_MODE, exposed

QUOTA = "kubernetes:core/v1:ResourceQuota"
STATEFULSET, DEPLOYMENT = "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment"
JOB, CRONJOB = "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"


def pod_requests(template: dict[str, Any], count: int) -> Footprint:
    requests = template["spec"]["containers"][0]["resources"]["requests"]
    return Footprint(
        cpu_millis=int(cpu_cores(str(requests["cpu"])) * 1000) * count,
        memory_mib=memory_bytes(requests["memory"]) // 2**20 * count,
        ephemeral_mib=memory_bytes(requests["ephemeral-storage"]) // 2**20 * count,
        pods=count,
    )


def registered_footprint(recording: Recording) -> Footprint:
    """What the registered objects take: pods (one more per Deployment while it rolls out), claims."""
    total = Footprint()
    for kind, surge in ((STATEFULSET, 0), (DEPLOYMENT, 1)):
        for workload in recording.of_type(kind):
            spec = workload.inputs["spec"]
            replicas = int(spec["replicas"])
            total += pod_requests(spec["template"], replicas + surge)
            for claim in spec.get("volumeClaimTemplates", []):
                size = memory_bytes(claim["spec"]["resources"]["requests"]["storage"]) // 2**20
                total += Footprint(storage_mib=size * replicas, claims=replicas)
    for job in recording.of_type(JOB):
        total += pod_requests(job.inputs["spec"]["template"], 1)
    for cron in recording.of_type(CRONJOB):
        total += pod_requests(cron.inputs["spec"]["jobTemplate"]["spec"]["template"], 1)
    # a job's claim; a StatefulSet's, only resized by a patch, is counted above
    for claim in recording.of_type("kubernetes:core/v1:PersistentVolumeClaimPatch"):
        if not makes_its_object(claim):
            continue
        total += Footprint(
            storage_mib=memory_bytes(claim.inputs["spec"]["resources"]["requests"]["storage"]) // 2**20, claims=1
        )
    return total


def hard(recording: Recording) -> dict[str, str]:
    figures: dict[str, str] = recording.one(QUOTA, "quota").inputs["spec"]["hard"]
    return figures


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_stacks_own_requests_fit_its_quota(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    own = registered_footprint(recording)
    settings = parse(stack, {key.removeprefix("dictamesh:"): value for key, value in stack_config(stack).items()})
    assert settings.footprint() == own  # the settings' figures are those of the objects really registered
    figures = hard(recording)
    assert int(figures["requests.cpu"].removesuffix("m")) >= own.cpu_millis
    assert memory_bytes(figures["limits.memory"]) >= own.memory_mib * 2**20
    assert memory_bytes(figures["requests.ephemeral-storage"]) >= own.ephemeral_mib * 2**20
    assert memory_bytes(figures["requests.storage"]) >= own.storage_mib * 2**20
    assert int(figures["persistentvolumeclaims"]) >= own.claims and int(figures["pods"]) >= own.pods
    assert int(figures["pods"]) == -(-own.pods * 120 // 100)  # 20% headroom by default
    limits = recording.one("kubernetes:core/v1:LimitRange", "limit-range").inputs["spec"]["limits"][0]
    assert limits["type"] == "Container" and limits["default"] == limits["defaultRequest"]


def test_an_explicit_quota_is_used_as_given() -> None:
    kubernetes = yaml.safe_load(stack_config("prod")["dictamesh:kubernetes"])
    quota = {"cpu": "60", "memory": "96Gi", "pods": 80}
    figures = hard(run_stack("prod", {"dictamesh:kubernetes": {**kubernetes, "quota": quota}}))
    assert figures["requests.cpu"] == figures["limits.cpu"] == "60"
    assert figures["limits.memory"] == "96Gi" and figures["pods"] == "80"
    assert figures["persistentvolumeclaims"].isdigit()  # the rest still computed


def test_an_explicit_quota_below_the_stacks_requests_is_refused_at_config_time() -> None:
    with pytest.raises(ConfigError) as error:
        parse("prod", {"kubernetes": '{"quota": {"memory": "8Gi", "cpu": "2"}}'})
    message = str(error.value)
    assert "dictamesh:kubernetes.quota.memory = '8Gi': the stack's own workloads request 66112Mi" in message
    assert "dictamesh:kubernetes.quota.cpu = '2': the stack's own workloads request 34300m" in message


def spread(recording: Recording) -> str:
    template = recording.one(STATEFULSET, "redpanda").inputs["spec"]["template"]["spec"]
    when: str = template["topologySpreadConstraints"][0]["whenUnsatisfiable"]
    return when


def test_prod_with_three_zones_spreads_brokers_strictly() -> None:
    kubernetes = yaml.safe_load(stack_config("prod")["dictamesh:kubernetes"])
    zoned = run_stack("prod", {"dictamesh:kubernetes": {**kubernetes, "zones": ["eu-a", "eu-b", "eu-c"]}})
    assert spread(zoned) == "DoNotSchedule"
    assert not [w for w in zoned.warnings if "zones" in w]


def test_fewer_zones_keep_a_preference_and_warn_in_prod(stacks: dict[str, Recording]) -> None:
    assert spread(stacks["prod"]) == spread(stacks["staging"]) == "ScheduleAnyway"
    assert any("kubernetes.zones lists 0 zone(s)" in w for w in stacks["prod"].warnings)
    assert not any("kubernetes.zones" in w for w in stacks["staging"].warnings)


def test_brokers_and_databases_can_take_their_own_storage_class() -> None:
    kubernetes = yaml.safe_load(stack_config("prod")["dictamesh:kubernetes"])
    classes = {"redpanda": "fast-nvme", "postgres": "fast-nvme"}
    recording = run_stack("prod", {"dictamesh:kubernetes": {**kubernetes, "storageClasses": classes}})
    by_workload = {
        s.name: s.inputs["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"]
        for s in recording.of_type(STATEFULSET)
    }
    assert by_workload["redpanda"] == by_workload["postgres"] == "fast-nvme"
    assert by_workload["redis"] == by_workload["prometheus"] == "ssd"  # the stack's class
    with pytest.raises(ConfigError, match=r"storageClasses: kafka has no storage; allowed: postgres"):
        parse("prod", {"kubernetes": '{"storageClasses": {"kafka": "fast"}}'})


def test_the_login_proxies_are_in_the_quota() -> None:
    """One proxy per exposed UI without a login, each a Deployment rolling by surge."""
    config = {key.removeprefix("dictamesh:"): value for key, value in stack_config("prod").items()}
    kubernetes = {**yaml.safe_load(config["kubernetes"]), "exposure": INGRESS_MODE}
    recording = exposed("prod", INGRESS_MODE)
    assert len([d for d in recording.of_type(DEPLOYMENT) if d.name.endswith("-login")]) == 4
    assert parse("prod", {**config, "kubernetes": kubernetes}).footprint() == registered_footprint(recording)
