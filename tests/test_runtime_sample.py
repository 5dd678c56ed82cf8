"""Both runtimes on a sample workload that uses every part of the model, apart from any component."""

from collections.abc import Callable

import pulumi
import pytest

from components.config import parse
from components.fields import Resources
from components.model import Port, Probe, Replica, RunAs, Volume, Workload
from components.runtime import create_runtime
from tests.harness import Recording, run_program

RESOURCES = Resources(cpu="200m", memory="128Mi", ephemeral_storage="512Mi")


def sample(**changes: object) -> Workload:
    fields: dict[str, object] = {
        "name": "sample",
        "component": "demo",
        "image": "example/sample:1.2.3",
        "run_as": RunAs(uid=1234, gid=2345),
        "resources": RESOURCES,
        "args": lambda replica: ["serve", f"--me={replica.host}", f"--ordinal={replica.ordinal}"],
        "env": {"MODE": "demo"},
        "secret_env": {"TOKEN": pulumi.Output.secret("tok")},
        "files": {"/etc/sample/sample.conf": "level = 3\n"},
        "secrets": {"/run/secrets/sample/key": pulumi.Output.secret("k3y")},
        "ports": [Port("http", 8080, host_port=28080), Port("debug", 9999, host_port=29999, external=True)],
        "replicas": 2,
        "scratch": ["/tmp", "/var/cache/sample"],
        "probe": Probe(command=["sample", "ping"], http_path="/healthz", http_port=8080),
        "clients": ["friend"],
    }
    fields.update(changes)
    return Workload(**fields)  # type: ignore[arg-type]


def deploy(
    stack: str, *workloads: Workload, outcomes: dict[str, dict[str, object]] | None = None, **config: str
) -> Recording:
    """The workloads on the runtime of `stack`, with stack config values (JSON text) and provider outcomes."""

    def program() -> None:
        runtime = create_runtime(parse(stack, config))
        parent = pulumi.ComponentResource("dictamesh:test:Sample", "sample-parent")
        for workload in workloads:
            runtime.deploy(workload, parent)

    return run_program(stack, program, outcomes=outcomes)


def test_docker_makes_one_container_per_replica_with_its_own_identity() -> None:
    recording = deploy("dev", sample())
    first, second = (recording.one("docker:index/container:Container", f"sample-{n}").inputs for n in (0, 1))
    assert first["name"] == "dictamesh-dev-sample-0" and second["name"] == "dictamesh-dev-sample-1"
    assert second["command"] == ["serve", "--me=sample-1", "--ordinal=1"]
    assert second["ports"] == [
        {"ip": "127.0.0.1", "internal": 8080, "external": 28081},
        {"ip": "127.0.0.1", "internal": 9999, "external": 30000},
    ]
    assert second["networksAdvanced"][0]["aliases"] == ["sample", "sample-1"]
    assert second["user"] == "1234:2345"
    assert second["healthcheck"]["tests"] == ["CMD", "sample", "ping"]
    assert "MODE=demo" in second["envs"] and "TOKEN=tok" in second["envs"]
    env_index = second["envs"].index("TOKEN=tok")
    assert recording.one("docker:index/container:Container", "sample-1").is_secret(f"envs[{env_index}]")
    uploads = {u["file"]: u for u in second["uploads"]}
    assert uploads["/etc/sample/sample.conf"]["permissions"] == "0444"
    assert uploads["/run/secrets/sample/key"] == {
        "file": "/run/secrets/sample/key",
        "content": "k3y",
        "permissions": "0440",
    }
    assert second["groupAdds"] == ["0"]


def test_docker_volumes_are_named_per_replica_and_jobs_run_once() -> None:
    stateful = sample(volumes={"data": Volume("/var/lib/sample", "1Gi")})
    job = sample(name="migrate", kind="job", replicas=3, args=["migrate"], probe=None, ports=[])
    recording = deploy("dev", stateful, job)
    volumes = sorted(v.inputs["name"] for v in recording.of_type("docker:index/volume:Volume"))
    assert volumes == ["dictamesh-dev-sample-0-data", "dictamesh-dev-sample-1-data"]
    migrate = recording.one("docker:index/container:Container", "migrate").inputs
    assert migrate["name"] == "dictamesh-dev-migrate"  # a job runs once, whatever its replicas
    assert (migrate["mustRun"], migrate["attach"], migrate["restart"], migrate["wait"]) == (False, True, "no", False)
    assert "healthcheck" not in migrate


def test_docker_refuses_a_scheduled_job() -> None:
    with pytest.raises(ValueError, match="the docker target runs no scheduled jobs"):
        deploy("dev", sample(kind="scheduled", schedule="@daily"))


def objects(recording: Recording, kind: str) -> dict[str, dict[str, object]]:
    return {r.name: r.inputs for r in recording.resources if r.type.endswith(f":{kind}")}


def test_kubernetes_makes_a_deployment_with_its_service_budget_and_policy() -> None:
    recording = deploy("staging", sample())
    deployment = objects(recording, "Deployment")["sample"]
    pod = deployment["spec"]["template"]["spec"]  # type: ignore[index]
    container = pod["containers"][0]
    assert container["args"] == [
        "serve",
        "--me=$(POD_NAME).sample.dictamesh-staging.svc.cluster.local",
        "--ordinal=None",
    ]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": 8080}
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]  # no external listener in a cluster
    env = {item["name"]: item for item in container["env"]}
    assert env["TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "sample-secrets", "key": "TOKEN"}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/etc/sample/sample.conf"] == {
        "name": "files",
        "mountPath": "/etc/sample/sample.conf",
        "subPath": "sample.conf",
        "readOnly": True,
    }
    assert mounts["/var/cache/sample"]["name"] == "scratch-1"
    assert objects(recording, "Service")["sample"]["spec"]["ports"] == [  # type: ignore[index]
        {"name": "http", "port": 8080, "targetPort": "http"}
    ]
    assert objects(recording, "PodDisruptionBudget")["sample"]["spec"]["maxUnavailable"] == 1  # type: ignore[index]
    assert "preferredDuringSchedulingIgnoredDuringExecution" in pod["affinity"]["podAntiAffinity"]
    ingress = objects(recording, "NetworkPolicy")["sample-clients"]["spec"]["ingress"][0]  # type: ignore[index]
    assert ingress["from"][0]["podSelector"]["matchExpressions"][0]["values"] == ["friend"]


def test_kubernetes_changes_roll_pods_when_a_config_file_changes() -> None:
    def annotation(workload: Workload) -> object:
        deployment = objects(deploy("staging", workload), "Deployment")["sample"]
        return deployment["spec"]["template"]["metadata"]["annotations"]["dictamesh.dev/files-sha256"]  # type: ignore[index]

    assert annotation(sample()) != annotation(sample(files={"/etc/sample/sample.conf": "level = 4\n"}))


def test_kubernetes_jobs_and_scheduled_jobs() -> None:
    job = sample(name="migrate", kind="job", args=["migrate"], probe=None, ports=[], clients=[])
    backup = sample(
        name="nightly",
        kind="scheduled",
        schedule="@daily",
        args=["dump"],
        probe=None,
        ports=[],
        volumes={"out": Volume("/out", "5Gi")},
        clients=[],
    )
    recording = deploy("prod", job, backup)
    migrate = recording.one("kubernetes:batch/v1:Job", "migrate")
    assert migrate.delete_before_replace
    assert migrate.inputs["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    cron = recording.one("kubernetes:batch/v1:CronJob", "nightly").inputs["spec"]
    assert cron["schedule"] == "@daily" and cron["concurrencyPolicy"] == "Forbid"
    claim = recording.one("kubernetes:core/v1:PersistentVolumeClaimPatch", "nightly-out")
    assert claim.protect and claim.inputs["spec"]["resources"]["requests"]["storage"] == "5Gi"
    assert "readinessProbe" not in cron["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]


def test_kubernetes_provider_follows_the_stack_config() -> None:
    def with_render_dir() -> Callable[[], None]:
        def program() -> None:
            settings = parse("staging", {"kubernetes": '{"context": "kind-dictamesh", "renderDir": "rendered"}'})
            create_runtime(settings)

        return program

    recording = run_program("staging", with_render_dir())
    provider = recording.one("pulumi:providers:kubernetes", "kubernetes").inputs
    assert provider["context"] == "kind-dictamesh"
    assert provider["renderYamlToDirectory"] == "rendered"
    assert any("Secrets are written there in plain text" in w for w in recording.warnings)


def test_replica_identity_is_what_the_args_see() -> None:
    seen: list[Replica] = []

    def args(replica: Replica) -> list[str]:
        seen.append(replica)
        return []

    deploy("dev", sample(args=args))
    assert [(r.ordinal, r.host, dict(r.published)) for r in seen] == [
        (0, "sample-0", {"http": 28080, "debug": 29999}),
        (1, "sample-1", {"http": 28081, "debug": 30000}),
    ]


def test_kubernetes_refuses_two_files_that_would_share_a_key() -> None:
    clash = sample(files={"/etc/a/app.conf": "a", "/etc/b/app.conf": "b"})
    with pytest.raises(ValueError, match=r"sample: /etc/b/app.conf shares the key 'app.conf' with another file"):
        deploy("staging", clash)
