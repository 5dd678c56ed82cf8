"""What the cache publishes for observability: its exporter and its alerts."""

from components.model import Alert, Inhibit, ScrapeTarget, Telemetry

EXPORTER_PORT = 9121

TELEMETRY = Telemetry(
    group="redis",
    targets=[ScrapeTarget("redis", "redis-exporter", EXPORTER_PORT)],
    alerts=[
        Alert(
            name="RedisDown",
            expr="redis_up == 0",
            for_="1m",
            severity="critical",
            summary="The cache is down",
            description="redis_exporter cannot reach Redis: every read falls through to the catalog.",
        ),
        Alert(
            name="RedisMemoryHigh",
            expr="redis_memory_used_bytes > 0.9 * redis_memory_max_bytes and redis_memory_max_bytes > 0",
            severity="warning",
            summary="Redis uses over 90% of maxmemory",
            description="Used memory is {{ $value | humanize1024 }}B; eviction keeps the cache inside maxmemory.",
        ),
        Alert(
            name="RedisRejectedConnections",
            expr="increase(redis_rejected_connections_total[5m]) > 0",
            for_="0m",
            severity="warning",
            summary="Redis refuses connections",
            description="{{ $value }} connections were refused in 5 minutes (maxclients reached).",
        ),
        Alert(
            name="RedisEvictions",
            expr="increase(redis_evicted_keys_total[15m]) > 0",
            for_="0m",
            severity="info",
            summary="Redis evicts keys",
            description="{{ $value }} keys were evicted in 15 minutes: normal under allkeys-lru; the cache is full.",
        ),
    ],
    # a server down explains what its exporter can no longer read
    inhibits=[Inhibit("RedisDown", ["RedisMemoryHigh", "RedisRejectedConnections", "RedisEvictions"])],
)
