"""The cluster stacks' job watcher for real: kube-state-metrics at its image's release, holding only the token
of the stack's own ServiceAccount, Role and RoleBinding, against a real API server whose job controller fails a
Job; then the JobFailed expression on what it exports, in a real Prometheus."""

import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.observability import job_metrics
from scripts.local_cluster import Cluster, start
from scripts.ports import free_port
from tests.harness import Recording
from tests.manifests import manifest
from tests.servers import Server, binary, built, wait_until

NAMESPACE = "dictamesh-jobs"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = start(tmp_path_factory.mktemp("cluster"))
    yield cluster
    cluster.stop()


def moved(resource: dict[str, Any]) -> dict[str, Any]:
    """An object of the staging stack in this test's namespace."""
    text = json.dumps(resource).replace('"dictamesh-staging"', f'"{NAMESPACE}"')
    moved_resource: dict[str, Any] = json.loads(text)
    return moved_resource


def access(cluster: Cluster, recording: Recording, work: Path) -> Path:
    """The stack's ServiceAccount, Role and RoleBinding for the watcher, and a kubeconfig with that account's
    token alone (the cluster's TokenRequest, as the kubelet mounts it)."""
    for kind in ("ServiceAccount", "Role", "RoleBinding"):
        found = [r for r in recording.resources if r.type.endswith(f":{kind}") and r.name.startswith(job_metrics.NAME)]
        assert found, kind
        for resource in found:
            cluster.apply(moved(manifest(resource)), dry_run=False)
    request = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    path = f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/{job_metrics.NAME}/token"
    token = cluster.call("POST", path, json.dumps(request))[1]["status"]["token"]
    kubeconfig = work / "watcher.kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {
                        "name": "local",
                        "cluster": {
                            "server": f"https://127.0.0.1:{cluster.port}",
                            "certificate-authority": str(cluster.kubeconfig.parent / "ca.crt"),
                        },
                    }
                ],
                "users": [{"name": "watcher", "user": {"token": token}}],
                "contexts": [{"name": "watcher", "context": {"cluster": "local", "user": "watcher"}}],
                "current-context": "watcher",
            }
        )
    )
    return kubeconfig


def failing_job(name: str) -> dict[str, Any]:
    """A Job whose pod can never be scheduled: the job controller fails it once its deadline passes."""
    pod = {
        "restartPolicy": "Never",
        "nodeSelector": {"dictamesh.dev/no-such-node": "true"},
        "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"activeDeadlineSeconds": 1, "backoffLimit": 0, "template": {"spec": pod}},
    }


def watcher_args(recording: Recording) -> list[str]:
    """The stack's Deployment's arguments, with what the kubelet puts in $(POD_NAMESPACE)."""
    container = recording.one("kubernetes:apps/v1:Deployment", job_metrics.NAME).inputs["spec"]["template"]["spec"]
    args: list[str] = container["containers"][0]["args"]
    return [arg.replace("$(POD_NAMESPACE)", NAMESPACE) for arg in args]


def test_the_watcher_sees_a_failed_job_with_the_stacks_role_alone(
    cluster: Cluster, stacks: dict[str, Recording], tmp_path: Path
) -> None:
    recording = stacks["staging"]
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}, dry_run=False)
    kubeconfig = access(cluster, recording, tmp_path)
    cluster.apply(failing_job("postgres-converge"), dry_run=False)

    port, telemetry = free_port(), free_port()
    watcher = Server(
        [
            built("kube-state-metrics"),
            f"--kubeconfig={kubeconfig}",
            "--host=127.0.0.1",
            f"--port={port}",
            "--telemetry-host=127.0.0.1",
            f"--telemetry-port={telemetry}",
            *watcher_args(recording),
        ],
        f"http://127.0.0.1:{port}{job_metrics.PROBE.http_path}",
    )
    try:
        failed = re.compile(r'^kube_job_failed\{[^}]*job_name="postgres-converge"[^}]*condition="true"[^}]*\} 1$', re.M)

        def exported() -> str | None:
            text = watcher.text(f"http://127.0.0.1:{port}/metrics")
            return text if failed.search(text) else None

        metrics = wait_until(exported, 60, "kube_job_failed of the failed Job")
        assert f'namespace="{NAMESPACE}"' in metrics
        prometheus_port = free_port()
        config = tmp_path / "prometheus.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s"},
                    "scrape_configs": [
                        {"job_name": "kube-state-metrics", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
                    ],
                }
            )
        )
        prometheus = Server(
            [
                binary("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            f"http://127.0.0.1:{prometheus_port}/-/ready",
        )
        try:
            query = f"http://127.0.0.1:{prometheus_port}/api/v1/query?query={urllib.parse.quote(job_metrics.FAILED)}"
            found = wait_until(lambda: prometheus.json(query)["data"]["result"], 30, "JobFailed's expression")
            assert [r["metric"]["job_name"] for r in found] == ["postgres-converge"]
        finally:
            prometheus.stop()
    finally:
        log = watcher.stop()
    # the Role lets it list and watch jobs and cronjobs, and it asks for nothing else
    assert "forbidden" not in log.lower(), log
