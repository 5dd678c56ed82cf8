"""The dev stack on a local Docker engine: hardened containers on the stack's network, ports on loopback."""

import pytest

from components.sentry import topology
from components.sentry.topology import ADMIN_JOB, SNUBA_JOB, TOPICS_JOB, UPGRADE_JOB
from tests.harness import Recording, Registered, run_stack

CONTAINER = "docker:index/container:Container"


def containers(recording: Recording) -> dict[str, Registered]:
    return {r.inputs["name"]: r for r in recording.of_type(CONTAINER)}


def test_containers_are_named_per_stack_and_replica(stacks: dict[str, Recording]) -> None:
    assert set(containers(stacks["dev"])) == {
        "dictamesh-dev-postgres",
        "dictamesh-dev-postgres-converge",
        "dictamesh-dev-sentry-taskbroker-data-owner",
        "dictamesh-dev-postgres-exporter",
        "dictamesh-dev-redis",
        "dictamesh-dev-redis-exporter",
        "dictamesh-dev-redpanda-0",
        "dictamesh-dev-redpanda-1",
        "dictamesh-dev-redpanda-2",
        "dictamesh-dev-redpanda-console",
        "dictamesh-dev-redpanda-topics",
        "dictamesh-dev-redpanda-decommission",
        "dictamesh-dev-prometheus",
        "dictamesh-dev-alertmanager",
        "dictamesh-dev-grafana",
        "dictamesh-dev-jaeger",
        *(f"dictamesh-dev-{name}" for name in (TOPICS_JOB, SNUBA_JOB, UPGRADE_JOB, ADMIN_JOB)),
        *(f"dictamesh-dev-{service.name}" for service in topology.SERVICES),
    }


def test_every_container_is_hardened(stacks: dict[str, Recording]) -> None:
    for name, container in containers(stacks["dev"]).items():
        inputs = container.inputs
        if kind(container) == "volume-owner":
            continue  # root with CHOWN alone: test_a_root_owned_volume_is_handed_over_before_the_first_start
        assert inputs["capabilities"] == {"drops": ["ALL"]}, name
        assert inputs["securityOpts"] == ["no-new-privileges:true"], name
        assert not inputs["user"].startswith("0:"), name
        assert inputs["memory"] > 0 and float(inputs["cpus"]) > 0, name
        assert "privileged" not in inputs and "networkMode" not in inputs, name
        assert inputs["networksAdvanced"][0]["name"] == "dictamesh-dev"
        assert container.delete_before_replace, name
        for port in inputs.get("ports", []):
            assert port["ip"] == "127.0.0.1", name


def test_every_container_sets_its_swap_as_the_engine_reads_it_back(stacks: dict[str, Recording]) -> None:
    """Unset, Docker gives a container twice its memory as memory plus swap, and the provider reads that
    back: every `up` then updated every container (found by make e2e's second dev up). No swap, as on
    Kubernetes: the limit is the memory."""
    for name, container in containers(stacks["dev"]).items():
        assert container.inputs["memorySwap"] == container.inputs["memory"], name


def kind(container: Registered) -> str:
    found: str = next(label["value"] for label in container.inputs["labels"] if label["label"] == "dev.dictamesh.kind")
    return found


def test_services_wait_for_their_health_checks(stacks: dict[str, Recording]) -> None:
    for name, container in containers(stacks["dev"]).items():
        inputs = container.inputs
        if kind(container) in ("job", "volume-owner"):
            assert inputs["mustRun"] is False and inputs["attach"] is True and inputs["restart"] == "no"
            continue
        # nothing known to run a check with: relay is distroless (nginx checks it); no public source shows a
        # tool in the Console's image (components/event_bus/images.py)
        if name in ("dictamesh-dev-sentry-relay", "dictamesh-dev-redpanda-console"):
            assert "healthcheck" not in inputs and inputs["wait"] is False
            continue
        assert inputs["wait"] is True, name
        assert inputs["restart"] == "unless-stopped", name
        assert inputs["healthcheck"]["tests"][0] == "CMD", name
        assert inputs["healthcheck"]["interval"].endswith("s"), name


def test_read_only_root_where_nothing_is_uploaded(stacks: dict[str, Recording]) -> None:
    for name, container in containers(stacks["dev"]).items():
        inputs = container.inputs
        assert inputs["readOnly"] is (not inputs.get("uploads")), name
    exporter = containers(stacks["dev"])["dictamesh-dev-postgres-exporter"].inputs
    assert "uploads" in exporter and exporter["readOnly"] is False
    # its scratch is a tmpfs all the same, but where a file is uploaded beneath it (a tmpfs would hide it)
    assert exporter["tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=256m,mode=1777"}
    for name, container in containers(stacks["dev"]).items():
        uploaded = [u["file"] for u in container.inputs.get("uploads", [])]
        for path in container.inputs.get("tmpfs") or {}:
            assert not [file for file in uploaded if file.startswith(f"{path}/")], (name, path)


def test_secrets_are_group_read_files_not_env(stacks: dict[str, Recording]) -> None:
    """Uploads belong to root:root (pulumi-docker 5.1.0 sets no owner): 0440, and the user joins group 0."""
    postgres = containers(stacks["dev"])["dictamesh-dev-postgres"]
    uploads = {u["file"]: (i, u) for i, u in enumerate(postgres.inputs["uploads"])}
    index, password = uploads["/run/secrets/dictamesh/superuser-password"]
    assert password["permissions"] == "0440" and "owner" not in password
    assert postgres.inputs["groupAdds"] == ["0"]
    assert postgres.is_secret(f"uploads[{index}].content")
    assert "POSTGRES_PASSWORD_FILE=/run/secrets/dictamesh/superuser-password" in postgres.inputs["envs"]
    for name, container in containers(stacks["dev"]).items():
        assert not stacks["dev"].leaks(container.inputs.get("envs", [])), name
        for i, upload in enumerate(container.inputs.get("uploads", [])):
            if upload["permissions"] == "0444":
                assert not stacks["dev"].leaks(upload["content"]), (name, upload["file"])
            else:
                assert upload["permissions"] == "0440", (name, upload["file"])
                assert container.is_secret(f"uploads[{i}].content"), (name, upload["file"])
                assert container.inputs["groupAdds"] == ["0"], name


@pytest.mark.parametrize("stack", ["dev"])
def test_volumes_outlive_their_containers(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    volumes = {r.inputs["name"] for r in recording.of_type("docker:index/volume:Volume")}
    assert volumes == {
        "dictamesh-dev-postgres-data",
        "dictamesh-dev-redis-data",
        *(f"dictamesh-dev-redpanda-{n}-data" for n in range(3)),
        *(f"dictamesh-dev-{name}-data" for name in ("prometheus", "alertmanager", "grafana")),
        *(f"dictamesh-dev-{name}-data" for name in topology.STATEFUL if name != "sentry-symbolicator"),
        "dictamesh-dev-sentry-symbolicator-cache",
    }
    postgres = containers(recording)["dictamesh-dev-postgres"].inputs
    assert postgres["mounts"] == [
        {"target": "/var/lib/postgresql/data", "type": "volume", "source": "dictamesh-dev-postgres-data"}
    ]


def test_prod_on_docker_protects_its_volumes() -> None:
    no_schedules = {"dictamesh:catalog": {"backup": {"enabled": False}}, "dictamesh:sentry": {"cleanupSchedule": None}}
    recording = run_stack("prod", {"dictamesh:target": "docker", **no_schedules})
    volumes = recording.of_type("docker:index/volume:Volume")
    assert volumes and all(volume.protect for volume in volumes)


def test_images_are_pulled_once_by_pinned_tag(stacks: dict[str, Recording]) -> None:
    images = [r.inputs["name"] for r in stacks["dev"].of_type("docker:index/remoteImage:RemoteImage")]
    assert len(images) == len(set(images)) == 22  # 42 containers share 22 images
    assert all(":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest") for image in images)


def test_a_root_owned_volume_is_handed_over_before_the_first_start(stacks: dict[str, Recording]) -> None:
    """taskbroker's image makes /opt/sqlite as root: a fresh volume there is a root-owned copy of it."""
    recording = stacks["dev"]
    owner = recording.one(CONTAINER, "sentry-taskbroker-data-owner")
    inputs = owner.inputs
    assert inputs["entrypoints"] == ["chown", "1000:1000", "/opt/sqlite"] and inputs["user"] == "0:0"
    assert inputs["capabilities"] == {"drops": ["ALL"], "adds": ["CAP_CHOWN"]}
    assert inputs["securityOpts"] == ["no-new-privileges:true"] and inputs["networkMode"] == "none"
    assert inputs["mustRun"] is False and inputs["attach"] is True
    assert inputs["mounts"] == [
        {"type": "volume", "target": "/opt/sqlite", "source": "dictamesh-dev-sentry-taskbroker-data"}
    ]
    assert inputs["image"] == recording.one(CONTAINER, "sentry-taskbroker").inputs["image"]  # its own image's chown
    assert owner.urn in recording.one(CONTAINER, "sentry-taskbroker").depends_on
    owners = [c.name for c in recording.of_type(CONTAINER) if kind(c) == "volume-owner"]
    assert owners == ["sentry-taskbroker-data-owner"]  # the other images own their data paths already
