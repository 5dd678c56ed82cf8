"""The docker target writes fields as the provider reads them back, and a failed job fails the update."""

from decimal import Decimal

import pytest

from components.runtime.docker_readback import capability, cpus, duration
from tests.harness import Recording
from tests.test_runtime_sample import deploy, sample

CONTAINER = "docker:index/container:Container"


@pytest.mark.parametrize(
    ("cores", "read_back"),
    # the provider's own test table (helpers_test.go TestNanoInt64ToDecimalString), and our quantities
    [("0", "0"), ("1", "1.0"), ("1.5", "1.5"), ("2", "2.0"), ("2.25", "2.25"), ("0.25", "0.25"), ("0.1", "0.1")],
)
def test_cpus_are_written_in_the_providers_decimal_form(cores: str, read_back: str) -> None:
    assert cpus(Decimal(cores)) == read_back


@pytest.mark.parametrize(("seconds", "read_back"), [(5, "5s"), (60, "1m0s"), (120, "2m0s"), (3725, "1h2m5s")])
def test_durations_are_written_as_go_prints_them(seconds: int, read_back: str) -> None:
    assert duration(seconds) == read_back


@pytest.mark.parametrize(("name", "read_back"), [("CHOWN", "CAP_CHOWN"), ("CAP_CHOWN", "CAP_CHOWN"), ("ALL", "ALL")])
def test_capabilities_are_written_as_the_engine_reads_them_back(name: str, read_back: str) -> None:
    assert capability(name) == read_back


def test_every_dev_container_is_already_in_its_read_back_form(stacks: dict[str, Recording]) -> None:
    for container in stacks["dev"].of_type(CONTAINER):
        inputs = container.inputs
        assert inputs["cpus"] == cpus(Decimal(inputs["cpus"])), container.name
        assert "." in inputs["cpus"], container.name  # "1" would read back as "1.0" and replace the container
        for added in inputs["capabilities"].get("adds", []):
            assert added == capability(added), container.name
        check = inputs.get("healthcheck")
        if check:
            for key in ("interval", "timeout", "startPeriod"):
                seconds = _seconds(check[key])
                assert check[key] == duration(seconds), (container.name, key)
            # start_interval needs Docker Engine 25: older engines refuse every container that sets it
            assert "startInterval" not in check, container.name
    broker = stacks["dev"].one(CONTAINER, "redpanda-0").inputs
    assert broker["cpus"] == "1.0" and broker["healthcheck"]["startPeriod"] == "20m0s"
    assert broker["stopTimeout"] == 90


def _seconds(text: str) -> int:
    total, number = 0, ""
    for char in text:
        if char.isdigit():
            number += char
        else:
            total += int(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
    return total


def test_a_failed_one_shot_container_fails_the_update_with_its_log() -> None:
    job = sample(name="migrate", kind="job", replicas=1, args=["migrate"], probe=None, ports=[])
    outcome = {"exitCode": 3, "containerLogs": "error: relation missing\n"}
    with pytest.raises(
        Exception, match=r"the job migrate exited with code 3; its log:\nerror: relation missing"
    ) as error:
        deploy("dev", job, outcomes={"migrate": outcome})
    assert "pulumi up --replace 'urn:pulumi:dev::dictamesh-infra::" in str(error.value)


def test_a_successful_or_unknown_exit_passes() -> None:
    job = sample(name="migrate", kind="job", replicas=1, args=["migrate"], probe=None, ports=[])
    deploy("dev", job, outcomes={"migrate": {"exitCode": 0}})
    deploy("dev", job)  # a preview knows no exit code yet
