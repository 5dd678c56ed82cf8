"""The DictaMesh dashboards, written as code with grafana-foundation-sdk and provisioned from files.

Every query reads the Prometheus datasource by its fixed uid, so the JSON needs no `__inputs`
(which file provisioning cannot resolve).
"""

import json

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from components.observability.grafana import PROMETHEUS_UID

SOURCE = DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)


def _query(expr: str, legend: str, ref: str = "A") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref)


def _graph(title: str, unit: str, *queries: tuple[str, str]) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(SOURCE).height(8).span(12)
    for index, (expr, legend) in enumerate(queries):
        panel = panel.with_target(_query(expr, legend, chr(ord("A") + index)))
    return panel


def _stat(title: str, expr: str, unit: str = "none") -> stat.Panel:
    return stat.Panel().title(title).unit(unit).datasource(SOURCE).height(4).span(6).with_target(_query(expr, title))


def _board(uid: str, title: str) -> dashboard.Dashboard:
    return dashboard.Dashboard(title).uid(uid).tags(["dictamesh"]).refresh("30s").time("now-6h", "now").timezone("utc")


def overview() -> dashboard.Dashboard:
    return (
        _board("dictamesh-overview", "DictaMesh / Platform overview")
        .with_panel(_stat("Targets down", "count(up == 0) or vector(0)"))
        .with_panel(_stat("Alerts firing", 'count(ALERTS{alertstate="firing"}) or vector(0)'))
        .with_panel(_stat("Brokers up", 'count(up{job="redpanda"} == 1) or vector(0)'))
        .with_panel(_stat("Catalog up", "max(pg_up) or vector(0)"))
        .with_panel(_graph("Targets up by job", "none", ("sum by (job) (up)", "{{job}}")))
        .with_panel(
            _graph(
                "Firing alerts by severity",
                "none",
                ('count by (severity) (ALERTS{alertstate="firing"})', "{{severity}}"),
            )
        )
    )


def redpanda() -> dashboard.Dashboard:
    return (
        _board("dictamesh-redpanda", "DictaMesh / Redpanda")
        .with_panel(_stat("Brokers", "max(redpanda_cluster_brokers)"))
        .with_panel(_stat("Leaderless partitions", "max(redpanda_cluster_unavailable_partitions)"))
        .with_panel(_stat("Under-replicated replicas", "sum(redpanda_kafka_under_replicated_replicas)"))
        .with_panel(_stat("Topics", "max(redpanda_cluster_topics)"))
        .with_panel(
            _graph(
                "Throughput",
                "Bps",
                ("sum by (redpanda_request) (rate(redpanda_kafka_request_bytes_total[5m]))", "{{redpanda_request}}"),
            )
        )
        .with_panel(
            _graph(
                "Free disk",
                "percentunit",
                ("redpanda_storage_disk_free_bytes / redpanda_storage_disk_total_bytes", "{{instance}}"),
            )
        )
        .with_panel(
            _graph(
                "Produce latency p99",
                "s",
                (
                    "histogram_quantile(0.99, sum by (le, instance) "
                    '(rate(redpanda_kafka_request_latency_seconds_bucket{redpanda_request="produce"}[5m])))',
                    "{{instance}}",
                ),
            )
        )
        .with_panel(
            _graph("Records produced", "ops", ("sum(rate(redpanda_kafka_records_produced_total[5m]))", "records/s"))
        )
    )


def postgres() -> dashboard.Dashboard:
    return (
        _board("dictamesh-postgresql", "DictaMesh / PostgreSQL catalog")
        .with_panel(_stat("Up", "max(pg_up)"))
        .with_panel(_stat("Connections", "sum(pg_stat_activity_count)"))
        .with_panel(_stat("Max connections", "max(pg_settings_max_connections)"))
        .with_panel(_stat("Deadlocks (1h)", "sum(increase(pg_stat_database_deadlocks[1h]))"))
        .with_panel(
            _graph(
                "Connections by state",
                "none",
                ("sum by (state) (pg_stat_activity_count)", "{{state}}"),
            )
        )
        .with_panel(
            _graph(
                "Transactions",
                "ops",
                ("sum(rate(pg_stat_database_xact_commit[5m]))", "commits"),
                ("sum(rate(pg_stat_database_xact_rollback[5m]))", "rollbacks"),
            )
        )
        .with_panel(_graph("Database size", "bytes", ("pg_database_size_bytes", "{{datname}}")))
    )


def redis() -> dashboard.Dashboard:
    return (
        _board("dictamesh-redis", "DictaMesh / Redis cache")
        .with_panel(_stat("Up", "max(redis_up)"))
        .with_panel(_stat("Memory used", "max(redis_memory_used_bytes / redis_memory_max_bytes)", "percentunit"))
        .with_panel(_stat("Clients", "sum(redis_connected_clients)"))
        .with_panel(_stat("Evictions (1h)", "sum(increase(redis_evicted_keys_total[1h]))"))
        .with_panel(
            _graph(
                "Hit ratio",
                "percentunit",
                (
                    "sum(rate(redis_keyspace_hits_total[5m])) / "
                    "(sum(rate(redis_keyspace_hits_total[5m])) + sum(rate(redis_keyspace_misses_total[5m])))",
                    "hits",
                ),
            )
        )
        .with_panel(_graph("Commands", "ops", ("sum(rate(redis_commands_processed_total[5m]))", "commands/s")))
        .with_panel(
            _graph(
                "Memory",
                "bytes",
                ("redis_memory_used_bytes", "used"),
                ("redis_memory_max_bytes", "maxmemory"),
            )
        )
    )


def dashboards() -> dict[str, str]:
    """File name -> dashboard JSON, for the provisioned folder."""
    return {
        f"{board.build().uid}.json": json.dumps(board.build(), cls=JSONEncoder, indent=2, sort_keys=True)
        for board in (overview(), redpanda(), postgres(), redis())
    }
