"""The generated Prometheus and Alertmanager configs on the real servers, scraping the real exporters.

Debian's prometheus (2.42), prometheus-alertmanager, prometheus-postgres-exporter and
prometheus-redis-exporter run on loopback against the suite's real PostgreSQL and redis-server.
The configs come from the dev stack's program, run under the mock engine on a runtime whose
endpoints point at these processes: the same code path as a deployment, not a hand-written config.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from components import platform
from components.cache import files as cache_files
from components.catalog import files as catalog_files
from components.config import parse
from components.observability import dashboards
from components.runtime.docker import DockerRuntime, DockerTarget
from components.settings import Settings
from scripts.ports import free_port
from tests.harness import Recording, run_program
from tests.observability import alert_rules, files_of, write_prometheus
from tests.servers import Server, binary, metric_names, wait_until, write
from tests.test_cache_redis import MONITOR_PASSWORD, RedisServer
from tests.test_catalog_sql import PASSWORDS, provision

FAST = {"scrapeInterval": "1s", "evaluationInterval": "1s"}
# metric names Prometheus itself makes, and names no server here exports (with their source)
KNOWN = Path(__file__).parent / "metric_names"


class LoopbackRuntime(DockerRuntime):
    """The dev runtime, with the endpoints of the processes this test runs put in; the rest unreachable."""

    def __init__(self, settings: Settings, endpoints: dict[tuple[str, int], str]) -> None:
        super().__init__(DockerTarget(network=f"dictamesh-{settings.stack}", instance=settings.stack))
        self._endpoints = endpoints

    def endpoint(self, workload: str, port: int, ordinal: int | None = None) -> str:
        return self._endpoints.get((workload, port), "127.0.0.1:1")


@dataclass
class Stack:
    prometheus: Server
    exporters: dict[str, Server]
    alertmanager: Server
    recording: Recording
    metrics: set[str]  # names on the servers' /metrics pages, read before any test stops one

    def api(self, path: str) -> Any:
        return self.prometheus.json(f"{self.prometheus.base}/api/v1/{path}")["data"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("observability")
    database = provision(work / "secrets", work / "initdb")
    cache = RedisServer(parse("dev", {}).cache, work / "redis")
    ports = {name: free_port() for name in ("postgres", "redis", "prometheus", "alertmanager")}
    endpoints = {
        ("postgres-exporter", 9187): f"127.0.0.1:{ports['postgres']}",
        ("redis-exporter", 9121): f"127.0.0.1:{ports['redis']}",
        ("prometheus", 9090): f"127.0.0.1:{ports['prometheus']}",
        ("alertmanager", 9093): f"127.0.0.1:{ports['alertmanager']}",
    }
    settings = parse("dev", {"observability": json.dumps(FAST)})
    recording = run_program("dev", lambda: platform.build(settings, runtime=LoopbackRuntime(settings, endpoints)))
    started: list[Server] = []
    try:
        monitor_file = write(work / "monitor-password", PASSWORDS["monitor"])
        postgres_exporter = Server(
            [binary("prometheus-postgres-exporter"), f"--web.listen-address=127.0.0.1:{ports['postgres']}"],
            f"http://127.0.0.1:{ports['postgres']}/",
            env={
                "DATA_SOURCE_URI": f"127.0.0.1:{database.port}/{settings.catalog.database}?sslmode=disable",
                "DATA_SOURCE_USER": catalog_files.MONITOR_USER,
                "DATA_SOURCE_PASS_FILE": str(monitor_file),
            },
        )
        started.append(postgres_exporter)
        address = f"redis://127.0.0.1:{cache.port}"
        passwords = write(work / "redis-passwords.json", cache_files.exporter_passwords(address, MONITOR_PASSWORD))
        redis_exporter = Server(
            [binary("prometheus-redis-exporter"), "-web.listen-address", f"127.0.0.1:{ports['redis']}"],
            f"http://127.0.0.1:{ports['redis']}/health",
            env=cache_files.exporter_env(address, str(passwords)),
        )
        started.append(redis_exporter)
        alertmanager_config = write(
            work / "alertmanager" / "alertmanager.yml",
            files_of(recording, "alertmanager")["/etc/alertmanager/alertmanager.yml"],
        )
        alertmanager = Server(
            [
                binary("prometheus-alertmanager", "alertmanager"),
                f"--config.file={alertmanager_config}",
                f"--storage.path={work / 'alertmanager'}",
                f"--web.listen-address=127.0.0.1:{ports['alertmanager']}",
                "--cluster.listen-address=",
            ],
            f"http://127.0.0.1:{ports['alertmanager']}/-/ready",
        )
        started.append(alertmanager)
        config = write_prometheus(recording, work / "prometheus")
        prometheus = Server(
            [
                binary("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={work / 'prometheus' / 'data'}",
                f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
            ],
            f"http://127.0.0.1:{ports['prometheus']}/-/ready",
        )
        started.append(prometheus)
        names = {name for server in started for name in metric_names(server.text(f"{server.base}/metrics"))}
        yield Stack(
            prometheus, {"postgres": postgres_exporter, "redis": redis_exporter}, alertmanager, recording, names
        )
    finally:
        for server in reversed(started):
            server.stop()
        cache.stop()
        database.stop()


def sample(stack: Stack, query: str) -> list[Any]:
    found: list[Any] = stack.api(query)["result"]
    return found


def test_prometheus_scrapes_the_real_exporters_and_itself(stack: Stack) -> None:
    def health() -> dict[str, str] | None:
        targets = stack.api("targets")["activeTargets"]
        found = {t["labels"]["job"]: t["health"] for t in targets if t["labels"]["job"] in WANTED}
        return found if found == dict.fromkeys(WANTED, "up") else None

    WANTED = ("postgres", "redis", "prometheus", "alertmanager")  # noqa: N806
    wait_until(health, 30, "the exporters, Prometheus and Alertmanager to be up")
    for job in WANTED:
        # a target is reported up when its scrape ends; its sample is queryable a moment later, under load
        query = f"query?query=up%7Bjob%3D%22{job}%22%7D"
        result: list[Any] = wait_until(partial(sample, stack, query), 30, f"a sample of up{{job={job!r}}}")
        assert [(r["metric"]["instance"], r["value"][1]) for r in result] == [
            ({"postgres": "postgres-exporter", "redis": "redis-exporter"}.get(job, job), "1")
        ], job
    # the exporters reach their servers too, not only answer
    assert stack.api("query?query=pg_up")["result"][0]["value"][1] == "1"
    assert stack.api("query?query=redis_up")["result"][0]["value"][1] == "1"


def test_every_rule_group_loads_and_evaluates_without_errors(stack: Stack) -> None:
    def evaluated() -> list[dict[str, Any]] | None:
        groups: list[dict[str, Any]] = stack.api("rules")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return groups if rules and all(rule["health"] == "ok" for rule in rules) else None

    groups = wait_until(evaluated, 30, "every rule to be evaluated")
    assert {group["name"] for group in groups} == {"postgresql", "redis", "redpanda", "observability"}
    assert {rule["name"] for group in groups for rule in group["rules"]} == set(alert_rules(stack.recording))
    assert all(not rule.get("lastError") for group in groups for rule in group["rules"])


def test_a_stopped_exporter_raises_target_down(stack: Stack) -> None:
    stack.exporters["redis"].stop()

    def target_down() -> list[dict[str, Any]]:
        return [
            alert
            for alert in stack.api("alerts")["alerts"]
            if alert["labels"]["alertname"] == "TargetDown" and alert["labels"]["job"] == "redis"
        ]

    alerts = wait_until(target_down, 30, "TargetDown for the redis job")
    assert alerts[0]["state"] in ("pending", "firing")
    assert alerts[0]["labels"]["instance"] == "redis-exporter" and alerts[0]["labels"]["severity"] == "warning"


def test_every_metric_in_rules_and_dashboards_exists(stack: Stack) -> None:
    """Names from the real servers here, or from the checked-in lists that name their source."""
    known = {
        line.split()[0]
        for path in KNOWN.glob("*.txt")
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    }
    expressions = [str(rule["expr"]) for rule in alert_rules(stack.recording).values()] + dashboard_expressions()
    unknown = {name for expr in expressions for name in metric_names_in(expr)} - stack.metrics - known
    assert not unknown, f"metrics no server here exports and no list names: {sorted(unknown)}"


def dashboard_expressions() -> list[str]:
    return [
        target["expr"]
        for text in dashboards.dashboards().values()
        for panel in json.loads(text)["panels"]
        for target in panel["targets"]
    ]


KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}


def metric_names_in(expr: str) -> set[str]:
    """Metric names of a PromQL expression: identifiers that are not functions, keywords or label names."""
    text = re.sub(r'"[^"]*"', "", expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # label lists
    return set(re.findall(r"\b([A-Za-z_][A-Za-z0-9_:]*)\b(?!\s*\()", text)) - KEYWORDS


def test_metric_names_are_read_from_expressions() -> None:
    expr = 'sum by (le) (rate(a_total{job="x"}[5m])) / on (job) b > 0.8 * max(c) or vector(0)'
    assert metric_names_in(expr) == {"a_total", "b", "c"}
