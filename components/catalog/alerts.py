"""What the catalog database publishes for observability: its exporter and its alerts."""

from components.model import Alert, Inhibit, ScrapeTarget, Telemetry

EXPORTER_PORT = 9187


def telemetry(database: str) -> Telemetry:
    return Telemetry(
        group="postgresql",
        targets=[ScrapeTarget("postgres", "postgres-exporter", EXPORTER_PORT)],
        alerts=[
            Alert(
                name="PostgresDown",
                expr="pg_up == 0",
                for_="1m",
                severity="critical",
                summary="The catalog database is down",
                description="postgres_exporter cannot reach PostgreSQL: the metadata catalog is unavailable.",
            ),
            Alert(
                name="PostgresTooManyConnections",
                expr="sum by (job) (pg_stat_activity_count) > 0.8 * max by (job) (pg_settings_max_connections)",
                severity="warning",
                summary="The catalog uses over 80% of max_connections",
                description="{{ $value }} connections are open; new clients are refused at max_connections.",
            ),
            Alert(
                name="PostgresDeadlocks",
                expr=f'increase(pg_stat_database_deadlocks{{datname="{database}"}}[10m]) > 0',
                for_="0m",
                severity="warning",
                summary="Deadlocks in the catalog",
                description="{{ $value }} deadlocks in 10 minutes: transactions were rolled back.",
            ),
        ],
        # a server down explains what its exporter can no longer read
        inhibits=[Inhibit("PostgresDown", ["PostgresTooManyConnections", "PostgresDeadlocks"])],
    )
