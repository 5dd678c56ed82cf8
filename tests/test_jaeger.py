"""The generated Jaeger v2 config on a real Jaeger, built from Go modules at the image's version:
it answers its health check, takes OTLP traces and serves them back, and badger keeps them across
a crash."""

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.config import parse
from components.observability import jaeger
from scripts.ports import free_port
from tests.servers import Server, built, wait_until, write


@pytest.fixture
def ports() -> dict[str, int]:
    return {name: free_port() for name in jaeger.PORTS}


def start(storage: str, ports: dict[str, int], data: Path) -> Server:
    settings = parse("prod" if storage == "badger" else "dev", {}).observability.jaeger
    config = write(data / "config.yaml", jaeger.config(settings, ports, data_dir=str(data / "badger")))
    return Server([built("jaeger"), "--config", str(config)], f"http://127.0.0.1:{ports['health']}/status")


def send_span(ports: dict[str, int], service: str) -> None:
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "GET /catalog",
        "kind": 2,
        "startTimeUnixNano": str(time.time_ns() - 5_000_000),
        "endTimeUnixNano": str(time.time_ns()),
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
    body = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}
    request = urllib.request.Request(
        f"http://127.0.0.1:{ports['otlp_http']}/v1/traces",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
        assert response.status == 200


def services(server: Server, ports: dict[str, int]) -> list[str]:
    found: list[str] = server.json(f"http://127.0.0.1:{ports['ui']}/api/services")["data"] or []
    return found


@pytest.fixture
def running() -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop(kill=True)  # a graceful stop takes Jaeger ten seconds


def test_in_memory_jaeger_takes_otlp_and_serves_traces(
    ports: dict[str, int], tmp_path: Path, running: list[Server]
) -> None:
    server = start("memory", ports, tmp_path)
    running.append(server)
    send_span(ports, "metadata-catalog")
    wait_until(lambda: "metadata-catalog" in services(server, ports), 20, "the span's service in the query API")
    metrics = server.text(f"http://127.0.0.1:{ports['metrics']}/metrics")
    assert "otelcol_receiver_accepted_spans" in metrics


def test_badger_keeps_spans_across_a_crash(ports: dict[str, int], tmp_path: Path, running: list[Server]) -> None:
    first = start("badger", ports, tmp_path)
    running.append(first)
    send_span(ports, "event-router")
    wait_until(lambda: "event-router" in services(first, ports), 20, "the span in badger")
    first.stop(kill=True)
    assert any((tmp_path / "badger" / "values").iterdir())
    second = start("badger", ports, tmp_path)
    running.append(second)
    assert "event-router" in services(second, ports)
