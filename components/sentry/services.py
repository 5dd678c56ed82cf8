"""Sentry's long-running services, as the errors-only profile of self-hosted 26.8.0 runs them.

Probes use what each image has: bash's /dev/tcp where there is no HTTP client, the health file a
consumer touches while its loop runs, and HTTP paths where the target probes over HTTP itself.
"""

import pulumi

from components.model import Port, Probe, Volume, Workload
from components.sentry import images, service_config, topology
from components.sentry.processes import Processes
from components.sentry.settings import SentrySettings
from components.sentry.topology import HEALTH_FILE, Consumer

RELAY_USER = images.RELAY.runs_as
SYMBOLICATOR_USER = images.SYMBOLICATOR.runs_as
TASKBROKER_USER = images.TASKBROKER.runs_as
NGINX_USER = images.NGINX.runs_as

# the web's own health view, asked over bash's /dev/tcp (the image has no HTTP client)
WEB_CHECK = (
    "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /_health/ HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n"
    "Connection: close\\r\\n\\r\\n' >&3 && grep -q ok <&3"
)
# consumers and taskworkers touch their health file while their loop runs: stale for 2 minutes, unhealthy
HEALTH_FILE_PROBE = Probe(
    command=["bash", "-c", f'test -n "$(find {HEALTH_FILE} -mmin -2 2>/dev/null)"'], startup_seconds=300
)
# The taskscheduler offers neither a port nor a health file: its own process runs, not stopped and not a zombie.
# That is the Python process whose arguments name it, never PID 1: under the image's tini (or another init)
# PID 1 is the init, which stays well while the scheduler it started is stopped.
PROCESS_RUNS = """\
import os, sys
states = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    if int(pid) != os.getpid() and os.path.basename(argv[0]).startswith(b"python") and b"taskworker-scheduler" in argv:
        states.append(stat.rsplit(")", 1)[1].split()[0])
sys.exit(not states or any(state in "TZ" for state in states))
"""


def tcp_check(port: int) -> list[str]:
    return ["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{port}"]


def snuba_api(processes: Processes) -> Workload:
    return processes.snuba(
        topology.SNUBA_API.name,
        "sentry-snuba",
        args=["api"],
        ports=[Port("http", topology.SNUBA_PORT)],
        probe=Probe(
            command=["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{topology.SNUBA_PORT}/health"],
            http_path="/health",
            http_port=topology.SNUBA_PORT,
        ),
        clients=[*topology.SENTRY_PROCESSES, topology.UPGRADE_JOB, topology.ADMIN_JOB],
    )


def snuba_consumer(processes: Processes, consumer: Consumer) -> Workload:
    return processes.snuba(consumer.name, "sentry-snuba", args=consumer.args, probe=HEALTH_FILE_PROBE)


def taskbroker(settings: SentrySettings, kafka: str) -> Workload:
    """Reads task activations from Kafka into SQLite on its volume and hands them to the taskworkers."""
    return Workload(
        name=topology.TASKBROKER.name,
        component="sentry-tasks",
        image=settings.images.taskbroker,
        run_as=TASKBROKER_USER,
        resources=settings.resources.taskbroker,
        # its topics live in the config file: env-var keys cannot hold their hyphenated names
        args=["/opt/taskbroker", "-c", service_config.TASKBROKER_CONFIG],
        env={
            "TASKBROKER_KAFKA_CLUSTERS__DEFAULT__ADDRESS": kafka,
            "TASKBROKER_DB_PATH": "/opt/sqlite/taskbroker-activations.sqlite",
        },
        files={service_config.TASKBROKER_CONFIG: service_config.taskbroker_config()},
        ports=[Port("grpc", topology.TASKBROKER_PORT)],
        # the image (debian bookworm-slim, no USER) makes /opt/sqlite as root and runs as root by default
        volumes={"data": Volume("/opt/sqlite", settings.storage.taskbroker, root_owned=True)},
        probe=Probe(command=tcp_check(topology.TASKBROKER_PORT)),
        clients=[topology.TASKWORKER.name],
    )


def symbolicator(settings: SentrySettings) -> Workload:
    return Workload(
        name=topology.SYMBOLICATOR.name,
        component="sentry-symbolicator",
        image=settings.images.symbolicator,
        run_as=SYMBOLICATOR_USER,
        resources=settings.resources.symbolicator,
        args=["run", "-c", service_config.SYMBOLICATOR_CONFIG],
        files={service_config.SYMBOLICATOR_CONFIG: service_config.symbolicator_config()},
        ports=[Port("http", topology.SYMBOLICATOR_PORT)],
        volumes={"cache": Volume(service_config.SYMBOLICATOR_CACHE, settings.storage.symbolicator)},
        egress_ports=[443],  # it fetches symbols and source maps from the servers that publish them
        # the image has no shell: its own healthcheck subcommand asks /healthcheck, as upstream's compose does
        probe=Probe(
            command=["/bin/symbolicator", "healthcheck", "-c", service_config.SYMBOLICATOR_CONFIG],
            http_path="/healthcheck",
            http_port=topology.SYMBOLICATOR_PORT,
        ),
        clients=topology.SENTRY_PROCESSES,
    )


def web(processes: Processes) -> Workload:
    return processes.sentry(
        topology.WEB.name,
        "sentry-web",
        args=["run", "web"],
        ports=[Port("http", topology.WEB_PORT)],
        probe=Probe(
            command=["bash", "-c", WEB_CHECK], http_path="/_health/", http_port=topology.WEB_PORT, startup_seconds=300
        ),
        clients=[topology.NGINX.name, topology.RELAY.name, topology.SYMBOLICATOR.name],
    )


def taskworker(processes: Processes, broker: str) -> Workload:
    """`broker` is the taskbroker's host:port."""
    args = [
        "run",
        "taskworker",
        f"--concurrency={processes.settings.taskworker_concurrency}",
        # no --num-brokers: with it the worker appends "-0" to the broker's host name
        f"--rpc-host={broker}",
        f"--health-check-file-path={HEALTH_FILE}",
        "--max-child-task-count=10000",
    ]
    return processes.sentry(topology.TASKWORKER.name, "sentry-tasks", args=args, probe=HEALTH_FILE_PROBE)


def taskscheduler(processes: Processes) -> Workload:
    return processes.sentry(
        topology.TASKSCHEDULER.name,
        "sentry-tasks",
        args=["run", "taskworker-scheduler"],
        probe=Probe(command=["python3", "-c", PROCESS_RUNS]),
    )


def sentry_consumer(processes: Processes, consumer: Consumer) -> Workload:
    return processes.sentry(consumer.name, "sentry-consumer", args=consumer.args, probe=HEALTH_FILE_PROBE)


def relay(settings: SentrySettings, config: pulumi.Output[str], credentials: pulumi.Output[str]) -> Workload:
    """`config` holds the Redis password and `credentials` the key pair: both mounted as secrets."""
    return Workload(
        name=topology.RELAY.name,
        component="sentry-relay",
        image=settings.images.relay,
        run_as=RELAY_USER,
        resources=settings.resources.relay,
        args=["--config", service_config.RELAY_DIR, "run"],
        secrets={
            f"{service_config.RELAY_DIR}/config.yml": config,
            f"{service_config.RELAY_DIR}/credentials.json": credentials,
        },
        ports=[Port("http", topology.RELAY_PORT)],
        # distroless: no shell and no HTTP client to run a check with; Kubernetes asks its HTTP endpoint, and on
        # Docker nginx's own check goes through relay's readiness
        # alive while it accepts connections: relay is not ready while the web is down, and must not restart then
        probe=Probe(
            command=(),
            http_path="/api/relay/healthcheck/ready/",
            http_port=topology.RELAY_PORT,
            liveness_tcp_port=topology.RELAY_PORT,
        ),
        clients=["*"],  # SDKs anywhere in the namespace send their events here
    )


def front_door(settings: SentrySettings) -> Port:
    """nginx's port: published on the host in dev, where Sentry's URL points by default."""
    return Port("http", topology.NGINX_PORT, host_port=settings.host_port)


def nginx(settings: SentrySettings, web: str, relay: str) -> Workload:
    """The front door, published on the host in dev; `web` and `relay` are host:port."""
    health = f"http://127.0.0.1:{topology.NGINX_PORT}{service_config.NGINX_HEALTH}"
    return Workload(
        name=topology.NGINX.name,
        component="sentry-nginx",
        image=settings.images.nginx,
        run_as=NGINX_USER,
        resources=settings.resources.nginx,
        command=["nginx", "-c", service_config.NGINX_CONFIG],  # not the entrypoint: it edits configs in place
        files={service_config.NGINX_CONFIG: service_config.nginx_conf(web, relay)},
        ports=[front_door(settings)],
        probe=Probe(
            command=["wget", "-q", "-O", "/dev/null", health],
            http_path=service_config.NGINX_ALIVE,  # clusters: nginx itself, relay has probes of its own
            http_port=topology.NGINX_PORT,
            startup_seconds=300,  # relay is ready once it has registered with the web
        ),
        clients=["*"],
    )
