"""Cache under the mock engine: Redis with its ACL file as a secret, in every stack."""

import pytest

from tests.harness import Recording

CONTAINER = "docker:index/container:Container"


def test_dev_runs_redis_on_loopback_with_an_authenticating_health_check(stacks: dict[str, Recording]) -> None:
    redis = stacks["dev"].one(CONTAINER, "redis")
    inputs = redis.inputs
    assert inputs["command"] == ["redis-server", "/etc/redis/redis.conf"]
    assert inputs["ports"] == [{"ip": "127.0.0.1", "internal": 6379, "external": 6379}]
    assert inputs["mounts"][0] == {"target": "/data", "type": "volume", "source": "dictamesh-dev-redis-data"}
    probe = inputs["healthcheck"]["tests"]
    assert probe[:3] == ["CMD", "sh", "-c"]
    assert "--user dictamesh_monitor" in probe[3] and "REDISCLI_AUTH=" in probe[3]
    uploads = {upload["file"]: (index, upload) for index, upload in enumerate(inputs["uploads"])}
    index, acl = uploads["/run/secrets/dictamesh/users.acl"]
    assert acl["permissions"] == "0440" and redis.is_secret(f"uploads[{index}].content")
    assert "user default off" in acl["content"]
    assert "maxmemory 256mb" in uploads["/etc/redis/redis.conf"][1]["content"]  # laptop-sized in dev


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_clusters_run_a_statefulset_with_authenticating_probes(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    pod = recording.one("kubernetes:apps/v1:StatefulSet", "redis").inputs["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert "--user dictamesh_monitor" in container["livenessProbe"]["exec"]["command"][2]
    config = recording.one("kubernetes:core/v1:ConfigMap", "redis-files").inputs["data"]["redis.conf"]
    assert f"appendonly {'yes' if stack == 'prod' else 'no'}" in config
    assert "aclfile /run/secrets/dictamesh/users.acl" in config
    secret = recording.one("kubernetes:core/v1:Secret", "redis-secrets")
    assert set(secret.inputs["stringData"]) == {"users.acl", "monitor-password"}
    exporter = recording.one("kubernetes:apps/v1:Deployment", "redis-exporter").inputs["spec"]["template"]["spec"]
    env = {item["name"]: item.get("value") for item in exporter["containers"][0]["env"]}
    # a user-info part with no password would be sent as the password (redigo): the user has its own variable
    assert env["REDIS_ADDR"] == f"rediss://redis.dictamesh-{stack}.svc.cluster.local:6379"
    assert env["REDIS_USER"] == "dictamesh_monitor"
    assert env["REDIS_PASSWORD_FILE"] == "/run/secrets/dictamesh/redis-passwords.json"
    # loading a large dataset at start may take minutes before Redis answers the probe
    startup = container["startupProbe"]
    assert startup["failureThreshold"] * startup["periodSeconds"] >= 600


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_no_password_in_a_command_line_env_literal_or_config_map(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    cache = recording.one("dictamesh:cache:Cache", "cache")
    for resource in recording.children_of(cache.urn):
        if resource.type.startswith("random:"):
            continue
        text = str(resource.inputs)
        if resource.type in (
            "kubernetes:core/v1:ConfigMap",
            "kubernetes:apps/v1:StatefulSet",
            "kubernetes:apps/v1:Deployment",
        ):
            assert not recording.leaks(text), resource.name
        for key in ("command", "envs", "entrypoints"):
            assert not recording.leaks(resource.inputs.get(key, "")), (resource.name, key)
        if recording.leaks(text):
            assert resource.secret_paths(), resource.name
    assert "cacheUrl" in recording.secret_outputs
    password = recording.generated["cache-app-password.result"]
    scheme = "redis" if stack == "dev" else "rediss"
    assert recording.outputs["cacheUrl"].startswith(f"{scheme}://dictamesh:{password}@")
