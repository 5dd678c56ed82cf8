"""Alerts reach the configured receivers: the generated alertmanager.yml on a real Alertmanager, at the
image's version (built by make test-deps: Debian's 0.25 cannot read url_file), posting to a loopback
HTTP server that stands in for the webhook and the Slack endpoint.
"""

import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from components.model import SECRETS_DIR
from scripts.ports import free_port
from tests.harness import run_stack
from tests.observability import CONTAINER, files_of
from tests.servers import Server, built, wait_until, write

EXTERNAL_URL = "https://alertmanager.dictamesh.example.com/"
RUNBOOK = "https://github.com/dictamesh/infrastructure/blob/main/docs/runbook.md"


class Receivers(ThreadingHTTPServer):
    """Records each notification's JSON body by request path."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: dict[str, list[dict[str, Any]]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Receivers

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.setdefault(self.path, []).append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receivers() -> Iterator[Receivers]:
    server = Receivers()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def alertmanager(receivers: Receivers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("alertmanager")
    recording = run_stack(
        "dev",
        {
            "dictamesh:observability": {
                "receivers": [
                    {"name": "pager", "type": "webhook", "severities": ["critical"], "url": f"{receivers.url}/pager"},
                    {"name": "chat", "type": "slack", "channel": "#platform", "url": f"{receivers.url}/slack"},
                ],
                "runbookUrl": RUNBOOK,
                "heartbeat": {"url": f"{receivers.url}/heartbeat"},
            }
        },
    )
    uploads = recording.one(CONTAINER, "alertmanager").inputs["uploads"]
    for upload in uploads:
        if upload["file"].startswith(SECRETS_DIR):
            write(work / "secrets" / Path(upload["file"]).name, upload["content"])
    config = files_of(recording, "alertmanager")["/etc/alertmanager/alertmanager.yml"]
    # the secrets' directory as mounted here; the first notification after 1 s instead of the 30 s group wait
    config = config.replace(SECRETS_DIR, str(work / "secrets")).replace("group_wait: 30s", "group_wait: 1s")
    port = free_port()
    server = Server(
        [
            built("alertmanager"),
            f"--config.file={write(work / 'alertmanager.yml', config)}",
            f"--storage.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            f"--web.external-url={EXTERNAL_URL}",
        ],
        f"http://127.0.0.1:{port}/-/ready",
    )
    yield server
    server.stop()


def annotations(alertname: str) -> dict[str, str]:
    """Those every rule of ours carries."""
    return {
        "summary": alertname,
        "description": f"{alertname} is wrong",
        "runbook_url": f"{RUNBOOK}#{alertname}",
    }


def post_alerts(server: Server, alerts: list[dict[str, str]]) -> None:
    body = json.dumps([{"labels": labels, "annotations": annotations(labels["alertname"])} for labels in alerts])
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{server.base}/api/v2/alerts", body.encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
        assert response.status == 200


def test_alerts_reach_the_receivers_of_their_severity(alertmanager: Server, receivers: Receivers) -> None:
    post_alerts(
        alertmanager,
        [
            {"alertname": "CatalogDown", "severity": "critical", "job": "postgres", "instance": "postgres"},
            {"alertname": "CacheNearlyFull", "severity": "warning", "job": "redis", "instance": "redis"},
            # a broker down silences the partitions it leaves under-replicated: the labels the rules keep
            {"alertname": "RedpandaBrokerDown", "severity": "critical", "job": "redpanda"},
            {"alertname": "RedpandaUnderReplicatedPartitions", "severity": "warning", "job": "redpanda"},
        ],
    )

    def alerts_at(path: str) -> list[tuple[str, str]]:
        return sorted(
            (alert["labels"]["alertname"], alert["labels"]["severity"])
            for body in receivers.received.get(path, [])
            for alert in body["alerts"]
        )

    def delivered() -> bool:
        return len(receivers.received.get("/slack", [])) == 3 and len(receivers.received.get("/pager", [])) == 2

    wait_until(delivered, 30, "a notification per alert name at Slack, and per critical one at the webhook")
    # the warning of job redpanda is silenced by its critical alert; redis' warning is not
    titles = sorted(body["attachments"][0]["title"] for body in receivers.received["/slack"])
    assert titles == [
        "[FIRING:1] CacheNearlyFull redis (redis warning)",
        "[FIRING:1] CatalogDown postgres (postgres critical)",
        "[FIRING:1] RedpandaBrokerDown redpanda (critical)",
    ]
    slack = receivers.received["/slack"][0]
    assert slack["channel"] == "#platform"
    summary = slack["attachments"][0]["title"].split()[1]
    assert slack["attachments"][0]["text"] == f"*{summary}*\n{summary} is wrong\n<{RUNBOOK}#{summary}|Runbook>\n"
    # the webhook takes the critical alerts alone, and its links point at the public URL
    assert alerts_at("/pager") == [("CatalogDown", "critical"), ("RedpandaBrokerDown", "critical")]
    webhook = receivers.received["/pager"][0]
    assert webhook["receiver"] == "pager" and webhook["status"] == "firing"
    assert webhook["externalURL"] == EXTERNAL_URL.rstrip("/")


def alert_states(server: Server) -> dict[str, list[str]]:
    """Each alert Alertmanager holds, by name and job, with the fingerprints of the alerts inhibiting it."""
    with urllib.request.urlopen(f"{server.base}/api/v2/alerts", timeout=5) as response:  # noqa: S310 (loopback)
        alerts = json.loads(response.read())
    return {f"{a['labels']['alertname']} {a['labels'].get('job', '')}": a["status"]["inhibitedBy"] for a in alerts}


def test_a_critical_alert_silences_only_the_warnings_it_explains(alertmanager: Server) -> None:
    """With `equal: [job]` alone, any critical alert of a job silenced every warning of that job (and, without a
    job label, every warning without one): the rules now pair each critical alert with what it explains."""
    post_alerts(
        alertmanager,
        [
            {"alertname": "RedpandaBrokerDown", "severity": "critical", "job": "redpanda"},
            {"alertname": "TargetDown", "severity": "warning", "job": "redpanda", "instance": "redpanda-1"},
            {"alertname": "RedpandaLowFreeStorage", "severity": "warning", "job": "redpanda", "instance": "redpanda-0"},
            {"alertname": "PostgresDown", "severity": "critical", "job": "postgres"},
            {"alertname": "PostgresTooManyConnections", "severity": "warning", "job": "postgres"},
            {"alertname": "RedisMemoryHigh", "severity": "warning", "job": "redis"},
        ],
    )
    wait_until(lambda: "RedisMemoryHigh redis" in alert_states(alertmanager), 10, "the alerts held")
    inhibited = {name for name, by in alert_states(alertmanager).items() if by}
    assert {"TargetDown redpanda", "PostgresTooManyConnections postgres"} <= inhibited
    assert not {"RedpandaLowFreeStorage redpanda", "RedisMemoryHigh redis"} & inhibited


def test_the_watchdog_reaches_the_heartbeat_alone(alertmanager: Server, receivers: Receivers) -> None:
    """A dead Prometheus or Alertmanager sends nothing: the service behind the heartbeat pages when its posts stop."""
    post_alerts(alertmanager, [{"alertname": "Watchdog", "severity": "none"}])
    wait_until(lambda: bool(receivers.received.get("/heartbeat")), 30, "the Watchdog at the heartbeat receiver")
    body = receivers.received["/heartbeat"][0]
    assert body["receiver"] == "heartbeat" and body["alerts"][0]["labels"]["alertname"] == "Watchdog"
    pager = [a["labels"]["alertname"] for b in receivers.received.get("/pager", []) for a in b["alerts"]]
    slack = [a["title"] for b in receivers.received.get("/slack", []) for a in b["attachments"]]
    assert "Watchdog" not in pager and not [title for title in slack if "Watchdog" in title]
