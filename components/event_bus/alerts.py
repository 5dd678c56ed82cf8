"""What the event bus publishes for observability: every broker's public metrics and the cluster's alerts."""

from components.event_bus.files import ADMIN
from components.model import Alert, Inhibit, ScrapeTarget, Telemetry


def telemetry(brokers: int, tls: bool) -> Telemetry:
    return Telemetry(
        group="redpanda",
        targets=[ScrapeTarget("redpanda", "redpanda", ADMIN, replicas=brokers, path="/public_metrics", tls=tls)],
        alerts=[
            Alert(
                name="RedpandaBrokerDown",
                expr=f'count by (job) (up{{job="redpanda"}} == 1) < {brokers} or absent(up{{job="redpanda"}} == 1)',
                for_="2m",
                severity="critical",
                labels={"job": "redpanda"},  # absent() of a comparison has none: with every broker down, too
                summary=f"Fewer than {brokers} Redpanda brokers answer",
                description="A broker is down: partitions with a replica on it have lost one of their copies.",
            ),
            Alert(
                name="RedpandaUnderReplicatedPartitions",
                expr="sum by (job) (redpanda_kafka_under_replicated_replicas) > 0",
                for_="10m",
                severity="warning",
                summary="Partitions are under-replicated",
                description="{{ $value }} replicas lag their leader: one more failure may lose acknowledged writes.",
            ),
            Alert(
                name="RedpandaLeaderlessPartitions",
                expr="max by (job) (redpanda_cluster_unavailable_partitions) > 0",
                for_="1m",
                severity="critical",
                summary="Partitions have no leader",
                description="{{ $value }} partitions lack a Raft quorum: producers and consumers of them fail.",
            ),
            Alert(
                # per listener (area); stacks without TLS publish none. Leaves live 90 days and are renewed with 30
                # left (components/runtime/kubernetes/certificates.py), and brokers reload them on their own:
                # a week left means the renewal, or the reload, has failed for three weeks
                name="RedpandaCertificateExpiring",
                expr="min by (job, instance, area) (redpanda_tls_certificate_expires_at_timestamp_seconds > 0)"
                " - time() < 7 * 86400",
                for_="15m",
                severity="warning",
                summary="{{ $labels.instance }}'s {{ $labels.area }} certificate expires within a week",
                description="Clients will refuse the broker when it expires: check the Certificate's renewal "
                "(cert-manager) and the files the broker serves.",
            ),
            Alert(
                name="RedpandaLowFreeStorage",
                expr="redpanda_storage_disk_free_bytes < 0.15 * redpanda_storage_disk_total_bytes",
                severity="warning",
                summary="{{ $labels.instance }} has under 15% of its disk free",
                description="Redpanda refuses writes when the disk fills: grow eventBus.storage or shorten retention.",
            ),
        ],
        inhibits=[
            # a broker down explains its targets down and the replicas it held; no leader explains the lag
            Inhibit("RedpandaBrokerDown", ["RedpandaUnderReplicatedPartitions", "TargetDown"]),
            Inhibit("RedpandaLeaderlessPartitions", ["RedpandaUnderReplicatedPartitions"]),
        ],
    )
