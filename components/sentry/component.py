"""Sentry: self-hosted error tracking, the errors-only set of getsentry/self-hosted release 26.8.0.

Services (topology.py): web, taskbroker, taskworker, taskscheduler, the events and attachments
consumers, the errors post-process forwarder, snuba-api with its errors, outcomes, outcomes-billing,
group-attributes, replacer and events-subscription consumers, relay, symbolicator and nginx in front;
its own PostgreSQL, Valkey, Kafka (KRaft), ClickHouse, memcached and a SeaweedFS S3 store for files.
Nothing is shared with the platform's catalog, cache or event bus.

Bootstrap, in order, once the datastores are healthy: Kafka topics, `snuba bootstrap` and its
migrations, `sentry upgrade --noinput`, then the admin user. Each is idempotent and runs again when
its image changes; every Sentry service starts after the last of them.

Upstream facts we depart from, and why: we build no images (upstream adds the S3 nodestore plugin to
its local Sentry image), so event payloads stay in PostgreSQL (Sentry's Django nodestore) and files go
to S3 through Sentry's built-in S3 filestore; SMTP is an outside server, not the exim container.
"""

import dataclasses
from collections.abc import Sequence

import pulumi

from components.model import (
    SECRETS_DIR,
    Kind,
    Port,
    Probe,
    Route,
    RunAs,
    Runtime,
    ScrapeTarget,
    Telemetry,
    Volume,
    WebUi,
    Workload,
)
from components.quantity import mebibytes
from components.secrets import generated_password
from components.sentry import datastore_config, sentry_config, service_config, topology
from components.sentry.relay_credentials import relay_credentials
from components.sentry.sentry_config import CONFIG_DIR, SECRET_FILES, Endpoints
from components.sentry.settings import SentrySettings
from components.sentry.topology import HEALTH_FILE

# Each image's own user, read from its Dockerfile
SENTRY_USER = RunAs(uid=999, gid=999)  # `useradd -r sentry`, the first system user of a Debian image
SNUBA_USER = RunAs(uid=1000, gid=1000)
RELAY_USER = RunAs(uid=65532, gid=65532)  # distroless `nonroot`
SYMBOLICATOR_USER = RunAs(uid=10021, gid=10021)
TASKBROKER_USER = RunAs(uid=1000, gid=1000)
POSTGRES_USER = RunAs(uid=999, gid=999)
VALKEY_USER = RunAs(uid=999, gid=1000)  # alpine images: valkey 999 in group 1000
KAFKA_USER = RunAs(uid=1000, gid=1000)  # confluent's appuser
CLICKHOUSE_USER = RunAs(uid=101, gid=101)
MEMCACHED_USER = RunAs(uid=11211, gid=11211)
NGINX_USER = RunAs(uid=101, gid=101)
OBJECTSTORE_USER = RunAs(uid=1000, gid=1000)  # seaweed

SENTRY_PROCESSES = [s.name for s in (topology.WEB, topology.TASKWORKER, topology.TASKSCHEDULER)] + [
    c.name for c in topology.SENTRY_CONSUMERS
]
SNUBA_PROCESSES = [topology.SNUBA_API.name] + [c.name for c in topology.SNUBA_CONSUMERS]
TOPICS_JOB, SNUBA_JOB, UPGRADE_JOB, ADMIN_JOB = topology.BOOTSTRAP
SENTRY_JOBS = [UPGRADE_JOB, ADMIN_JOB]

# Checks that run with what each image has: bash's /dev/tcp where there is no HTTP client
WEB_CHECK = (
    "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /_health/ HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n"
    "Connection: close\\r\\n\\r\\n' >&3 && grep -q ok <&3"
)
# consumers and taskworkers touch their health file while their loop runs: stale for 2 minutes, unhealthy
HEALTH_FILE_PROBE = Probe(
    command=["bash", "-c", f'test -n "$(find {HEALTH_FILE} -mmin -2 2>/dev/null)"'], startup_seconds=300
)
# the taskscheduler offers neither a port nor a health file: its main process runs (not stopped, not a zombie)
PROCESS_RUNS = "import sys; sys.exit(open('/proc/1/stat').read().rsplit(')', 1)[1].split()[0] in 'TZ')"
# snuba reads its passwords from the environment only (snuba/settings): exported from the secret files as it starts
SNUBA_SECRETS = {
    "CLICKHOUSE_PASSWORD": "clickhouse-password",
    "CLICKHOUSE_READONLY_PASSWORD": "clickhouse-password",  # the same default user, for read-only queries
    "REDIS_PASSWORD": "redis-password",
}
WITH_SNUBA_SECRETS = " ".join(
    ["export", *(f'{key}="$(cat {SECRETS_DIR}/{file})"' for key, file in SNUBA_SECRETS.items())]
)


class Sentry(pulumi.ComponentResource):
    url: str
    admin_email: str
    admin_password: pulumi.Output[str]
    relay_endpoint: str
    telemetry: Telemetry
    uis: list[WebUi]

    def __init__(
        self,
        name: str,
        args: SentrySettings,
        runtime: Runtime,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dictamesh:sentry:Sentry", name, None, opts)
        self._args, self._runtime = args, runtime
        password = {
            key: generated_password(f"{name}-{key}", self)
            for key in ("secret-key", "postgres-password", "redis-password", "clickhouse-password")
        }
        password["objectstore-secret-key"] = generated_password(f"{name}-objectstore-secret-key", self)
        self.admin_password = generated_password(f"{name}-admin-password", self)
        relay = relay_credentials(name, self)
        url = (args.url_prefix or runtime.public_url("sentry") or self._local_url()).rstrip("/")
        self.endpoints = Endpoints(
            postgres=runtime.address("sentry-postgres"),
            postgres_port=topology.POSTGRES_PORT,
            redis=runtime.address("sentry-redis"),
            redis_port=topology.REDIS_PORT,
            kafka=runtime.endpoint("sentry-kafka", topology.KAFKA_PORT),
            memcached=runtime.endpoint("sentry-memcached", topology.MEMCACHED_PORT),
            snuba=self._url("sentry-snuba-api", topology.SNUBA_PORT),
            symbolicator=self._url("sentry-symbolicator", topology.SYMBOLICATOR_PORT),
            objectstore=self._url("sentry-objectstore", topology.OBJECTSTORE_PORT),
            web=self._url("sentry-web", topology.WEB_PORT),
        )
        self._sentry_files = {
            f"{CONFIG_DIR}/config.yml": sentry_config.config_yml(args, url, self.endpoints),
            f"{CONFIG_DIR}/sentry.conf.py": sentry_config.sentry_conf_py(args, url, self.endpoints),
        }
        self._sentry_secrets = {
            SECRET_FILES["relay_public_key"]: relay.public_key,
            SECRET_FILES["secret_key"]: password["secret-key"],
            SECRET_FILES["postgres"]: password["postgres-password"],
            SECRET_FILES["redis"]: password["redis-password"],
            SECRET_FILES["objectstore"]: password["objectstore-secret-key"],
        }
        if args.smtp and args.smtp.password:
            self._sentry_secrets[SECRET_FILES["smtp"]] = pulumi.Output.secret(args.smtp.password)
        self._snuba_secrets = {f"{SECRETS_DIR}/{file}": password[file] for file in set(SNUBA_SECRETS.values())}

        stores = self._datastores(password)
        topics = self._deploy(self._topics_job(), stores["kafka"])
        snuba = self._deploy(self._snuba_job(SNUBA_JOB), [*stores["clickhouse"], *stores["redis"], *topics])
        upgrade = self._deploy(
            self._sentry_job(UPGRADE_JOB, args=["upgrade", "--noinput", "--create-kafka-topics"]),
            [*stores["postgres"], *stores["redis"], *stores["memcached"], *stores["objectstore"], *snuba],
        )
        admin = self._deploy(self._admin_job(), upgrade)
        self._services(relay.credentials_json, password["redis-password"], admin)

        self.url = url
        self.admin_email = args.admin_email
        self.relay_endpoint = self._url("sentry-relay", topology.RELAY_PORT)
        self.telemetry = Telemetry(
            group="sentry",
            targets=[ScrapeTarget("sentry-clickhouse", "sentry-clickhouse", topology.CLICKHOUSE_METRICS_PORT)],
        )
        self.uis = [WebUi("sentry", [Route("/", "sentry-nginx", topology.NGINX_PORT)], login=True)]
        self.register_outputs({"url": self.url, "admin_email": self.admin_email})

    def _url(self, workload: str, port: int) -> str:
        return f"http://{self._runtime.endpoint(workload, port)}"

    def _local_url(self) -> str:
        """Docker publishes the front door on the host; on Kubernetes, the in-cluster address."""
        published = self._runtime.published(Port("http", topology.NGINX_PORT, self._args.host_port))
        return f"http://{published}" if published else self._url("sentry-nginx", topology.NGINX_PORT)

    def _deploy(self, workload: Workload, depends_on: Sequence[pulumi.Resource] = ()) -> list[pulumi.Resource]:
        return self._runtime.deploy(workload, self, depends_on=depends_on)

    # -- datastores ---------------------------------------------------------------------------------

    def _datastores(self, password: dict[str, pulumi.Output[str]]) -> dict[str, list[pulumi.Resource]]:
        images, size, storage = self._args.images, self._args.resources, self._args.storage
        sentry_side = [*SENTRY_PROCESSES, *SENTRY_JOBS]
        postgres_password = f"{SECRETS_DIR}/postgres-password"
        postgres = Workload(
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
            secrets={postgres_password: password["postgres-password"]},
            ports=[Port("postgres", topology.POSTGRES_PORT)],
            volumes={"data": Volume("/var/lib/postgresql/data", storage.postgres)},
            scratch=["/tmp", "/var/run/postgresql"],
            probe=Probe(
                command=["pg_isready", "-h", "127.0.0.1", "-U", sentry_config.DATABASE_USER, "-d", "sentry"],
                startup_seconds=600,
            ),
            clients=sentry_side,
            stop_grace_seconds=60,
        )
        valkey_conf, valkey_password = "/etc/valkey/valkey.conf", f"{SECRETS_DIR}/redis-password"
        redis = Workload(
            name="sentry-redis",
            component="sentry-cache",
            image=images.redis,
            run_as=VALKEY_USER,
            resources=size.redis,
            args=["valkey-server", valkey_conf],
            secrets={
                valkey_conf: password["redis-password"].apply(
                    lambda pw: datastore_config.valkey_conf(pw, size.redis.memory)
                ),
                valkey_password: password["redis-password"],
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
            clients=[*sentry_side, *SNUBA_PROCESSES, SNUBA_JOB, "sentry-relay"],
        )
        kafka = Workload(
            name="sentry-kafka",
            component="sentry-kafka",
            image=images.kafka,
            run_as=KAFKA_USER,
            resources=size.kafka,
            env=datastore_config.kafka_env(self._runtime.address("sentry-kafka"), size.kafka.memory),
            ports=[Port("kafka", topology.KAFKA_PORT)],
            volumes={"data": Volume("/var/lib/kafka/data", storage.kafka)},
            scratch=["/tmp", "/etc/kafka"],  # the image renders its properties into /etc/kafka at start
            probe=Probe(
                command=["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{topology.KAFKA_PORT}"], startup_seconds=300
            ),
            clients=[
                *sentry_side,
                *SNUBA_PROCESSES,
                SNUBA_JOB,
                TOPICS_JOB,
                topology.RELAY.name,
                topology.TASKBROKER.name,
            ],
            stop_grace_seconds=60,
        )
        clickhouse_users = "/etc/clickhouse-server/users.d/dictamesh-users.xml"
        clickhouse = Workload(
            name="sentry-clickhouse",
            component="sentry-clickhouse",
            image=images.clickhouse,
            run_as=CLICKHOUSE_USER,
            resources=size.clickhouse,
            # the server itself: the image's entrypoint would write users.d files into a read-only root
            command=["clickhouse-server", "--config-file=/etc/clickhouse-server/config.xml"],
            files={datastore_config.CLICKHOUSE_CONFIG: datastore_config.clickhouse_config(size.clickhouse.memory)},
            secrets={clickhouse_users: password["clickhouse-password"].apply(datastore_config.clickhouse_users)},
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
            clients=[*SNUBA_PROCESSES, SNUBA_JOB],
        )
        memcached = Workload(
            name="sentry-memcached",
            component="sentry-memcached",
            image=images.memcached,
            run_as=MEMCACHED_USER,
            resources=size.memcached,
            # items up to 1 MiB (source maps), memory at three quarters of the limit
            args=["memcached", "-m", str(mebibytes(size.memcached.memory) * 3 // 4), "-I", "1m"],
            ports=[Port("memcached", topology.MEMCACHED_PORT)],
            probe=Probe(command=["sh", "-c", "echo version | nc -w 2 127.0.0.1 11211 | grep -q VERSION"]),
            clients=sentry_side,
        )
        identities = "/etc/seaweedfs/s3.json"
        objectstore = Workload(
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
                "-s3.port.lance=0",
                "-webdav=false",
                "-admin.ui=false",
                "-master.telemetry=false",
            ],
            secrets={
                identities: password["objectstore-secret-key"].apply(
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
            clients=sentry_side,
        )
        return {
            "postgres": self._deploy(postgres),
            "redis": self._deploy(redis),
            "kafka": self._deploy(kafka),
            "clickhouse": self._deploy(clickhouse),
            "memcached": self._deploy(memcached),
            "objectstore": self._deploy(objectstore),
        }

    # -- bootstrap ----------------------------------------------------------------------------------

    def _topics_job(self) -> Workload:
        topics_file = "/etc/dictamesh/topics.txt"
        script = (
            "set -eu\n"
            f"while read -r topic; do\n"
            f"  kafka-topics --bootstrap-server {self.endpoints.kafka} --create --if-not-exists "
            '--topic "$topic" --partitions 1 --replication-factor 1\n'
            f"done < {topics_file}\n"
        )
        return Workload(
            name=TOPICS_JOB,
            component="sentry-bootstrap",
            image=self._args.images.kafka,
            run_as=KAFKA_USER,
            resources=self._args.resources.bootstrap,
            kind="job",
            command=["bash", "-c", script],
            files={topics_file: "\n".join(topology.TOPICS) + "\n"},
            deadline_seconds=600,
        )

    def _snuba_job(self, name: str) -> Workload:
        """Snuba's own topics, then every ClickHouse migration; both skip what is already done."""
        return self._snuba_workload(
            name,
            "sentry-bootstrap",
            kind="job",
            script=f"{WITH_SNUBA_SECRETS} && snuba bootstrap --force --no-migrate "
            "&& exec snuba migrations migrate --force",
            deadline_seconds=1800,
        )

    def _sentry_job(self, name: str, args: Sequence[str]) -> Workload:
        return self._sentry_workload(name, "sentry-bootstrap", kind="job", args=args, deadline_seconds=3600)

    def _admin_job(self) -> Workload:
        """createuser with --force-update: it creates the admin or resets its password to the generated one."""
        password_file = f"{SECRETS_DIR}/admin-password"
        script = (
            'exec sentry createuser --email "$SENTRY_ADMIN_EMAIL" --password "$(cat '
            f'{password_file})" --superuser --no-input --force-update'
        )
        workload = self._sentry_workload(
            ADMIN_JOB, "sentry-bootstrap", kind="job", command=["bash", "-c", script], deadline_seconds=600
        )
        return dataclasses.replace(
            workload,
            env={**workload.env, "SENTRY_ADMIN_EMAIL": self._args.admin_email},
            secrets={**workload.secrets, password_file: self.admin_password},
        )

    # -- services -----------------------------------------------------------------------------------

    def _services(
        self, relay_credentials: pulumi.Output[str], redis_password: pulumi.Output[str], steps: list[pulumi.Resource]
    ) -> None:
        args, images = self._args, self._args.images
        self._deploy(
            self._snuba_workload(
                topology.SNUBA_API.name,
                "sentry-snuba",
                args=["api"],
                ports=[Port("http", topology.SNUBA_PORT)],
                probe=Probe(
                    command=["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{topology.SNUBA_PORT}/health"],
                    http_path="/health",
                    http_port=topology.SNUBA_PORT,
                ),
                clients=[*SENTRY_PROCESSES, *SENTRY_JOBS],
            ),
            steps,
        )
        for consumer in topology.SNUBA_CONSUMERS:
            self._deploy(
                self._snuba_workload(consumer.name, "sentry-snuba", args=consumer.args, probe=HEALTH_FILE_PROBE),
                steps,
            )
        self._deploy(
            Workload(
                name=topology.TASKBROKER.name,
                component="sentry-tasks",
                image=images.taskbroker,
                run_as=TASKBROKER_USER,
                resources=args.resources.taskbroker,
                env={
                    "TASKBROKER_KAFKA_CLUSTERS__DEFAULT__ADDRESS": self.endpoints.kafka,
                    "TASKBROKER_DB_PATH": "/opt/sqlite/taskbroker-activations.sqlite",
                },
                ports=[Port("grpc", topology.TASKBROKER_PORT)],
                volumes={"data": Volume("/opt/sqlite", args.storage.taskbroker)},
                probe=Probe(command=["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{topology.TASKBROKER_PORT}"]),
                clients=[topology.TASKWORKER.name],
            ),
            steps,
        )
        self._deploy(
            Workload(
                name=topology.SYMBOLICATOR.name,
                component="sentry-symbolicator",
                image=images.symbolicator,
                run_as=SYMBOLICATOR_USER,
                resources=args.resources.symbolicator,
                args=["run", "-c", service_config.SYMBOLICATOR_CONFIG],
                files={service_config.SYMBOLICATOR_CONFIG: service_config.symbolicator_config()},
                ports=[Port("http", topology.SYMBOLICATOR_PORT)],
                volumes={"cache": Volume(service_config.SYMBOLICATOR_CACHE, args.storage.symbolicator)},
                probe=Probe(
                    command=["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{topology.SYMBOLICATOR_PORT}"],
                    http_path="/healthcheck",
                    http_port=topology.SYMBOLICATOR_PORT,
                ),
                clients=SENTRY_PROCESSES,
            ),
            steps,
        )
        web = self._deploy(
            self._sentry_workload(
                topology.WEB.name,
                "sentry-web",
                args=["run", "web"],
                ports=[Port("http", topology.WEB_PORT)],
                probe=Probe(
                    command=["bash", "-c", WEB_CHECK],
                    http_path="/_health/",
                    http_port=topology.WEB_PORT,
                    startup_seconds=300,
                ),
                clients=[topology.NGINX.name, topology.RELAY.name, topology.SYMBOLICATOR.name],
            ),
            steps,
        )
        worker_args = [
            "run",
            "taskworker",
            f"--concurrency={args.taskworker_concurrency}",
            f"--rpc-host={self._runtime.endpoint(topology.TASKBROKER.name, topology.TASKBROKER_PORT)}",
            "--num-brokers=1",
            f"--health-check-file-path={HEALTH_FILE}",
        ]
        self._deploy(
            self._sentry_workload(
                topology.TASKWORKER.name,
                "sentry-tasks",
                args=worker_args,
                probe=HEALTH_FILE_PROBE,
            ),
            steps,
        )
        self._deploy(
            self._sentry_workload(
                topology.TASKSCHEDULER.name,
                "sentry-tasks",
                args=["run", "taskworker-scheduler"],
                probe=Probe(command=["python3", "-c", PROCESS_RUNS]),
            ),
            steps,
        )
        for consumer in topology.SENTRY_CONSUMERS:
            self._deploy(
                self._sentry_workload(consumer.name, "sentry-consumer", args=consumer.args, probe=HEALTH_FILE_PROBE),
                steps,
            )
        relay_dir = service_config.RELAY_DIR
        redis_url = redis_password.apply(
            lambda pw: f"redis://:{pw}@{self._runtime.endpoint('sentry-redis', topology.REDIS_PORT)}"
        )
        relay = self._deploy(
            Workload(
                name=topology.RELAY.name,
                component="sentry-relay",
                image=images.relay,
                run_as=RELAY_USER,
                resources=args.resources.relay,
                args=["--config", relay_dir, "run"],
                secrets={
                    f"{relay_dir}/config.yml": redis_url.apply(
                        lambda url: service_config.relay_config(self.endpoints.web + "/", self.endpoints.kafka, url)
                    ),
                    f"{relay_dir}/credentials.json": relay_credentials,
                },
                ports=[Port("http", topology.RELAY_PORT)],
                # distroless: no shell, no HTTP client; Kubernetes asks its HTTP health endpoint
                probe=Probe(command=(), http_path="/api/relay/healthcheck/ready/", http_port=topology.RELAY_PORT),
                clients=["*"],  # SDKs anywhere in the namespace send their events here
            ),
            web,
        )
        self._deploy(
            Workload(
                name=topology.NGINX.name,
                component="sentry-nginx",
                image=images.nginx,
                run_as=NGINX_USER,
                resources=args.resources.nginx,
                command=["nginx", "-c", service_config.NGINX_CONFIG],
                files={
                    service_config.NGINX_CONFIG: service_config.nginx_conf(
                        self._runtime.endpoint(topology.WEB.name, topology.WEB_PORT),
                        self._runtime.endpoint(topology.RELAY.name, topology.RELAY_PORT),
                    )
                },
                ports=[Port("http", topology.NGINX_PORT, host_port=args.host_port)],
                probe=Probe(
                    command=[
                        "wget",
                        "-q",
                        "-O",
                        "/dev/null",
                        f"http://127.0.0.1:{topology.NGINX_PORT}{service_config.NGINX_HEALTH}",
                    ],
                    http_path=service_config.NGINX_HEALTH,
                    http_port=topology.NGINX_PORT,
                ),
                clients=["*"],
            ),
            [*web, *relay],
        )

    # -- workload shapes ----------------------------------------------------------------------------

    def _sentry_workload(
        self,
        name: str,
        component: str,
        *,
        args: Sequence[str] = (),
        command: Sequence[str] = (),
        probe: Probe | None = None,
        ports: Sequence[Port] = (),
        clients: Sequence[str] = (),
        kind: Kind = "service",
        deadline_seconds: int | None = None,
    ) -> Workload:
        """A process of the Sentry image: the generated config, its secrets, and /data for its scratch."""
        size = self._args.resources
        service = next((s for s in topology.SERVICES if s.name == name), None)
        return Workload(
            name=name,
            component=component,
            image=self._args.images.sentry,
            run_as=SENTRY_USER,
            resources=getattr(size, service.size) if service else size.bootstrap,
            kind=kind,
            command=command,
            args=args,
            env={"SENTRY_CONF": CONFIG_DIR, "PYTHONUSERBASE": "/data/custom-packages"},
            files=self._sentry_files,
            secrets=self._sentry_secrets,
            ports=ports,
            scratch=["/tmp", "/data"],
            probe=probe,
            clients=clients,
            deadline_seconds=deadline_seconds,
        )

    def _snuba_workload(
        self,
        name: str,
        component: str,
        *,
        args: Sequence[str] = (),
        script: str | None = None,
        probe: Probe | None = None,
        ports: Sequence[Port] = (),
        clients: Sequence[str] = (),
        kind: Kind = "service",
        deadline_seconds: int | None = None,
    ) -> Workload:
        """A process of the snuba image, `args` to `snuba` (or a `script`), its passwords exported from files."""
        size = self._args.resources
        return Workload(
            name=name,
            component=component,
            image=self._args.images.snuba,
            run_as=SNUBA_USER,
            resources=size.snuba_api if ports else size.bootstrap if kind == "job" else size.snuba_consumer,
            kind=kind,
            command=["bash", "-c", script]
            if script
            else ["bash", "-c", f'{WITH_SNUBA_SECRETS} && exec snuba "$@"', "snuba"],
            args=args,
            env={
                "SNUBA_SETTINGS": "self_hosted",
                "CLICKHOUSE_HOST": self._runtime.address("sentry-clickhouse"),
                "CLICKHOUSE_PORT": str(topology.CLICKHOUSE_NATIVE_PORT),
                "CLICKHOUSE_HTTP_PORT": str(topology.CLICKHOUSE_HTTP_PORT),
                "CLICKHOUSE_USER": datastore_config.CLICKHOUSE_USER,
                "DEFAULT_BROKERS": self.endpoints.kafka,
                "REDIS_HOST": self.endpoints.redis,
                "REDIS_PORT": str(self.endpoints.redis_port),
                "REDIS_DB": "1",
                "UWSGI_MAX_REQUESTS": "10000",
                "UWSGI_DISABLE_LOGGING": "true",
                "SENTRY_EVENT_RETENTION_DAYS": str(self._args.event_retention_days),
            },
            secrets=self._snuba_secrets,
            ports=ports,
            probe=probe,
            clients=clients,
            deadline_seconds=deadline_seconds,
        )
