"""Sentry's workloads held to what the pinned images and self-hosted 26.8.0 really do (issue 19).

Facts from getsentry/self-hosted 26.8.0 (docker-compose.yml, taskbroker/config.yml), getsentry/symbolicator
26.8.0 (Dockerfile: distroless cc-debian12:nonroot, ENTRYPOINT /bin/symbolicator, no shell) and
confluentinc/kafka-images v7.6.11-15 (its kafka/ files are v7.6.6's) with Kafka's kafka-run-class.sh (the -loggc
file under LOG_DIR).
"""

import yaml

from components.sentry import topology
from tests.harness import Recording
from tests.sentry import container, env, uploads
from tests.test_sentry_configs import web_settings


def command(recording: Recording, name: str) -> list[str]:
    inputs = container(recording, name).inputs
    return [*inputs.get("entrypoints", []), *inputs.get("command", [])]


def test_taskbroker_reads_its_topics_from_the_releases_config_file(stacks: dict[str, Recording]) -> None:
    """With only the cluster address set, taskbroker exits: "kafka_clusters is set but kafka_topics is empty"."""
    recording = stacks["dev"]
    assert command(recording, "sentry-taskbroker") == ["/opt/taskbroker", "-c", "/etc/taskbroker/config.yml"]
    config = yaml.safe_load(uploads(recording, "sentry-taskbroker")["/etc/taskbroker/config.yml"])
    topics = config["kafka_topics"]
    assert (config["kafka_deadletter_topic"], config["kafka_retry_topic"]) == ("taskworker-dlq", "taskworker")
    assert topics["taskworker-dlq"] == {"cluster": "default", "consumer_group": "taskworker", "produce_only": True}
    events = topics["events-subscription-results"]["raw"]
    assert events["taskname"] == "sentry.snuba.query_subscriptions.run.process_events_subscription_from_kafka"
    assert {"taskworker", "events-subscription-results"} <= set(topology.TOPICS)  # the topics job creates them


def test_the_taskworker_names_its_broker_without_a_broker_count(stacks: dict[str, Recording]) -> None:
    """--num-brokers=1 makes the worker dial `<rpc-host>-0`, a name that never resolves."""
    deployment = stacks["staging"].one("kubernetes:apps/v1:Deployment", "sentry-taskworker").inputs
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert not [arg for arg in args if arg.startswith("--num-brokers")]
    assert "--rpc-host=sentry-taskbroker.dictamesh-staging.svc.cluster.local:50051" in args
    assert "--max-child-task-count=10000" in args


def test_symbolicator_runs_as_distroless_nonroot_and_checks_itself(stacks: dict[str, Recording]) -> None:
    inputs = container(stacks["dev"], "sentry-symbolicator").inputs
    assert inputs["user"] == "65532:65532"
    probe = inputs["healthcheck"]["tests"]
    assert probe == ["CMD", "/bin/symbolicator", "healthcheck", "-c", "/etc/symbolicator/config.yml"]  # no shell


def test_kafka_writes_no_gc_log_file_and_no_trace_logs(stacks: dict[str, Recording]) -> None:
    kafka = env(stacks["dev"], "sentry-kafka")
    gc = kafka["KAFKA_GC_LOG_OPTS"]
    assert gc.startswith("-Xlog:gc") and "file=" not in gc  # set, so kafka-run-class adds no -Xlog file
    loggers = dict(item.split("=") for item in kafka["KAFKA_LOG4J_LOGGERS"].split(","))
    assert loggers["state.change.logger"] == "WARN" and loggers["kafka.controller"] == "WARN"
    assert "TRACE" not in kafka["KAFKA_LOG4J_LOGGERS"]


def test_every_consumer_survives_slow_batches_and_lost_offsets(stacks: dict[str, Recording]) -> None:
    """As upstream: 5 minutes between polls, and a reset instead of a crash on an out-of-range offset."""
    recording = stacks["dev"]
    for consumer in (*topology.SNUBA_CONSUMERS, *topology.SENTRY_CONSUMERS):
        args = command(recording, consumer.name)
        assert "--no-strict-offset-reset" in args, consumer.name
        scheduler = "subscriptions-scheduler-executor" in args  # upstream gives it no poll interval
        assert ("--max-poll-interval-ms=300000" in args) is not scheduler, consumer.name


def test_relay_stays_alive_while_the_web_is_down_and_nginx_is_probed_itself(stacks: dict[str, Recording]) -> None:
    """relay's readiness needs the web; as liveness it would restart relay whenever the web is away."""
    recording = stacks["prod"]

    def probes(name: str) -> dict[str, object]:
        spec = recording.one("kubernetes:apps/v1:Deployment", name).inputs["spec"]["template"]["spec"]
        containers: list[dict[str, object]] = spec["containers"]
        return containers[0]

    relay = probes("sentry-relay")
    assert relay["readinessProbe"]["httpGet"]["path"] == "/api/relay/healthcheck/ready/"  # type: ignore[index]
    assert relay["livenessProbe"]["tcpSocket"] == {"port": 3000}  # type: ignore[index]
    nginx = probes("sentry-nginx")
    assert nginx["readinessProbe"]["httpGet"]["path"] == "/nginx-health"  # type: ignore[index]


def test_sentry_turns_on_the_releases_errors_features(stacks: dict[str, Recording]) -> None:
    settings = web_settings(stacks["dev"])
    features = settings["SENTRY_FEATURES"]
    for feature in ("organizations:incidents", "organizations:discover", "organizations:monitors",
                    "organizations:issue-views", "organizations:invite-members", "projects:rate-limits"):  # fmt: skip
        assert features[feature] is True, feature
    assert features["projects:sample-events"] is False and features["auth:register"] is False
    assert "organizations:performance-view" not in features  # needs the feature-complete processes


def test_clickhouses_password_hash_is_in_a_secret_not_a_config_map(stacks: dict[str, Recording]) -> None:
    """Whoever reads ConfigMaps could take a password's SHA-256 offline."""
    recording = stacks["staging"]
    config_map = recording.one("kubernetes:core/v1:ConfigMap", "sentry-clickhouse-files").inputs["data"]
    secret = recording.one("kubernetes:core/v1:Secret", "sentry-clickhouse-secrets")
    assert "dictamesh-users.xml" not in config_map and "password_sha256_hex" not in str(config_map)
    assert "password_sha256_hex" in secret.inputs["stringData"]["dictamesh-users.xml"]
    assert secret.is_secret("stringData.dictamesh-users.xml")


def test_symbolicator_may_fetch_symbols_over_https(stacks: dict[str, Recording]) -> None:
    policy = stacks["staging"].one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "sentry-symbolicator-egress")
    ports = [port["port"] for rule in policy.inputs["spec"]["egress"] for port in rule.get("ports", [])]
    assert 443 in ports


def test_symbolicator_cleans_its_cache_every_hour(stacks: dict[str, Recording]) -> None:
    """Upstream runs `cleanup --repeat 1h` beside it; without either the cache volume fills for good."""
    config = yaml.safe_load(uploads(stacks["dev"], "sentry-symbolicator")["/etc/symbolicator/config.yml"])
    assert config["enable_cache_cleanup"] is True and config["cache_cleanup_interval"] == "1h"
    assert config["cache_dir"] == "/data"  # the volume


def test_the_eap_items_subscription_executor_runs_as_in_every_upstream_profile(stacks: dict[str, Recording]) -> None:
    args = command(stacks["dev"], "sentry-snuba-subscription-consumer-eap-items")
    executor = args[args.index("subscriptions-scheduler-executor") :]
    assert executor[1:3] == ["--dataset=events_analytics_platform", "--entity=eap_items"]
    assert "--followed-consumer-group=eap_items_group" in executor
    # snuba's eap_items stream: the commit log it follows and the topics it schedules and reports to
    assert {"snuba-items-commit-log", "scheduled-subscriptions-eap-items", "subscription-results-eap-items"} <= set(
        topology.TOPICS
    )


def test_clickhouse_runs_without_the_watchdog_the_skipped_entrypoint_turns_off(stacks: dict[str, Recording]) -> None:
    """The image's entrypoint sets CLICKHOUSE_WATCHDOG_ENABLE=0; running the server directly must keep it."""
    assert env(stacks["dev"], "sentry-clickhouse")["CLICKHOUSE_WATCHDOG_ENABLE"] == "0"


def test_sentrys_postgres_stops_fast_on_kubernetes_and_has_upstreams_shared_memory(
    stacks: dict[str, Recording],
) -> None:
    """postgres:14's STOPSIGNAL is SIGINT; Kubernetes sends SIGTERM, which waits for Sentry's pooled sessions."""
    spec = stacks["prod"].one("kubernetes:apps/v1:StatefulSet", "sentry-postgres").inputs["spec"]["template"]["spec"]
    server = spec["containers"][0]
    assert server["lifecycle"]["preStop"]["exec"]["command"][:3] == ["pg_ctl", "stop", "--mode=fast"]
    assert {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"} in server["env"]  # pg_ctl's -D
    shm = next(volume for volume in spec["volumes"] if volume["name"] == "shm")
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "256Mi"}  # self-hosted 26.8.0: shm_size 256m
    assert container(stacks["dev"], "sentry-postgres").inputs["shmSize"] == 256


def test_the_debug_and_release_file_caches_sit_on_the_data_scratch_not_beside_the_health_files(
    stacks: dict[str, Recording],
) -> None:
    """As upstream's config.example.yml; Sentry's defaults are under /tmp."""
    options = yaml.safe_load(uploads(stacks["dev"], "sentry-web")["/etc/sentry/config.yml"])
    assert options["dsym.cache-path"] == "/data/dsym-cache"
    assert options["releasefile.cache-path"] == "/data/releasefile-cache"
    spec = stacks["prod"].one("kubernetes:apps/v1:Deployment", "sentry-web").inputs["spec"]["template"]["spec"]
    assert "/data" in {mount["mountPath"] for mount in spec["containers"][0]["volumeMounts"]}


# releases self-hosted's main branch moved off after 26.8.0, and why
LEFT_BEHIND = {
    "postgres:14.23-bookworm": "recovery could deadlock replaying WAL an older minor release wrote (fixed in 14.24)",
    "confluentinc/cp-kafka:7.6.6": "Jetty, Netty and Bouncy Castle before 7.6.9's security updates",
}


def test_no_stack_runs_a_release_self_hosted_left_for_a_defect(stacks: dict[str, Recording]) -> None:
    pinned = {workload.image for recording in stacks.values() for workload in recording.workloads}
    assert {image: LEFT_BEHIND[image] for image in pinned & set(LEFT_BEHIND)} == {}
