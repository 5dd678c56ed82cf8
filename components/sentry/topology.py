"""The errors-only set of getsentry/self-hosted 26.8.0: every process, its size, its storage and its topics.

Facts from the release's docker-compose.yml (profile errors-only) and install/*.sh; the names are ours.
The settings size the quota from this list and the component deploys exactly this list.
"""

from dataclasses import dataclass

KAFKA_PORT = 9092
WEB_PORT = 9000
RELAY_PORT = 3000
SNUBA_PORT = 1218
CLICKHOUSE_HTTP_PORT = 8123
CLICKHOUSE_NATIVE_PORT = 9000
CLICKHOUSE_METRICS_PORT = 9363
POSTGRES_PORT = 5432
REDIS_PORT = 6379
MEMCACHED_PORT = 11211
SYMBOLICATOR_PORT = 3021
TASKBROKER_PORT = 50051
OBJECTSTORE_PORT = 8333
NGINX_PORT = 8080  # nginx runs unprivileged: no port below 1024
HEALTH_FILE = "/tmp/health.txt"  # consumers touch it while their poll loop runs
# a batch may take up to 5 minutes before the consumer counts as gone: Kafka's 30 s would start rebalance loops
MAX_POLL = "--max-poll-interval-ms=300000"


@dataclass(frozen=True)
class Service:
    name: str
    size: str  # the key of its resources in SentryResources
    storage: str | None = None  # the key of its claim in SentryStorage
    sidecars: tuple[str, ...] = ()  # the keys of its sidecars' resources in SentryResources


@dataclass(frozen=True)
class Consumer(Service):
    """A Kafka consumer: its arguments, and the topic it reads (for the event-path check)."""

    args: tuple[str, ...] = ()
    topic: str = ""


# Topics of the errors-only event path with the settings `snuba bootstrap` would give them, from
# sentry-kafka-schemas 2.1.39 (what snuba 26.8.0 pins: topics/<name>.yaml, topic_creation_config), and the
# topics self-hosted 26.8.0's taskbroker consumes (taskbroker/config.yml). The topics job creates them before
# anything starts and sets these on topics that exist: snuba and `sentry upgrade --create-kafka-topics` skip
# a topic that exists, so without them every topic kept the broker's defaults.
_INGEST = {"compression.type": "lz4", "retention.ms": "86400000", "max.message.bytes": "10000000"}
_DAY = {"compression.type": "lz4", "retention.ms": "86400000"}
_APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}
_COMMIT_LOG = {
    **_DAY,
    "cleanup.policy": "compact,delete",
    "min.compaction.lag.ms": "3600000",
    "segment.bytes": "104857600",
    "segment.ms": "3600000",
}
_OUTCOMES = {**_DAY, "segment.bytes": "262144000"}
TOPICS: dict[str, dict[str, str]] = {
    "ingest-events": _INGEST,
    "ingest-attachments": _INGEST,
    "ingest-transactions": _INGEST,
    "ingest-occurrences": _DAY,
    "ingest-monitors": {**_INGEST, **_APPEND_TIME},
    "ingest-feedback-events": _INGEST,
    "events": {**_DAY, "max.message.bytes": "25000000", **_APPEND_TIME},
    "transactions": {**_DAY, "max.message.bytes": "25000000", **_APPEND_TIME},
    "event-replacements": {"compression.type": "lz4", "retention.ms": "604800000"},
    "snuba-commit-log": _COMMIT_LOG,
    "outcomes": _OUTCOMES,
    "outcomes-billing": _OUTCOMES,
    "group-attributes": {**_DAY, **_APPEND_TIME},
    "generic-events": {**_DAY, **_APPEND_TIME},
    "snuba-generic-events-commit-log": _COMMIT_LOG,
    "events-subscription-results": _DAY,
    "scheduled-subscriptions-events": _DAY,
    # eap_items' stream (snuba's eap_items storage): the subscription executor follows its commit log
    "snuba-items": {**_INGEST, **_APPEND_TIME},
    "snuba-items-commit-log": _COMMIT_LOG,
    "scheduled-subscriptions-eap-items": _DAY,
    "subscription-results-eap-items": _DAY,
    "taskworker": {**_INGEST, **_APPEND_TIME},
    "taskworker-dlq": {**_INGEST, "retention.ms": "604800000"},
    # the other topics taskbroker consumes: it waits for every one of them
    "transactions-subscription-results": _DAY,
    "metrics-subscription-results": _DAY,
    "generic-metrics-subscription-results": _DAY,
    "profiles": {**_DAY, "max.message.bytes": "52428800"},
    "ingest-replay-recordings": {**_DAY, "max.message.bytes": "15000000"},
}

# relay's topic keys -> the topics it produces to by default (relay-kafka's KafkaTopic); upstream's config
# overrides none, and the ingest consumers below read them
RELAY_TOPICS = {
    "events": "ingest-events",
    "attachments": "ingest-attachments",
    "transactions": "ingest-transactions",
    "outcomes": "outcomes",
    "outcomes_billing": "outcomes-billing",
    "monitors": "ingest-monitors",
    "feedback": "ingest-feedback-events",
}

DATASTORES = (
    Service("sentry-postgres", "postgres", "postgres"),
    Service("sentry-redis", "redis", "redis"),
    Service("sentry-kafka", "kafka", "kafka"),
    Service("sentry-clickhouse", "clickhouse", "clickhouse"),
    Service("sentry-memcached", "memcached"),
    Service("sentry-objectstore", "objectstore", "objectstore"),
)


def _rust_consumer(name: str, storage: str, group: str, offset: str, topic: str, *extra: str) -> Consumer:
    return Consumer(
        name,
        "snuba_consumer",
        args=(
            "rust-consumer",
            f"--storage={storage}",
            f"--consumer-group={group}",
            f"--auto-offset-reset={offset}",
            "--max-batch-time-ms=750",
            "--no-strict-offset-reset",
            MAX_POLL,
            f"--health-check-file={HEALTH_FILE}",
            *extra,
        ),
        topic=topic,
    )


SNUBA_API = Service("sentry-snuba-api", "snuba_api")
SNUBA_CONSUMERS = (
    _rust_consumer("sentry-snuba-errors-consumer", "errors", "snuba-consumers", "latest", "events"),
    # earliest: outcomes feed the stats pages, a restart must not drop them
    _rust_consumer("sentry-snuba-outcomes-consumer", "outcomes_raw", "snuba-consumers", "earliest", "outcomes"),
    _rust_consumer(
        "sentry-snuba-outcomes-billing-consumer",
        "outcomes_raw",
        "snuba-consumers",
        "earliest",
        "outcomes-billing",
        "--raw-events-topic=outcomes-billing",
    ),
    _rust_consumer(
        "sentry-snuba-group-attributes-consumer",
        "group_attributes",
        "snuba-group-attributes-consumers",
        "latest",
        "group-attributes",
    ),
    Consumer(
        "sentry-snuba-replacer",
        "snuba_consumer",
        args=(
            "replacer",
            "--storage=errors",
            "--auto-offset-reset=latest",
            "--no-strict-offset-reset",
            MAX_POLL,
            f"--health-check-file={HEALTH_FILE}",
        ),
        topic="event-replacements",
    ),
    Consumer(
        "sentry-snuba-subscription-consumer-events",
        "snuba_consumer",
        args=(
            "subscriptions-scheduler-executor",
            "--dataset=events",
            "--entity=events",
            "--auto-offset-reset=latest",
            "--no-strict-offset-reset",
            "--consumer-group=snuba-events-subscriptions-consumers",
            "--followed-consumer-group=snuba-consumers",
            "--schedule-ttl=60",
            "--stale-threshold-seconds=900",
            f"--health-check-file={HEALTH_FILE}",
        ),
        topic="scheduled-subscriptions-events",
    ),
    # upstream runs it in every profile, though the consumer it follows (eap_items_group) is feature-complete's
    Consumer(
        "sentry-snuba-subscription-consumer-eap-items",
        "snuba_consumer",
        args=(
            "subscriptions-scheduler-executor",
            "--dataset=events_analytics_platform",
            "--entity=eap_items",
            "--auto-offset-reset=latest",
            "--no-strict-offset-reset",
            "--consumer-group=snuba-eap-items-subscriptions-consumers",
            "--followed-consumer-group=eap_items_group",
            "--schedule-ttl=60",
            "--stale-threshold-seconds=900",
            f"--health-check-file={HEALTH_FILE}",
        ),
        topic="scheduled-subscriptions-eap-items",
    ),
)


def _sentry_consumer(name: str, size: str, consumer: str, group: str, topic: str, *extra: str) -> Consumer:
    return Consumer(
        name,
        size,
        args=(
            "run",
            "consumer",
            consumer,
            f"--consumer-group={group}",
            f"--healthcheck-file-path={HEALTH_FILE}",
            # a consumer down longer than the retention resumes at the reset point instead of crash-looping
            "--no-strict-offset-reset",
            MAX_POLL,
            *extra,
        ),
        topic=topic,
    )


SENTRY_CONSUMERS = (
    _sentry_consumer("sentry-events-consumer", "events_consumer", "ingest-events", "ingest-consumer", "ingest-events"),
    _sentry_consumer(
        "sentry-attachments-consumer", "consumer", "ingest-attachments", "ingest-consumer", "ingest-attachments"
    ),
    _sentry_consumer(
        "sentry-post-process-forwarder",
        "consumer",
        "post-process-forwarder-errors",
        "post-process-forwarder",
        "events",
        "--synchronize-commit-log-topic=snuba-commit-log",
        "--synchronize-commit-group=snuba-consumers",
    ),
)

WEB = Service("sentry-web", "web")
TASKWORKER = Service("sentry-taskworker", "taskworker")
TASKSCHEDULER = Service("sentry-taskscheduler", "taskscheduler")
TASKBROKER = Service("sentry-taskbroker", "taskbroker", "taskbroker")
RELAY = Service("sentry-relay", "relay")
SYMBOLICATOR = Service("sentry-symbolicator", "symbolicator", "symbolicator", ("symbolicator_cleanup",))
NGINX = Service("sentry-nginx", "nginx")

# The bootstrap, in order: each a one-shot job of the bootstrap size
BOOTSTRAP = ("sentry-kafka-topics", "sentry-snuba-bootstrap", "sentry-upgrade", "sentry-admin-user")
TOPICS_JOB, SNUBA_JOB, UPGRADE_JOB, ADMIN_JOB = BOOTSTRAP
CLEANUP_JOB = "sentry-cleanup"  # scheduled: deletes what is older than the retention

SERVICES: tuple[Service, ...] = (
    *DATASTORES,
    SNUBA_API,
    *SNUBA_CONSUMERS,
    TASKBROKER,
    SYMBOLICATOR,
    WEB,
    TASKWORKER,
    TASKSCHEDULER,
    *SENTRY_CONSUMERS,
    RELAY,
    NGINX,
)
STATEFUL = tuple(service.name for service in SERVICES if service.storage)
# who uses what: the datastores admit these clients
SENTRY_PROCESSES = (WEB.name, TASKWORKER.name, TASKSCHEDULER.name, *(c.name for c in SENTRY_CONSUMERS), CLEANUP_JOB)
SNUBA_PROCESSES = (SNUBA_API.name, *(c.name for c in SNUBA_CONSUMERS))


# the sizes (SentryResources keys) of the processes of the Sentry image, each with its caches at /data
SENTRY_IMAGE_SIZES = tuple(
    sorted({WEB.size, TASKWORKER.size, TASKSCHEDULER.size, *(c.size for c in SENTRY_CONSUMERS), "bootstrap"})
)
