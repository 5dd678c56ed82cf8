"""Sentry's own datastores: PostgreSQL, Valkey, Kafka (KRaft), ClickHouse, memcached and SeaweedFS for files.

Each admits only the Sentry and snuba processes that use it (topology.py names them).
"""

from collections.abc import Mapping

import pulumi

from components.catalog.postgres_stop import fast_stop
from components.model import SECRETS_DIR, Port, Probe, Volume, Workload
from components.quantity import mebibytes
from components.sentry import datastore_config, images, sentry_config, topology
from components.sentry.settings import SentrySettings

# each image's own user, as its record (components/sentry/images.py) gives it
POSTGRES_USER = images.POSTGRES.runs_as
VALKEY_USER = images.VALKEY.runs_as
KAFKA_USER = images.KAFKA.runs_as
CLICKHOUSE_USER = images.CLICKHOUSE.runs_as
MEMCACHED_USER = images.MEMCACHED.runs_as
OBJECTSTORE_USER = images.SEAWEEDFS.runs_as

SENTRY_SIDE = [*topology.SENTRY_PROCESSES, topology.UPGRADE_JOB, topology.ADMIN_JOB]
SNUBA_SIDE = [*topology.SNUBA_PROCESSES, topology.SNUBA_JOB]


def datastores(settings: SentrySettings, kafka_host: str, password: Mapping[str, pulumi.Output[str]]) -> list[Workload]:
    """`kafka_host` is the name the broker advertises; `password` holds the generated credentials by file name."""
    return [
        postgres(settings, password["postgres-password"]),
        redis(settings, password["redis-password"]),
        kafka(settings, kafka_host),
        clickhouse(settings, password["clickhouse-password"]),
        memcached(settings),
        objectstore(settings, password["objectstore-secret-key"]),
    ]


def postgres(settings: SentrySettings, password: pulumi.Output[str]) -> Workload:
    """Sentry's database, its data below the volume's root (where lost+found may sit)."""
    images, size, storage = settings.images, settings.resources, settings.storage
    postgres_password = f"{SECRETS_DIR}/postgres-password"
    return Workload(
        name="sentry-postgres",
        component="sentry-database",
        image=images.postgres,
        run_as=POSTGRES_USER,
        resources=size.postgres,
        args=["postgres", "-c", "max_connections=100"],
        env={
            "POSTGRES_DB": sentry_config.DATABASE,
            "POSTGRES_USER": sentry_config.DATABASE_USER,
            "POSTGRES_PASSWORD_FILE": postgres_password,
            "PGDATA": "/var/lib/postgresql/data/pgdata",
        },
        secrets={postgres_password: password},
        ports=[Port("postgres", topology.POSTGRES_PORT)],
        volumes={"data": Volume("/var/lib/postgresql/data", storage.postgres)},
        scratch=["/tmp", "/var/run/postgresql"],
        probe=Probe(
            command=["pg_isready", "-h", "127.0.0.1", "-U", sentry_config.DATABASE_USER, "-d", "sentry"],
            startup_seconds=600,
        ),
        clients=SENTRY_SIDE,
        stop_command=fast_stop(30),
        stop_grace_seconds=60,
        shm_size="256Mi",  # as self-hosted 26.8.0 gives it: parallel queries keep their shared memory there
    )


def redis(settings: SentrySettings, password: pulumi.Output[str]) -> Workload:
    """Valkey with a password, its config a secret (it holds the password)."""
    images, size, storage = settings.images, settings.resources, settings.storage
    valkey_conf, valkey_password = "/etc/valkey/valkey.conf", f"{SECRETS_DIR}/redis-password"
    return Workload(
        name="sentry-redis",
        component="sentry-cache",
        image=images.redis,
        run_as=VALKEY_USER,
        resources=size.redis,
        args=["valkey-server", valkey_conf],
        secrets={
            valkey_conf: password.apply(lambda pw: datastore_config.valkey_conf(pw, size.redis.memory)),
            valkey_password: password,
        },
        ports=[Port("redis", topology.REDIS_PORT)],
        volumes={"data": Volume("/data", storage.redis)},
        probe=Probe(
            command=[
                "sh",
                "-c",
                f'REDISCLI_AUTH="$(cat {valkey_password})" valkey-cli --no-auth-warning ping | grep -q PONG',
            ],
            startup_seconds=300,
        ),
        clients=[*SENTRY_SIDE, *SNUBA_SIDE, topology.RELAY.name],
    )


def kafka(settings: SentrySettings, host: str) -> Workload:
    """One KRaft node, broker and controller, as self-hosted runs it."""
    images, size, storage = settings.images, settings.resources, settings.storage
    return Workload(
        name="sentry-kafka",
        component="sentry-kafka",
        image=images.kafka,
        run_as=KAFKA_USER,
        resources=size.kafka,
        env=datastore_config.kafka_env(host, size.kafka.memory),
        ports=[Port("kafka", topology.KAFKA_PORT)],
        volumes={"data": Volume("/var/lib/kafka/data", storage.kafka)},
        scratch=["/tmp", "/etc/kafka"],  # the image renders its properties into /etc/kafka at start
        probe=Probe(command=["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{topology.KAFKA_PORT}"], startup_seconds=300),
        clients=[*SENTRY_SIDE, *SNUBA_SIDE, topology.TOPICS_JOB, topology.RELAY.name, topology.TASKBROKER.name],
        stop_grace_seconds=60,
    )


def clickhouse(settings: SentrySettings, password: pulumi.Output[str]) -> Workload:
    """snuba's store; the server itself runs, not the image's entrypoint, which writes users.d files."""
    images, size, storage = settings.images, settings.resources, settings.storage
    clickhouse_users = "/etc/clickhouse-server/users.d/dictamesh-users.xml"
    return Workload(
        name="sentry-clickhouse",
        component="sentry-clickhouse",
        image=images.clickhouse,
        run_as=CLICKHOUSE_USER,
        resources=size.clickhouse,
        # the server itself: the image's entrypoint would write users.d files into a read-only root
        command=["clickhouse-server", "--config-file=/etc/clickhouse-server/config.xml"],
        # as the entrypoint defaults it: a watchdog parent would not pass the stop signal on to the server
        env={"CLICKHOUSE_WATCHDOG_ENABLE": "0"},
        files={datastore_config.CLICKHOUSE_CONFIG: datastore_config.clickhouse_config(size.clickhouse.memory)},
        secrets={clickhouse_users: password.apply(datastore_config.clickhouse_users)},
        ports=[
            Port("http", topology.CLICKHOUSE_HTTP_PORT),
            Port("native", topology.CLICKHOUSE_NATIVE_PORT),
            Port("metrics", topology.CLICKHOUSE_METRICS_PORT, clients=["prometheus"]),
        ],
        volumes={"data": Volume("/var/lib/clickhouse", storage.clickhouse)},
        scratch=["/tmp", "/var/log/clickhouse-server"],
        probe=Probe(
            command=["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{topology.CLICKHOUSE_HTTP_PORT}/ping"],
            http_path="/ping",
            http_port=topology.CLICKHOUSE_HTTP_PORT,
            startup_seconds=600,
        ),
        clients=SNUBA_SIDE,
    )


def memcached(settings: SentrySettings) -> Workload:
    """Items up to 1 MiB (source maps), memory at three quarters of the limit."""
    images, size = settings.images, settings.resources
    return Workload(
        name="sentry-memcached",
        component="sentry-memcached",
        image=images.memcached,
        run_as=MEMCACHED_USER,
        resources=size.memcached,
        # items up to 1 MiB (source maps), memory at three quarters of the limit
        args=["memcached", "-m", str(mebibytes(size.memcached.memory) * 3 // 4), "-I", "1m"],
        ports=[Port("memcached", topology.MEMCACHED_PORT)],
        probe=Probe(command=["sh", "-c", "echo version | nc -w 2 127.0.0.1 11211 | grep -q VERSION"]),
        clients=SENTRY_SIDE,
    )


def objectstore(settings: SentrySettings, secret_key: pulumi.Output[str]) -> Workload:
    """SeaweedFS in one process, with the files bucket created as it starts."""
    images, size, storage = settings.images, settings.resources, settings.storage
    identities = "/etc/seaweedfs/s3.json"
    return Workload(
        name="sentry-objectstore",
        component="sentry-objectstore",
        image=images.objectstore,
        run_as=OBJECTSTORE_USER,
        resources=size.objectstore,
        args=[
            "mini",
            "-dir=/data",
            "-ip=127.0.0.1",  # one process: its parts talk over loopback; clients use the S3 port only
            "-ip.bind=0.0.0.0",
            f"-s3.port={topology.OBJECTSTORE_PORT}",
            f"-s3.config={identities}",
            f"-bucket={sentry_config.FILES_BUCKET}",
            "-s3.port.iceberg=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
        ],
        secrets={
            identities: secret_key.apply(
                lambda key: datastore_config.objectstore_identities(sentry_config.OBJECTSTORE_KEY, key)
            )
        },
        ports=[Port("s3", topology.OBJECTSTORE_PORT)],
        volumes={"data": Volume("/data", storage.objectstore)},
        probe=Probe(
            command=["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{topology.OBJECTSTORE_PORT}/healthz"],
            http_path="/healthz",
            http_port=topology.OBJECTSTORE_PORT,
            startup_seconds=300,
        ),
        clients=SENTRY_SIDE,
    )
