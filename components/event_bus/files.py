"""Broker arguments, Console config and the topic spec: what the event bus runs on."""

from collections.abc import Sequence
from importlib import resources

import yaml

from components.event_bus.settings import EventBusSettings, Topic
from components.model import CA_FILE, TLS_CA, TLS_CERT, TLS_KEY, Replica
from components.quantity import cpu_cores

KAFKA, SCHEMA_REGISTRY, HTTP_PROXY, ADMIN, RPC = 9092, 8081, 8082, 9644, 33145
# container side of the listeners published to the developer's machine
EXTERNAL = {"kafka-external": 19092, "schema-registry-external": 18081, "http-proxy-external": 18082}
SUPERUSER = "admin"
CONSOLE_USER = "dictamesh_console"  # under SASL: the Console's own login, with CONSOLE_ACLS alone
# What the Console's pages need, for the admins the login proxy lets in (Redpanda's authorizer, rpk's operation
# names): topics listed, read, produced to, created, deleted, re-partitioned and re-configured; consumer groups
# read, reset and deleted; the cluster and its configs described. Not ALTER on the cluster: that would let it
# grant itself anything. The admin API's Users and Roles pages need a superuser, which the Console is not.
CONSOLE_ACLS = (
    ("topic", "*", "read,write,create,delete,alter,alter_configs,describe,describe_configs"),
    ("group", "*", "read,delete,describe"),
    ("cluster", "", "describe,describe_configs"),
)
DATA_DIR = "/var/lib/redpanda/data"
CONFIG_DIR = "/etc/redpanda"  # rpk rewrites redpanda.yaml here on every start: a writable scratch directory
BASE_CONFIG = "/etc/dictamesh/redpanda.yaml"

# rpk falls back to built-in defaults, which have developer_mode on, when no redpanda.yaml exists, and then
# starts in dev-container mode (no fsync). Every broker therefore starts from our own file, which broker.sh
# copies into place. The copy takes the mounted file's 0444, and rpk keeps that mode when it rewrites it
# (ReplaceFile): a restarted container finds it read-only in its writable layer or emptyDir, so the copy
# replaces it (cp -f). broker.sh then runs `rpk "$@"` and drains the broker before it stops.
BROKER_SCRIPT = "/opt/dictamesh/broker.sh"
START_COMMAND = ["/bin/bash", BROKER_SCRIPT]
FOUNDERS = 3  # the seeds: a cluster's first brokers, each listed by all; later brokers join through them
LISTENER = "internal"  # the name of every in-cluster listener: its TLS entry names it too
# the brokers' certificate and the CA that signed it; clients do not present certificates (they log in)
SERVER_TLS = {
    "enabled": True,
    "cert_file": TLS_CERT,
    "key_file": TLS_KEY,
    "truststore_file": TLS_CA,
    "require_client_auth": False,
}


def admin_url(service: str | None) -> str:
    """This broker's admin API: the loopback, or under TLS (`service` given) the Service's name, which the
    certificate holds, resolved to the loopback (admin_curl)."""
    return f"http://127.0.0.1:{ADMIN}" if service is None else f"https://{service}:{ADMIN}"


def admin_curl(service: str | None) -> str:
    """curl for this broker's own admin API, verifying its certificate against the CA like every other client."""
    tls = "" if service is None else f" --cacert {TLS_CA} --resolve {service}:{ADMIN}:127.0.0.1"
    return f"curl --silent --fail --max-time 5{tls}"


def ready_check(service: str | None) -> str:
    """200 with {"status":"booting"} until the broker has joined: the body tells ready from starting."""
    return f"{admin_curl(service)} {admin_url(service)}/v1/status/ready | grep -q '\"ready\"'"


def healthy_check(service: str | None) -> str:
    """Ready, and the cluster healthy: no broker down, no partition leaderless or under-replicated (the chart's
    readiness, its sidecar's /healthz). A rolling restart moves on only then; the endpoint is public."""
    overview = f"{admin_curl(service)} {admin_url(service)}/v1/cluster/health_overview"
    return f"{ready_check(service)} && {overview} | grep -Eq '\"is_healthy\": ?true'"


def seeds(brokers: Sequence[str]) -> list[str]:
    """The founders, the same list on every broker: a broker added later joins through them, and no running
    broker's arguments change when the count does. Redpanda reads the seeds at start only."""
    return list(brokers[:FOUNDERS])


def broker_args(settings: EventBusSettings, replica: Replica, founders: Sequence[str]) -> list[str]:
    """`redpanda start` for one broker: its own advertised names, the seeds (`founders`), its size."""
    host, published = replica.host, replica.published

    def listener(port: int, external: str, authn: str = "") -> tuple[str, str]:
        bind, advertise = f"internal://0.0.0.0:{port}{authn}", f"internal://{host}:{port}"
        if external in published:
            bind += f",external://0.0.0.0:{EXTERNAL[external]}{authn}"
            advertise += f",external://localhost:{published[external]}"
        return bind, advertise

    # with SASL the HTTP APIs ask for the same SCRAM users, as HTTP basic auth (`address|method`)
    http_authn = "|http_basic" if settings.sasl else ""
    kafka_bind, kafka_advertise = listener(KAFKA, "kafka-external")
    proxy_bind, proxy_advertise = listener(HTTP_PROXY, "http-proxy-external", http_authn)
    registry_bind, _ = listener(SCHEMA_REGISTRY, "schema-registry-external", http_authn)
    args = [
        "redpanda",
        "start",
        f"--kafka-addr={kafka_bind}",
        f"--advertise-kafka-addr={kafka_advertise}",
        f"--pandaproxy-addr={proxy_bind}",
        f"--advertise-pandaproxy-addr={proxy_advertise}",
        f"--schema-registry-addr={registry_bind}",
        # bind every interface: a pod's own DNS name may not resolve yet when it starts
        f"--rpc-addr=0.0.0.0:{RPC}",
        f"--advertise-rpc-addr={host}:{RPC}",
        "--seeds=" + ",".join(f"{seed}:{RPC}" for seed in founders),
        "--default-log-level=info",
        "--reserve-memory=0M",
    ]
    if settings.dev_container:
        # no fsync, one core: a laptop's cluster
        return [*args, "--mode=dev-container", "--smp=1", f"--memory={settings.redpanda_memory_mib}M"]
    cores = max(1, int(cpu_cores(settings.resources.cpu)))
    # a pinned reactor busy-polls its core: without the static CPU manager that core is shared with other pods
    shared = [] if settings.pinned_cpus else ["--overprovisioned"]
    return [*args, f"--smp={cores}", f"--memory={settings.redpanda_memory_mib}M", *shared]


def redpanda_yaml(settings: EventBusSettings, tls_seeds: Sequence[str] = ()) -> str:
    """The node config rpk starts from; the start flags fill in the other listeners, seeds and sizes.

    `redpanda start` has no flag for the admin API, and rpk takes this file as it is: without an
    `admin` entry the node default applies, 127.0.0.1:9644, which no probe, job, Console or Prometheus
    on another address reaches. A broker whose seed list is empty would found a cluster of its own
    (empty_seed_starts_cluster's default): off, as Redpanda advises, every broker needs the seeds.

    With `tls_seeds` (the seeds' names) each in-cluster listener and the RPC between brokers take
    TLS alone, and the HTTP proxy and Schema Registry inside each broker reach the Kafka API as
    clients that verify, bootstrapping from the seeds. The brokers read renewed certificate files themselves.
    So does rpk run in a broker's container (docs/runbook.md's commands): its own section names the seeds'
    TLS listeners and the CA, which it would not find from the listeners alone.
    """
    admin: dict[str, object] = {"address": "0.0.0.0", "port": ADMIN}  # noqa: S104 (every interface of the pod)
    node: dict[str, object] = {
        "data_directory": DATA_DIR,
        "empty_seed_starts_cluster": False,
        "admin": [{"name": LISTENER, **admin} if tls_seeds else admin],
        "developer_mode": settings.dev_container,
    }
    if not tls_seeds:
        return yaml.safe_dump({"redpanda": node}, sort_keys=False)
    listener_tls = [{"name": LISTENER, **SERVER_TLS}]
    node |= {"admin_api_tls": listener_tls, "kafka_api_tls": listener_tls, "rpc_server_tls": SERVER_TLS}
    client = {
        "brokers": [{"address": broker, "port": KAFKA} for broker in tls_seeds],
        "broker_tls": {"enabled": True, "truststore_file": TLS_CA, "require_client_auth": False},
    }
    verified = {"ca_file": TLS_CA}
    config = {
        "redpanda": node,
        "pandaproxy": {"pandaproxy_api_tls": listener_tls},
        "schema_registry": {"schema_registry_api_tls": listener_tls},
        "pandaproxy_client": client,
        "schema_registry_client": client,
        "rpk": {
            "kafka_api": {"brokers": [f"{b}:{KAFKA}" for b in tls_seeds], "tls": verified},
            "admin_api": {"addresses": [f"{b}:{ADMIN}" for b in tls_seeds], "tls": verified},
            "schema_registry": {"addresses": [f"{b}:{SCHEMA_REGISTRY}" for b in tls_seeds], "tls": verified},
        },
    }
    return yaml.safe_dump(config, sort_keys=False)


# The cluster properties `rpk redpanda start --mode dev-container` writes into redpanda.yaml (rpk's start.go).
# Redpanda reads cluster properties from there only when no .bootstrap.yaml exists, and the program always
# writes one: without these, dev keeps the production floor of 5 GiB free disk and refuses produce requests
# on a small laptop VM.
DEV_CONTAINER_CLUSTER = {
    "auto_create_topics_enabled": True,
    "fetch_reads_debounce_timeout": 10,
    "group_initial_rebalance_delay": 0,
    "group_topic_partitions": 3,
    "log_segment_size_min": 1,
    "storage_min_free_bytes": 10485760,
    "topic_partitions_per_shard": 1000,
    "write_caching_default": "true",
}


def bootstrap_yaml(settings: EventBusSettings) -> str:
    """Cluster properties applied when the cluster first forms (later changes: `rpk cluster config set`)."""
    cluster: dict[str, object] = {"default_topic_replications": settings.default_replication}
    if settings.dev_container:
        cluster |= DEV_CONTAINER_CLUSTER
    if settings.sasl:
        # /v1/status/ready and the metrics endpoints stay open for probes and Prometheus
        cluster |= {"enable_sasl": True, "superusers": [SUPERUSER], "admin_api_require_auth": True}
    return yaml.safe_dump(cluster, sort_keys=False)


def cluster_properties(settings: EventBusSettings) -> str:
    """The bootstrap file's properties as the converge job sets them on a running cluster: key<TAB>value."""
    properties = yaml.safe_load(bootstrap_yaml(settings))
    return "".join(f"{key}\t{_rpk_value(value)}\n" for key, value in properties.items())


def _rpk_value(value: object) -> str:
    """`rpk cluster config set` parses YAML: lists in flow style, booleans in lower case."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


def console_config(brokers: Sequence[str], password: str | None = None, tls: bool = False) -> str:
    """Redpanda Console v3: every broker, the Schema Registry and the admin API, as CONSOLE_USER under SASL;
    under TLS each verified against the CA (read once at start: a new CA needs a restart)."""
    scheme = "https" if tls else "http"
    kafka: dict[str, object] = {"brokers": [f"{b}:{KAFKA}" for b in brokers]}
    registry: dict[str, object] = {"enabled": True, "urls": [f"{scheme}://{b}:{SCHEMA_REGISTRY}" for b in brokers]}
    admin: dict[str, object] = {"enabled": True, "urls": [f"{scheme}://{b}:{ADMIN}" for b in brokers]}
    if tls:
        for api in (kafka, registry, admin):
            api["tls"] = {"enabled": True, "caFilepath": CA_FILE}
    if password is not None:
        kafka["sasl"] = {"enabled": True, "username": CONSOLE_USER, "password": password, "mechanism": "SCRAM-SHA-256"}
        for api in (registry, admin):
            basic = {"username": CONSOLE_USER, "password": password}
            api["authentication"] = {"impersonateUser": False, "basic": basic}
    config = {
        "kafka": kafka,
        "schemaRegistry": registry,
        "redpanda": {"adminApi": admin},
        "server": {"listenPort": 8080},
    }
    return yaml.safe_dump(config, sort_keys=False)


def console_acls() -> str:
    """CONSOLE_ACLS as the topics job reads them: kind, operations, name, tab-separated. The name comes last:
    bash's `read` takes a run of tabs for one, so an empty name anywhere else would shift the fields."""
    return "".join(f"{kind}\t{operations}\t{name}\n" for kind, name, operations in CONSOLE_ACLS)


def topics_spec(topics: Sequence[Topic]) -> str:
    lines = [
        "\t".join(
            [
                topic.name,
                str(topic.partitions),
                str(topic.replicas),
                "delete" if topic.delete else "keep",
                *(f"{key}={value}" for key, value in sorted(topic.config.items())),
            ]
        )
        for topic in topics
    ]
    return "".join(f"{line}\n" for line in lines)


def script(name: str) -> str:
    """One of the event bus's shell scripts: broker.sh, decommission.sh or topics.sh."""
    return (resources.files("components.event_bus") / name).read_text()
