"""Sentry: self-hosted error tracking, the errors-only set of getsentry/self-hosted release 26.8.0.

Services (topology.py): web, taskbroker, taskworker, taskscheduler, the events and attachments
consumers, the errors post-process forwarder, snuba-api with its errors, outcomes, outcomes-billing,
group-attributes, replacer and events-subscription consumers, relay, symbolicator and nginx in front;
its own PostgreSQL, Valkey, Kafka (KRaft), ClickHouse, memcached and a SeaweedFS S3 store for files.
Nothing is shared with the platform's catalog, cache or event bus.

Bootstrap, in order, once the datastores are healthy: Kafka topics, `snuba bootstrap` and its
migrations, `sentry upgrade --noinput`, then the admin user. Each is idempotent and runs again when
its image changes; every Sentry service starts after the last of them.

Where we depart from upstream, and why: we build no images (upstream adds the S3 nodestore plugin to
its own Sentry image), so event payloads stay in PostgreSQL (Sentry's Django nodestore) and files go
to S3 through Sentry's built-in S3 filestore; SMTP is an outside server, not the exim container.
"""

from collections.abc import Sequence

import pulumi

from components.model import SECRETS_DIR, Route, Runtime, ScrapeTarget, Telemetry, WebUi, Workload
from components.secrets import generated_password
from components.sentry import bootstrap, service_config, services, topology
from components.sentry.datastores import datastores
from components.sentry.processes import SNUBA_SECRETS, Processes
from components.sentry.relay_credentials import relay_credentials
from components.sentry.sentry_config import CONFIG_DIR, SECRET_FILES, Endpoints, config_yml, sentry_conf_py
from components.sentry.settings import SentrySettings

PASSWORDS = ("secret-key", "postgres-password", "redis-password", "clickhouse-password", "objectstore-secret-key")


class Sentry(pulumi.ComponentResource):
    url: str
    admin_email: str
    admin_password: pulumi.Output[str]
    relay_endpoint: str
    telemetry: Telemetry
    uis: list[WebUi]

    def __init__(
        self, name: str, args: SentrySettings, runtime: Runtime, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dictamesh:sentry:Sentry", name, None, opts)
        self._runtime = runtime
        password = {key: generated_password(f"{name}-{key}", self) for key in PASSWORDS}
        self.admin_password = generated_password(f"{name}-admin-password", self)
        relay = relay_credentials(name, self)
        published = runtime.published(services.front_door(args))
        front_door = f"http://{published}" if published else self._url(topology.NGINX.name, topology.NGINX_PORT)
        self.url = (args.url_prefix or runtime.public_url("sentry") or front_door).rstrip("/")
        endpoints = Endpoints(
            postgres=runtime.address("sentry-postgres"),
            postgres_port=topology.POSTGRES_PORT,
            redis=runtime.address("sentry-redis"),
            redis_port=topology.REDIS_PORT,
            kafka=runtime.endpoint("sentry-kafka", topology.KAFKA_PORT),
            memcached=runtime.endpoint("sentry-memcached", topology.MEMCACHED_PORT),
            snuba=self._url(topology.SNUBA_API.name, topology.SNUBA_PORT),
            symbolicator=self._url(topology.SYMBOLICATOR.name, topology.SYMBOLICATOR_PORT),
            objectstore=self._url("sentry-objectstore", topology.OBJECTSTORE_PORT),
            web=self._url(topology.WEB.name, topology.WEB_PORT),
        )
        sentry_secrets = {
            SECRET_FILES["relay_public_key"]: relay.public_key,
            SECRET_FILES["secret_key"]: password["secret-key"],
            SECRET_FILES["postgres"]: password["postgres-password"],
            SECRET_FILES["redis"]: password["redis-password"],
            SECRET_FILES["objectstore"]: password["objectstore-secret-key"],
        }
        if args.smtp and args.smtp.password:
            sentry_secrets[SECRET_FILES["smtp"]] = pulumi.Output.secret(args.smtp.password)
        processes = Processes(
            settings=args,
            endpoints=endpoints,
            clickhouse=runtime.address("sentry-clickhouse"),
            sentry_files={
                f"{CONFIG_DIR}/config.yml": config_yml(args, self.url, endpoints),
                f"{CONFIG_DIR}/sentry.conf.py": sentry_conf_py(args, self.url, endpoints),
            },
            sentry_secrets=sentry_secrets,
            snuba_secrets={f"{SECRETS_DIR}/{file}": password[file] for file in sorted(set(SNUBA_SECRETS.values()))},
        )

        ready = {
            store.name: self._deploy(store) for store in datastores(args, runtime.address("sentry-kafka"), password)
        }
        topics = self._deploy(bootstrap.topics_job(args, endpoints.kafka), ready["sentry-kafka"])
        snuba = self._deploy(
            bootstrap.snuba_job(processes), [*ready["sentry-clickhouse"], *ready["sentry-redis"], *topics]
        )
        needs = ("sentry-postgres", "sentry-redis", "sentry-memcached", "sentry-objectstore")
        upgrade = self._deploy(
            bootstrap.upgrade_job(processes), [*(r for store in needs for r in ready[store]), *snuba]
        )
        # nothing of Sentry starts before its schema and its admin exist
        steps = self._deploy(bootstrap.admin_job(processes, args.admin_email, self.admin_password), upgrade)

        if args.cleanup_schedule:
            self._deploy(bootstrap.cleanup_job(processes, args.cleanup_schedule), steps)
        self._deploy(services.snuba_api(processes), steps)
        for consumer in topology.SNUBA_CONSUMERS:
            self._deploy(services.snuba_consumer(processes, consumer), steps)
        self._deploy(services.taskbroker(args, endpoints.kafka), steps)
        self._deploy(services.symbolicator(args), steps)
        web = self._deploy(services.web(processes), steps)
        broker = runtime.endpoint(topology.TASKBROKER.name, topology.TASKBROKER_PORT)
        self._deploy(services.taskworker(processes, broker), steps)
        self._deploy(services.taskscheduler(processes), steps)
        for consumer in topology.SENTRY_CONSUMERS:
            self._deploy(services.sentry_consumer(processes, consumer), steps)
        redis = runtime.endpoint("sentry-redis", topology.REDIS_PORT)
        relay_config = password["redis-password"].apply(
            lambda pw: service_config.relay_config(endpoints.web + "/", endpoints.kafka, f"redis://:{pw}@{redis}")
        )
        relay_ready = self._deploy(services.relay(args, relay_config, relay.credentials_json), [*steps, *web])
        web_address = runtime.endpoint(topology.WEB.name, topology.WEB_PORT)
        relay_address = runtime.endpoint(topology.RELAY.name, topology.RELAY_PORT)
        self._deploy(services.nginx(args, web_address, relay_address), [*web, *relay_ready])

        self.admin_email = args.admin_email
        self.relay_endpoint = self._url(topology.RELAY.name, topology.RELAY_PORT)
        self.telemetry = Telemetry(
            group="sentry",
            targets=[ScrapeTarget("sentry-clickhouse", "sentry-clickhouse", topology.CLICKHOUSE_METRICS_PORT)],
        )
        self.uis = [WebUi("sentry", [Route("/", topology.NGINX.name, topology.NGINX_PORT)], login=True)]
        self.register_outputs({"url": self.url, "admin_email": self.admin_email})

    def _url(self, workload: str, port: int) -> str:
        return f"http://{self._runtime.endpoint(workload, port)}"

    def _deploy(self, workload: Workload, depends_on: Sequence[pulumi.Resource] = ()) -> list[pulumi.Resource]:
        return self._runtime.deploy(workload, self, depends_on=depends_on)
