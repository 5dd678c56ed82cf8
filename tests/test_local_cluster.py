"""`make local-cluster`: the control plane a user tries the cluster stacks on, started and stopped as
the command runs it."""

import json
import signal
import socket
import ssl
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.local_cluster import ROOT
from tests.servers import wait_until


def test_the_local_cluster_serves_each_stacks_context_and_cleans_up() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scripts.local_cluster"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the first line comes once the cluster answers
        assert line.startswith("export KUBECONFIG="), line + (process.stderr.read() if process.stderr else "")
        kubeconfig_path = Path(line.split("=", 1)[1].strip())
        kubeconfig = yaml.safe_load(kubeconfig_path.read_text())
        wanted = {
            yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]["dictamesh:kubernetes"]["context"]
            for stack in ("staging", "prod")
        }
        assert {c["name"] for c in kubeconfig["contexts"]} == wanted == {"dictamesh-staging", "dictamesh-prod"}
        cluster, user = kubeconfig["clusters"][0]["cluster"], kubeconfig["users"][0]["user"]
        tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
        tls.load_cert_chain(user["client-certificate"], user["client-key"])

        def get(path: str) -> Any:
            with urllib.request.urlopen(f"{cluster['server']}{path}", context=tls, timeout=10) as response:  # noqa: S310
                return json.loads(response.read())

        def ready_nodes() -> list[str]:
            return [
                node["metadata"]["name"]
                for node in get("/api/v1/nodes")["items"]
                if any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions", []))
            ]

        wait_until(lambda: len(ready_nodes()) == 3, 60, "three ready nodes")
        classes = {c["metadata"]["name"] for c in get("/apis/storage.k8s.io/v1/storageclasses")["items"]}
        assert classes == {"standard", "ssd"}  # the classes Pulumi.staging.yaml and Pulumi.prod.yaml name
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0
    assert not kubeconfig_path.exists()  # the certificates and etcd's data are gone with it
    with pytest.raises(ConnectionRefusedError):  # the API server is gone
        socket.create_connection(("127.0.0.1", urllib.parse.urlsplit(cluster["server"]).port or 443), timeout=5)
