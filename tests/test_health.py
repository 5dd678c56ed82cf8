"""`make health` against real servers: the suite's PostgreSQL and redis-server, and a local HTTP
server standing in for the HTTP endpoints (Redpanda's admin API, Schema Registry, Console,
Prometheus, Alertmanager, Grafana, Jaeger)."""

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.catalog.settings import CatalogSettings
from components.config import parse
from tests.harness import ROOT
from tests.test_cache_redis import APP_PASSWORD, RedisServer
from tests.test_catalog_sql import PASSWORDS, provision

ANSWERS: dict[str, Any] = {
    "/v1/cluster/health_overview": {"is_healthy": True, "all_nodes": [0, 1, 2]},
    "/subjects": ["dictamesh.entity-events-value"],
    "/admin/health": "ok",
    "/-/ready": "ready",
    "/api/health": {"database": "ok"},
    "/": "<html>jaeger</html>",
}


class StandIn(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        answer = ANSWERS.get(self.path)
        self.send_response(200 if answer is not None else 404)
        self.end_headers()
        self.wfile.write(json.dumps(answer).encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("health")
    database = provision(work / "secrets", work / "initdb")
    cache = RedisServer(parse("dev", {}).cache, work / "redis")
    http = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield {"postgres": database, "redis": cache, "http": f"http://127.0.0.1:{http.server_address[1]}"}
    finally:
        http.shutdown()
        http.server_close()
        cache.stop()
        database.stop()


def dev_outputs(servers: dict[str, Any], app_password: str = PASSWORDS["app"]) -> dict[str, Any]:
    """The dev stack's outputs, as `pulumi stack output --json --show-secrets` prints them, pointed here."""
    database = CatalogSettings().database
    http = servers["http"]
    return {
        "target": "docker",
        "catalog": {"hostAddress": f"127.0.0.1:{servers['postgres'].port}"},
        "catalogDsn": f"postgresql://dictamesh:{app_password}@postgres:5432/{database}",
        "cache": {"hostAddress": f"127.0.0.1:{servers['redis'].port}"},
        "cacheUrl": f"redis://dictamesh:{APP_PASSWORD}@redis:6379/0",
        "eventBus": {"hostAdminUrl": http, "hostSchemaRegistryUrl": http, "consoleUrl": http, "saslUsername": None},
        "observability": {f"{name}Url": http for name in ("prometheus", "alertmanager", "grafana", "jaeger")},
    }


def health(outputs: dict[str, Any], tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    return subprocess.run(
        [sys.executable, "-m", "scripts.health", "--outputs", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_service_up_passes(servers: dict[str, Any], tmp_path: Path) -> None:
    result = health(dev_outputs(servers), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    checks = [line.split()[1] for line in lines[:-1]]
    assert checks == [
        "postgres",
        "redis",
        "redpanda",
        "schema-registry",
        "console",
        "prometheus",
        "alertmanager",
        "grafana",
        "jaeger",
    ]
    assert all(line.startswith("ok ") and " ms  " in line for line in lines[:-1])
    assert "uuid-ossp, pg_trgm, vector present" in lines[0] or "pg_trgm, uuid-ossp, vector present" in lines[0]
    assert lines[-1] == "all 9 checks passed"


def test_json_reports_each_check_with_its_latency(servers: dict[str, Any], tmp_path: Path) -> None:
    report = json.loads(health(dev_outputs(servers), tmp_path, "--json").stdout)
    assert report["healthy"] is True
    assert {check["check"] for check in report["checks"]} >= {"postgres", "redis", "redpanda"}
    assert all(check["latency_ms"] >= 0 for check in report["checks"])


def test_a_wrong_password_fails_that_check_and_is_never_printed(servers: dict[str, Any], tmp_path: Path) -> None:
    wrong = "Wr0ngPassw0rdThatMustNotBePrinted"
    result = health(dev_outputs(servers, app_password=wrong), tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("FAILED postgres")
    assert result.stdout.splitlines()[-1] == "failed: postgres"
    assert wrong not in result.stdout + result.stderr
    assert PASSWORDS["app"] not in result.stdout and APP_PASSWORD not in result.stdout


def test_an_unhealthy_cluster_is_named(
    servers: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        ANSWERS, "/v1/cluster/health_overview", {"is_healthy": False, "unhealthy_reasons": ["nodes_down"]}
    )
    result = health(dev_outputs(servers), tmp_path)
    assert result.returncode == 1
    assert "FAILED redpanda" in result.stdout and "nodes_down" in result.stdout


def test_disabled_components_are_not_checked(servers: dict[str, Any], tmp_path: Path) -> None:
    outputs = dev_outputs(servers)
    del outputs["observability"]
    result = health(outputs, tmp_path)
    assert result.returncode == 0, result.stdout
    assert "grafana" not in result.stdout and result.stdout.splitlines()[-1] == "all 5 checks passed"


def test_cluster_stacks_say_they_need_kubectl(tmp_path: Path) -> None:
    outputs = {"target": "kubernetes", "namespace": "dictamesh-staging", "catalogDsn": "postgresql://a:b@c:5432/d"}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    result = subprocess.run(
        [sys.executable, "-m", "scripts.health", "--outputs", str(path)],
        cwd=ROOT,
        env={"PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "cluster stacks are checked through `kubectl port-forward`: install kubectl" in result.stderr


def test_a_stopped_service_fails_by_name(servers: dict[str, Any], tmp_path: Path) -> None:
    """Last: it stops the module's redis-server."""
    servers["redis"].stop()
    result = health(dev_outputs(servers), tmp_path)
    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert [line.split()[1] for line in failed] == ["redis"]
    assert result.stdout.splitlines()[-1] == "failed: redis"
