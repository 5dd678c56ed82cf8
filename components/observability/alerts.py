"""The observability set's own alerts: any target down, and Prometheus and Alertmanager failing."""

from components.model import Alert

ALERTS = [
    Alert(
        name="Watchdog",
        expr="vector(1)",
        for_="0m",
        severity="none",
        summary="Alerting works",
        description="Always firing, and posted to the heartbeat receiver: when it stops arriving there, Prometheus "
        "or Alertmanager is dead, and the service behind that receiver pages.",
    ),
    Alert(
        name="TargetDown",
        expr="up == 0",
        for_="2m",
        severity="warning",
        summary="{{ $labels.job }} target {{ $labels.instance }} is down",
        description="Prometheus has not scraped {{ $labels.instance }} of job {{ $labels.job }} for 2 minutes.",
    ),
    Alert(
        name="PrometheusRuleEvaluationFailures",
        expr="increase(prometheus_rule_evaluation_failures_total[5m]) > 0",
        severity="warning",
        summary="Prometheus fails to evaluate rules",
        description="{{ $value }} rule evaluations failed in the last 5 minutes: some alerts cannot fire.",
    ),
    Alert(
        name="PrometheusTsdbCompactionsFailing",
        expr="increase(prometheus_tsdb_compactions_failed_total[3h]) > 0",
        for_="0m",
        severity="warning",
        summary="Prometheus cannot compact its storage",
        description="{{ $value }} TSDB compactions failed in 3 hours: disk use grows and queries slow down.",
    ),
    Alert(
        name="AlertmanagerNotificationsFailing",
        expr="increase(alertmanager_notifications_failed_total[10m]) > 0",
        severity="critical",
        summary="Alertmanager cannot deliver to {{ $labels.integration }}",
        description="{{ $value }} notifications to {{ $labels.integration }} failed in 10 minutes: alerts are lost.",
    ),
]
