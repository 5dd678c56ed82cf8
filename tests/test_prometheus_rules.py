"""The generated Prometheus and Alertmanager files through promtool and amtool, and every alert on
synthetic series: it fires on a failing one and stays silent on a healthy one."""

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.harness import Recording, run_stack
from tests.observability import alert_rules, files_of, prometheus_files, write_prometheus
from tests.servers import binary, built
from tests.test_observability_servers import dashboard_expressions

# the generated files must pass Debian's Prometheus (2.42, the one the server tests run) and the image's
PROMTOOLS = {"debian": binary("promtool"), "image": built("promtool")}
PROMTOOL, AMTOOL = PROMTOOLS["debian"], built("amtool")

# alert -> (series that must fire it, series that must not), one sample a minute, evaluated at `at`; the Watchdog
# fires on no series at all and is never silent
FIXTURES: dict[str, tuple[dict[str, str], dict[str, str] | None, str]] = {
    "Watchdog": ({}, None, "1m"),
    "TargetDown": (
        {'up{job="redis",instance="redis-exporter"}': "0x10"},
        {'up{job="redis",instance="a"}': "1x10"},
        "5m",
    ),
    "RedpandaBrokerDown": (
        {f'up{{job="redpanda",instance="redpanda-{n}"}}': "0x10" if n == 2 else "1x10" for n in range(3)},
        {f'up{{job="redpanda",instance="redpanda-{n}"}}': "1x10" for n in range(3)},
        "5m",
    ),
    "RedpandaUnderReplicatedPartitions": (
        {'redpanda_kafka_under_replicated_replicas{redpanda_topic="t"}': "2x30"},
        {'redpanda_kafka_under_replicated_replicas{redpanda_topic="t"}': "0x30"},
        "15m",
    ),
    "RedpandaLeaderlessPartitions": (
        {"redpanda_cluster_unavailable_partitions": "1x10"},
        {"redpanda_cluster_unavailable_partitions": "0x10"},
        "5m",
    ),
    "RedpandaCertificateExpiring": (
        {
            'redpanda_tls_certificate_expires_at_timestamp_seconds{instance="redpanda-0",area="kafka"}': "86400x30",
            'redpanda_tls_certificate_expires_at_timestamp_seconds{instance="redpanda-0",area="rpc"}': "0x30",
        },
        {
            'redpanda_tls_certificate_expires_at_timestamp_seconds{instance="redpanda-0",area="kafka"}': "7776000x30",
            'redpanda_tls_certificate_expires_at_timestamp_seconds{instance="redpanda-0",area="rpc"}': "0x30",
        },
        "20m",
    ),
    "RedpandaLowFreeStorage": (
        {
            'redpanda_storage_disk_free_bytes{instance="redpanda-0"}': "10x20",
            'redpanda_storage_disk_total_bytes{instance="redpanda-0"}': "100x20",
        },
        {
            'redpanda_storage_disk_free_bytes{instance="redpanda-0"}': "60x20",
            'redpanda_storage_disk_total_bytes{instance="redpanda-0"}': "100x20",
        },
        "10m",
    ),
    "PostgresDown": ({"pg_up": "0x10"}, {"pg_up": "1x10"}, "5m"),
    "PostgresTooManyConnections": (
        {'pg_stat_activity_count{state="active"}': "90x20", "pg_settings_max_connections": "100x20"},
        {'pg_stat_activity_count{state="active"}': "10x20", "pg_settings_max_connections": "100x20"},
        "10m",
    ),
    "PostgresDeadlocks": (
        {'pg_stat_database_deadlocks{datname="dictamesh_catalog"}': "0+1x20"},
        {'pg_stat_database_deadlocks{datname="dictamesh_catalog"}': "3x20"},
        "10m",
    ),
    "RedisDown": ({"redis_up": "0x10"}, {"redis_up": "1x10"}, "5m"),
    "RedisMemoryHigh": (
        {"redis_memory_used_bytes": "95x20", "redis_memory_max_bytes": "100x20"},
        {"redis_memory_used_bytes": "50x20", "redis_memory_max_bytes": "100x20"},
        "10m",
    ),
    "RedisRejectedConnections": (
        {"redis_rejected_connections_total": "0+1x20"},
        {"redis_rejected_connections_total": "4x20"},
        "10m",
    ),
    "RedisEvictions": ({"redis_evicted_keys_total": "0+5x30"}, {"redis_evicted_keys_total": "7x30"}, "20m"),
    "PrometheusRuleEvaluationFailures": (
        {'prometheus_rule_evaluation_failures_total{rule_group="g"}': "0+1x20"},
        {'prometheus_rule_evaluation_failures_total{rule_group="g"}': "0x20"},
        "12m",
    ),
    "PrometheusTsdbCompactionsFailing": (
        {"prometheus_tsdb_compactions_failed_total": "0+1x20"},
        {"prometheus_tsdb_compactions_failed_total": "0x20"},
        "10m",
    ),
    # a nightly backup that failed after the CronJob's last success; one that failed, then succeeded the night after
    "JobFailed": (
        {
            'kube_job_failed{namespace="ns",job_name="postgres-backup-2",condition="true"}': "1x10",
            'kube_job_status_start_time{namespace="ns",job_name="postgres-backup-2"}': "300x10",
            'kube_job_owner{namespace="ns",job_name="postgres-backup-2",owner_kind="CronJob",'
            'owner_name="postgres-backup",owner_is_controller="true"}': "1x10",
            'kube_cronjob_status_last_successful_time{namespace="ns",cronjob="postgres-backup"}': "200x10",
        },
        {
            'kube_job_failed{namespace="ns",job_name="postgres-backup-1",condition="true"}': "1x10",
            'kube_job_status_start_time{namespace="ns",job_name="postgres-backup-1"}': "100x10",
            'kube_job_owner{namespace="ns",job_name="postgres-backup-1",owner_kind="CronJob",'
            'owner_name="postgres-backup",owner_is_controller="true"}': "1x10",
            'kube_cronjob_status_last_successful_time{namespace="ns",cronjob="postgres-backup"}': "200x10",
        },
        "5m",
    ),
    "AlertmanagerNotificationsFailing": (
        {'alertmanager_notifications_failed_total{integration="webhook"}': "0+1x20"},
        {'alertmanager_notifications_failed_total{integration="webhook"}': "0x20"},
        "12m",
    ),
}


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_promtool_accepts_each_stacks_config_and_rules(
    stacks: dict[str, Recording], stack: str, tmp_path: Path
) -> None:
    config = write_prometheus(stacks[stack], tmp_path)
    checked = run(PROMTOOL, "check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # one per component and observability's own; on Kubernetes the jobs' too
    assert f"SUCCESS: {4 if stack == 'dev' else 5} rule files found" in checked.stdout


def test_promtool_catches_a_broken_rule(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up ==="}]}]}))
    assert run(PROMTOOL, "check", "rules", str(path)).returncode != 0


def test_every_broker_down_still_names_the_job_it_inhibits(stacks: dict[str, Recording], tmp_path: Path) -> None:
    """absent() of a comparison carries no label: with every broker down, RedpandaBrokerDown had no job, and its
    inhibit rule (equal: job) silenced nothing."""
    write_prometheus(stacks["dev"], tmp_path)
    annotations = alert_rules(stacks["dev"])["RedpandaBrokerDown"]["annotations"]
    test = {
        "interval": "1m",
        "input_series": [
            {"series": f'up{{job="redpanda",instance="redpanda-{n}"}}', "values": "0x10"} for n in range(3)
        ],
        "alert_rule_test": [
            {
                "eval_time": "5m",
                "alertname": "RedpandaBrokerDown",
                "exp_alerts": [
                    {"exp_labels": {"job": "redpanda", "severity": "critical"}, "exp_annotations": annotations}
                ],
            }
        ],
    }
    unit = tmp_path / "absent.yml"
    unit.write_text(yaml.safe_dump({"rule_files": ["rules/*.yml"], "evaluation_interval": "1m", "tests": [test]}))
    result = run(PROMTOOLS["image"], "test", "rules", str(unit))
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("promtool", PROMTOOLS)
def test_every_alert_fires_on_failure_and_stays_silent_when_healthy(
    stacks: dict[str, Recording], promtool: str, tmp_path: Path
) -> None:
    rules = alert_rules(stacks["staging"])  # the cluster's: dev's and the jobs'
    assert set(FIXTURES) == set(rules), "each alert needs a failing and a healthy fixture"
    write_prometheus(stacks["staging"], tmp_path)
    tests = []
    for name, (failing, healthy, at) in FIXTURES.items():
        for series, expected in ((failing, 1), *(((healthy, 0),) if healthy is not None else ())):
            state = 'alertstate="firing",' if expected else ""
            tests.append(
                {
                    "name": f"{name} {'fires' if expected else 'stays silent'}",
                    "interval": "1m",
                    "input_series": [{"series": s, "values": v} for s, v in series.items()],
                    "promql_expr_test": [
                        {
                            "expr": f'count(ALERTS{{{state}alertname="{name}"}}) or vector(0)',
                            "eval_time": at,
                            "exp_samples": [{"value": expected}],
                        }
                    ],
                }
            )
    unit = tmp_path / "tests.yml"
    unit.write_text(yaml.safe_dump({"rule_files": ["rules/*.yml"], "evaluation_interval": "1m", "tests": tests}))
    result = run(PROMTOOLS[promtool], "test", "rules", str(unit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.parametrize("promtool", PROMTOOLS)
def test_every_dashboard_query_parses(promtool: str, tmp_path: Path) -> None:
    expressions = dashboard_expressions()
    assert len(expressions) >= 20
    rules = [{"record": f"dashboard:query_{i}:check", "expr": expr} for i, expr in enumerate(expressions)]
    path = tmp_path / "dashboards.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run(PROMTOOLS[promtool], "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def check_alertmanager(recording: Recording, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"alertmanager-{recording.stack}.yml"
    path.write_text(next(text for name, text in files_of(recording, "alertmanager").items() if name.endswith(".yml")))
    return run(AMTOOL, "check-config", str(path))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_amtool_accepts_each_stacks_alertmanager_config(
    stacks: dict[str, Recording], stack: str, tmp_path: Path
) -> None:
    result = check_alertmanager(stacks[stack], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_amtool_accepts_every_receiver_type(tmp_path: Path) -> None:
    receivers = [
        {"name": "oncall", "type": "slack", "url": "https://hooks.slack.example/x", "channel": "#ops"},
        {"name": "hook", "type": "webhook", "url": "http://relay:8080/alerts"},
        {
            "name": "mail",
            "type": "email",
            "to": "a@b.c",
            "sender": "d@e.f",
            "smarthost": "smtp:587",
            "username": "u",
            "password": "p",
        },
    ]
    runbook = "https://git.example.com/dictamesh/infra/blob/main/docs/runbook.md"
    overrides = {"dictamesh:observability": {"receivers": receivers, "runbookUrl": runbook}}
    result = check_alertmanager(run_stack("prod", overrides), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " - 4 receivers" in result.stdout  # the three and the catch-all


def test_the_unit_tests_see_the_alerts_the_stack_deploys(stacks: dict[str, Recording]) -> None:
    assert json.dumps(alert_rules(stacks["staging"]), sort_keys=True) == json.dumps(
        alert_rules(stacks["prod"]), sort_keys=True
    )
    config, _ = prometheus_files(stacks["dev"])
    assert yaml.safe_load(config)["rule_files"] == ["rules/*.yml"]
