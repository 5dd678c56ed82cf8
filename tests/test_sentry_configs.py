"""Sentry's generated config files, parsed by their real parsers, and the event path they set up together."""

import hashlib
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from components.model import SECRETS_DIR
from components.quantity import memory_bytes
from components.sentry import datastore_config, service_config, topology
from tests.harness import Recording, run_stack, stack_config
from tests.sentry import container, env, run_sentry_conf, uploads
from tests.test_exposure import INGRESS_MODE

CONF = "/etc/sentry/sentry.conf.py"
CONFIG_YML = "/etc/sentry/config.yml"


def web_settings(recording: Recording) -> dict[str, Any]:
    files = uploads(recording, "sentry-web")
    return run_sentry_conf(files[CONF], files)


def test_sentry_conf_runs_and_reads_every_secret_from_its_file(stacks: dict[str, Recording]) -> None:
    files = uploads(stacks["dev"], "sentry-web")
    settings = run_sentry_conf(files[CONF], files)
    secret = files[f"{SECRETS_DIR}/sentry-secret-key"]
    assert secret == stacks["dev"].generated["sentry-secret-key.result"]  # the generated password, not a literal
    assert settings["SENTRY_OPTIONS"]["system.secret-key"] == secret
    database = settings["DATABASES"]["default"]
    assert database == {
        "ENGINE": "sentry.db.postgres",
        "NAME": "sentry",
        "USER": "sentry",
        "PASSWORD": files[f"{SECRETS_DIR}/postgres-password"],
        "HOST": "sentry-postgres",
        "PORT": "5432",
    }
    redis = settings["SENTRY_OPTIONS"]["redis.clusters"]["default"]["hosts"][0]
    assert (redis["host"], redis["port"]) == ("sentry-redis", 6379)
    assert redis["password"] == files[f"{SECRETS_DIR}/redis-password"]
    assert settings["KAFKA_CLUSTERS"]["default"]["bootstrap.servers"] == "sentry-kafka:9092"
    assert settings["SENTRY_RELAY_WHITELIST_PK"] == [files[f"{SECRETS_DIR}/relay-public-key"]]
    filestore = settings["SENTRY_OPTIONS"]["filestore.options"]
    assert filestore["secret_key"] == files[f"{SECRETS_DIR}/objectstore-secret-key"]
    assert settings["SENTRY_SELF_HOSTED_ERRORS_ONLY"] is True
    # the files hold no secret themselves: each comes from a mounted file
    for path in (CONF, CONFIG_YML):
        assert not stacks["dev"].leaks(files[path]), path


def test_a_missing_secret_file_stops_sentry_at_import() -> None:
    recording = run_stack("dev")
    files = uploads(recording, "sentry-web")
    without_key = {path: text for path, text in files.items() if not path.endswith("sentry-secret-key")}
    with pytest.raises(FileNotFoundError, match="sentry-secret-key"):
        run_sentry_conf(files[CONF], without_key)


def test_config_yml_carries_the_url_prefix_and_admin(stacks: dict[str, Recording]) -> None:
    options = yaml.safe_load(uploads(stacks["dev"], "sentry-web")[CONFIG_YML])
    assert options["system.url-prefix"] == "http://127.0.0.1:9000"
    assert options["system.internal-url-prefix"] == "http://sentry-web:9000"
    assert options["system.admin-email"] == "admin@dictamesh.local"
    assert options["mail.backend"] == "dummy"  # SMTP is off until configured
    assert options["symbolicator.options"] == {"url": "http://sentry-symbolicator:3021"}


def test_a_configured_url_and_smtp_reach_the_files() -> None:
    recording = run_stack(
        "dev",
        {
            "dictamesh:sentry": {
                "urlPrefix": "https://sentry.example.com",
                "smtp": {"host": "smtp.example.com", "username": "s", "password": "p", "sender": "s@example.com"},
            }
        },
    )
    files = uploads(recording, "sentry-web")
    options = yaml.safe_load(files[CONFIG_YML])
    assert options["system.url-prefix"] == "https://sentry.example.com"
    assert (options["mail.backend"], options["mail.host"], options["mail.port"]) == ("smtp", "smtp.example.com", 587)
    settings = run_sentry_conf(files[CONF], files)
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://sentry.example.com"]
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SENTRY_OPTIONS"]["mail.password"] == "p"  # from its secret file
    assert "mail.password" not in options


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_on_kubernetes_the_url_prefix_is_the_exposed_url_else_the_in_cluster_front_door(stack: str) -> None:
    def url_prefix(recording: Recording) -> str:
        files = recording.one("kubernetes:core/v1:ConfigMap", "sentry-web-files").inputs["data"]
        prefix: str = yaml.safe_load(files["config.yml"])["system.url-prefix"]
        return prefix

    kubernetes = yaml.safe_load(stack_config(stack)["dictamesh:kubernetes"])
    exposure = {**INGRESS_MODE, "uis": ["sentry"], "hosts": {}}
    exposed = run_stack(stack, {"dictamesh:kubernetes": {**kubernetes, "exposure": exposure}})
    assert url_prefix(exposed) == "https://sentry.dictamesh.example.com"
    assert exposed.outputs["sentry"]["url"] == "https://sentry.dictamesh.example.com"
    assert url_prefix(run_stack(stack)) == f"http://sentry-nginx.dictamesh-{stack}.svc.cluster.local:8080"


def test_clickhouse_xml_parses_and_caps_memory_below_the_limit() -> None:
    root = ET.fromstring(datastore_config.clickhouse_config("768Mi").encode())  # noqa: S314 - our own output
    assert root.tag == "clickhouse"
    assert int(root.findtext("max_server_memory_usage") or 0) == memory_bytes("768Mi") * 8 // 10
    assert root.findtext("tcp_port") == "9000" and root.findtext("http_port") == "8123"
    assert root.find("prometheus/port") is not None and root.findtext("prometheus/port") == "9363"
    assert root.find("query_log").attrib == {"remove": "1"}  # type: ignore[union-attr]
    # self-hosted's (#2832): an unclean stop's broken parts are set aside, not a refusal to start past 10
    assert root.findtext("merge_tree/max_suspicious_broken_parts") == "100"


def test_nginx_buffers_as_upstream_does() -> None:
    conf = service_config.nginx_conf("sentry-web:9000", "sentry-relay:3000")
    assert "proxy_buffer_size 128k;" in conf and "proxy_buffers 4 256k;" in conf
    assert "proxy_busy_buffers_size 256k;" in conf and "proxy_buffering" not in conf  # removed upstream (#2844)


def test_clickhouse_users_hold_only_a_digest_of_the_password() -> None:
    text = datastore_config.clickhouse_users("s3cret")
    user = ET.fromstring(text.encode()).find("users/default")  # noqa: S314 - our own output
    assert user is not None
    assert user.findtext("password_sha256_hex") == hashlib.sha256(b"s3cret").hexdigest()
    assert user.find("password").attrib == {"remove": "1"}  # type: ignore[union-attr]
    assert "s3cret" not in text


def test_relay_and_symbolicator_configs_parse(stacks: dict[str, Recording]) -> None:
    relay = yaml.safe_load(uploads(stacks["dev"], "sentry-relay")["/etc/relay/config.yml"])
    assert relay["relay"]["mode"] == "managed" and relay["processing"]["enabled"] is True
    credentials = yaml.safe_load(uploads(stacks["dev"], "sentry-relay")["/etc/relay/credentials.json"])
    assert set(credentials) == {"secret_key", "public_key", "id"}
    symbolicator = yaml.safe_load(uploads(stacks["dev"], "sentry-symbolicator")["/etc/symbolicator/config.yml"])
    assert symbolicator["bind"] == "0.0.0.0:3021" and symbolicator["cache_dir"] == "/data"


def test_the_event_path_is_consistent_across_the_generated_configs(stacks: dict[str, Recording]) -> None:
    """SDK -> relay -> Kafka -> ingest consumers -> events -> snuba -> ClickHouse, read from what is deployed."""
    recording = stacks["dev"]
    relay = yaml.safe_load(uploads(recording, "sentry-relay")["/etc/relay/config.yml"])
    web = web_settings(recording)
    # relay's upstream is the web, on the port the web serves
    upstream = urlsplit(relay["relay"]["upstream"])
    assert (upstream.hostname, upstream.port) == ("sentry-web", web["SENTRY_WEB_PORT"])
    # relay's Kafka is Sentry's Kafka, and the broker advertises that very address
    kafka = {option["name"]: option["value"] for option in relay["processing"]["kafka_config"]}
    sentry_kafka = web["KAFKA_CLUSTERS"]["default"]["bootstrap.servers"]
    assert kafka["bootstrap.servers"] == sentry_kafka
    assert env(recording, "sentry-kafka")["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{sentry_kafka}"
    for service in (*topology.SNUBA_CONSUMERS, topology.SNUBA_API):
        assert env(recording, service.name)["DEFAULT_BROKERS"] == sentry_kafka, service.name
    assert env(recording, "sentry-taskbroker")["TASKBROKER_KAFKA_CLUSTERS__DEFAULT__ADDRESS"] == sentry_kafka
    # every topic relay writes exists before anything starts, and the ingest consumers read relay's topics
    created = set(uploads(recording, "sentry-kafka-topics")["/etc/dictamesh/topics.txt"].split())
    assert "topics" not in relay["processing"]  # relay's defaults, as upstream's config leaves them
    topics = topology.RELAY_TOPICS
    assert set(topics.values()) <= created
    consumed = {consumer_name(recording, c.name): c.name for c in topology.SENTRY_CONSUMERS}
    assert consumed[topics["events"]] == "sentry-events-consumer"
    assert consumed[topics["attachments"]] == "sentry-attachments-consumer"
    # snuba and the post-process forwarder follow the commit log snuba writes, on the same Kafka
    forwarder = container_args(recording, "sentry-post-process-forwarder")
    assert "--synchronize-commit-log-topic=snuba-commit-log" in forwarder and "snuba-commit-log" in created
    # snuba's consumers read the same Redis and ClickHouse as snuba-api
    api = env(recording, "sentry-snuba-api")
    for consumer in topology.SNUBA_CONSUMERS:
        mine = env(recording, consumer.name)
        assert (mine["CLICKHOUSE_HOST"], mine["REDIS_HOST"]) == (api["CLICKHOUSE_HOST"], api["REDIS_HOST"])
    assert {c.topic for c in (*topology.SNUBA_CONSUMERS, *topology.SENTRY_CONSUMERS)} <= created


def container_args(recording: Recording, workload: str) -> list[str]:
    return list(container(recording, workload).inputs.get("command") or [])


def consumer_name(recording: Recording, workload: str) -> str:
    """The consumer a `sentry run consumer <name>` process runs: for ingest, named after its topic."""
    args = container_args(recording, workload)
    return args[args.index("consumer") + 1]


def test_relays_kafka_parameters_are_strings_as_relay_reads_them(stacks: dict[str, Recording]) -> None:
    relay = yaml.safe_load(uploads(stacks["dev"], "sentry-relay")["/etc/relay/config.yml"])
    assert all(isinstance(option["value"], str) for option in relay["processing"]["kafka_config"])
