"""prometheus.yml and the alert rule files, generated from what the components publish.

Kept within what both Prometheus 2.42 (Debian's, which the tests run) and the 3.x image accept:
static targets only, no 3.x-only keys.
"""

from collections.abc import Callable, Sequence

import yaml

from components.model import CA_FILE, Alert, Telemetry
from components.observability.settings import ExtraTarget, ObservabilitySettings

CONFIG_DIR = "/etc/prometheus"
DATA_DIR = "/prometheus"
PORT = 9090

# (workload, port, ordinal) -> host:port, as the runtime reaches it
Endpoint = Callable[[str, int, int | None], str]


def config(
    settings: ObservabilitySettings, telemetry: Sequence[Telemetry], endpoint: Endpoint, alertmanager: str
) -> str:
    scrape_configs: list[dict[str, object]] = []
    for source in telemetry:
        for target in source.targets:
            ordinals: list[int | None] = list(range(target.replicas)) if target.replicas > 1 else [None]
            static = [
                {
                    "targets": [endpoint(target.workload, target.port, ordinal)],
                    # a stable instance name, not an address that changes with every pod
                    "labels": {"instance": target.workload if ordinal is None else f"{target.workload}-{ordinal}"},
                }
                for ordinal in ordinals
            ]
            job: dict[str, object] = {"job_name": target.job, "metrics_path": target.path, "static_configs": static}
            if target.tls:
                job |= {"scheme": "https", "tls_config": {"ca_file": CA_FILE}}
            scrape_configs.append(job)
    scrape_configs += [
        {"job_name": extra.job, "metrics_path": extra.path, "static_configs": [{"targets": list(extra.targets)}]}
        for extra in settings.extra_targets
    ]
    jobs = [str(job["job_name"]) for job in scrape_configs]
    duplicates = sorted({job for job in jobs if jobs.count(job) > 1})
    if duplicates:
        raise ValueError(f"scrape jobs published twice: {', '.join(duplicates)}")
    document = {
        "global": {
            "scrape_interval": settings.scrape_interval,
            "evaluation_interval": settings.evaluation_interval,
        },
        # relative to this file: the same config runs in the container and in the tests
        "rule_files": ["rules/*.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": scrape_configs,
    }
    return yaml.safe_dump(document, sort_keys=False)


def trusted(telemetry: Sequence[Telemetry]) -> str | None:
    """The TLS server whose CA verifies every HTTPS target: all certificates have the stack's one issuer."""
    servers = sorted({target.workload for source in telemetry for target in source.targets if target.tls})
    return servers[0] if servers else None


def rules(source: Telemetry, runbook_url: str) -> str:
    """One rule group per component, every alert with a severity, a summary, a description and a runbook."""

    def rule(alert: Alert) -> dict[str, object]:
        return {
            "alert": alert.name,
            "expr": alert.expr,
            "for": alert.for_,
            "labels": {"severity": alert.severity, **alert.labels},
            "annotations": {
                "summary": alert.summary,
                "description": alert.description,
                "runbook_url": f"{runbook_url}#{alert.name.lower()}",
            },
        }

    return yaml.safe_dump(
        {"groups": [{"name": source.group, "rules": [rule(a) for a in source.alerts]}]}, sort_keys=False
    )


def args(settings: ObservabilitySettings, storage_bytes: int, external_url: str | None) -> list[str]:
    """The image's own flags repeated (overriding the command drops them), plus retention and the public
    URL that links in alerts point to."""
    flags = [
        f"--config.file={CONFIG_DIR}/prometheus.yml",
        f"--storage.tsdb.path={DATA_DIR}",
        f"--storage.tsdb.retention.time={settings.retention}",
        f"--web.listen-address=:{PORT}",
    ]
    if settings.retention_size:
        # leave a fifth of the volume for compaction and the write-ahead log
        flags.append(f"--storage.tsdb.retention.size={storage_bytes * 8 // 10 // 2**20}MB")
    if external_url:
        flags.append(f"--web.external-url={external_url}")
    return flags


def egress_namespaces(extra: Sequence[ExtraTarget]) -> dict[str, list[int]]:
    """The applications' targets in other namespaces of the cluster: their ports, by namespace."""
    found: dict[str, set[int]] = {}
    for target in extra:
        for namespace, ports in target.reach()[0].items():
            found.setdefault(namespace, set()).update(ports)
    return {namespace: sorted(ports) for namespace, ports in sorted(found.items())}


def egress_ports(extra: Sequence[ExtraTarget]) -> list[int]:
    """The applications' targets outside the cluster (addresses, other DNS names): their ports."""
    return sorted({port for target in extra for port in target.reach()[1]})
