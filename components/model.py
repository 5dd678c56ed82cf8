"""The target-neutral workload model: what runs, said once, for every runtime to translate.

Components build Workloads; a runtime (components/runtime/) turns each into Docker or Kubernetes
resources and owns how: naming, labels, hardening, probes, limits and storage.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import pulumi

from components.fields import Resources

SECRETS_DIR = "/run/secrets/dictamesh"  # where every workload finds its secret files
# Where the runtime puts a TLS server's certificate (tls.crt), key (tls.key) and issuing CA (ca.crt), and a
# client's trusted CA. A renewal replaces them in place: a server that does not reload them itself is told to.
TLS_DIR = "/etc/dictamesh/tls"
TLS_CERT, TLS_KEY, TLS_CA = f"{TLS_DIR}/tls.crt", f"{TLS_DIR}/tls.key", f"{TLS_DIR}/ca.crt"
CA_FILE = "/etc/dictamesh/ca/ca.crt"
SCRATCH_SIZE = "256Mi"  # a scratch path's room, unless the workload names another
SERVER_CERT_FILE = "/etc/dictamesh/ca/server.crt"  # a TLS server's certificate, for a client that compares


@dataclass(frozen=True)
class Replica:
    """Who a replica is, as its own process sees it.

    `ordinal` is None where one pod template serves every replica (a Kubernetes StatefulSet): `host`
    then holds `$(POD_NAME)`, which Kubernetes expands per pod.
    """

    ordinal: int | None
    host: str
    published: Mapping[str, int]  # port name -> port on the host's loopback, where the target publishes


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    host_port: int | None = None  # docker: published on 127.0.0.1 as host_port + replica ordinal
    external: bool = False  # a listener for the developer's machine alone: opened only where ports are published
    clients: Sequence[str] | None = None  # who may connect to this port; None: the workload's clients; "*": anyone


@dataclass(frozen=True)
class Probe:
    """A health check. Every target runs `command`; targets with HTTP probes prefer `http_path`.

    An empty `command` (an image with no shell and no HTTP client) leaves targets without HTTP
    probes with no health check at all.

    Liveness reuses the check unless `liveness_tcp_port` is set: then a process that accepts
    connections counts as alive, so a busy or not-yet-ready server is not restarted for it.
    `ready_command` asks more than the start-up check, where readiness means more than a started
    process (a broker is ready once its cluster is healthy): targets that roll replicas one at a time
    wait on it before the next.
    """

    command: Sequence[str]
    ready_command: Sequence[str] = ()
    http_path: str | None = None
    http_port: int | None = None
    liveness_tcp_port: int | None = None
    liveness_http_path: str | None = None  # where the server answers "alive" apart from "ready" (same port)
    period_seconds: int = 10
    timeout_seconds: int = 5
    failure_threshold: int = 6
    startup_seconds: int = 120  # how long start-up may take before the liveness check counts


@dataclass(frozen=True)
class RunAs:
    """The image's own non-root user: a fixed UID for every image breaks some of them."""

    uid: int
    gid: int


@dataclass(frozen=True)
class Volume:
    """Persistent storage that outlives any replacement of its workload.

    `root_owned`: the image leaves `path` to root, so a fresh Docker volume there, a copy of that
    directory, is not writable for the workload's user. The Docker target hands it over before the
    first start; on Kubernetes, fsGroup does.
    """

    path: str
    size: str
    root_owned: bool = False
    borrowed_from: str | None = None  # a job mounts another job's claim of the same key, read-only, where it runs


Args = Sequence[str] | Callable[[Replica], Sequence[str]]
# a "manual" job runs only when an operator starts it (a restore): Kubernetes keeps it as a suspended
# CronJob to start jobs from; the docker target deploys none (its Makefile runs the same commands)
Kind = Literal["service", "job", "scheduled", "manual"]


@dataclass(frozen=True)
class Workload:
    name: str
    component: str  # app.kubernetes.io/component: database, cache, event-bus, ...
    image: str
    run_as: RunAs
    resources: Resources
    kind: Kind = "service"
    schedule: str | None = None  # cron, for kind "scheduled"
    command: Sequence[str] = ()
    args: Args = ()
    env: Mapping[str, str] = field(default_factory=dict)
    secret_env: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)  # only where the image reads no file
    files: Mapping[str, str] = field(default_factory=dict)  # path -> content, read-only
    # path -> content, read-only, read once on the first start of an empty data directory: a change
    # reaches new volumes only, so it restarts nothing
    init_files: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)  # path -> content, owner-read-only
    # secret files and secret env names whose new value needs no restart (read on the first start of an empty
    # data directory only, or a credential kept for a rotation): where the target can, a change restarts nothing
    no_restart: frozenset[str] = frozenset()
    ports: Sequence[Port] = ()
    replicas: int = 1
    # its replica count is a setting: each replica is named by its ordinal even when it is the only one, so a
    # new count keeps every staying replica's name, and so its volume
    scales: bool = False
    volumes: Mapping[str, Volume] = field(default_factory=dict)
    scratch: Sequence[str] = ("/tmp",)  # writable paths under the read-only root
    scratch_sizes: Mapping[str, str] = field(default_factory=dict)  # path -> size, where SCRATCH_SIZE is too small
    probe: Probe | None = None
    clients: Sequence[str] = ()  # workloads allowed to connect to its ports; "*": any in the namespace
    egress_ports: Sequence[int] = ()  # TCP ports it may reach outside the platform (webhooks, SMTP)
    # TCP ports it may reach in other namespaces of the cluster (an application Prometheus scrapes there)
    egress_namespaces: Mapping[str, Sequence[int]] = field(default_factory=dict)
    peer_discovery: bool = False  # replicas must find each other before they are ready (a Raft cluster)
    stop_grace_seconds: int = 30  # from the stop signal to the kill
    # run before the stop signal on targets that ignore the image's STOPSIGNAL (Kubernetes): Docker
    # sends that signal itself
    stop_command: Sequence[str] = ()
    deadline_seconds: int | None = None  # jobs: a run still going after this long is stopped and failed
    shm_size: str | None = None  # /dev/shm, where the image's default of 64 MiB is too small
    # on a target that encrypts traffic between workloads (Runtime.encrypts): a certificate for every name its
    # clients use, with its key and CA, under TLS_DIR
    tls_server: bool = False
    tls_trust: str | None = None  # the TLS server whose CA it verifies against, at CA_FILE
    # kinds of the batch API (jobs, cronjobs) it lists and watches in its own namespace, which POD_NAMESPACE
    # names: where Runtime.has_api alone
    watches: Sequence[str] = ()
    # with tls_trust: that server's certificate too (never its key), at SERVER_CERT_FILE, to compare with
    # what the server presents
    tls_compare: bool = False
    # a job that must have run before any replica of this workload is removed (fewer replicas), e.g. a
    # decommission: Kubernetes runs it before the StatefulSet changes; Docker after the replicas that stay,
    # before the engine removes the others (an update's deletions come last)
    retire: "Workload | None" = None

    def scratch_size(self, path: str) -> str:
        return self.scratch_sizes.get(path, SCRATCH_SIZE)

    def args_for(self, replica: Replica) -> list[str]:
        return list(self.args(replica) if callable(self.args) else self.args)

    @property
    def stateful(self) -> bool:
        return bool(self.volumes) and self.kind == "service"


Severity = Literal["critical", "warning", "info"]  # what a receiver subscribes to


@dataclass(frozen=True)
class ScrapeTarget:
    """What Prometheus scrapes of a workload: every replica, labelled by its stable name (redpanda-0)."""

    job: str
    workload: str
    port: int
    replicas: int = 1
    path: str = "/metrics"
    tls: bool = False  # HTTPS, verified against the CA (the workload is a TLS server)


@dataclass(frozen=True)
class Alert:
    """An alert rule; its runbook is the README section named after it."""

    name: str
    expr: str
    severity: Severity | Literal["none"]  # "none": the Watchdog's, which goes to the heartbeat receiver alone
    summary: str
    description: str
    for_: str = "5m"
    # labels the expression cannot carry: an absent() of a comparison has none, and names no job to inhibit by
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inhibit:
    """While `source` fires, the `targets` alerts it explains stay silent (a broker down explains its
    under-replicated partitions), for the same values of the `equal` labels."""

    source: str
    targets: Sequence[str]
    equal: Sequence[str] = ("job",)


@dataclass(frozen=True)
class Telemetry:
    """What a component publishes for observability to consume: its scrape targets, its alerts and which of
    them silence which."""

    group: str
    targets: Sequence[ScrapeTarget] = ()
    alerts: Sequence[Alert] = ()
    inhibits: Sequence[Inhibit] = ()


@dataclass(frozen=True)
class Route:
    """Requests under `path` go to a workload's port."""

    path: str
    workload: str
    port: int


@dataclass(frozen=True)
class WebUi:
    """A browser UI a component offers, for the target to expose; without a login it goes behind the stack's."""

    name: str
    routes: Sequence[Route]
    login: bool
    admin: bool = False  # it changes the platform (topics, silences): only the admin groups may open it


@dataclass(frozen=True)
class Exposed:
    """What exposing the UIs gave: their public URLs; for those without a login of their own, the generated
    user of the stack's login and the sign-in callbacks to register with the OIDC provider."""

    urls: Mapping[str, str] = field(default_factory=dict)
    callbacks: Sequence[str] = ()
    basic_auth_user: str | None = None
    basic_auth_password: pulumi.Output[str] | None = None


class Runtime(Protocol):
    """How workloads become resources on one target."""

    @property
    def encrypts(self) -> bool:
        """Whether traffic between workloads is TLS: servers then get certificates, clients their CA."""
        ...

    @property
    def has_api(self) -> bool:
        """Whether workloads are objects of an API that a workload may watch (Workload.watches): Kubernetes."""
        ...

    def trust(self) -> dict[str, str] | None:
        """Where clients outside the stack find the CA its TLS servers' certificates chain to, when it encrypts."""
        ...

    def address(self, workload: str, ordinal: int | None = None) -> str:
        """The DNS name other workloads use for a workload (or one of its replicas)."""
        ...

    def endpoint(self, workload: str, port: int, ordinal: int | None = None) -> str:
        """`host:port` where other workloads reach one port of a workload (or of one replica)."""
        ...

    def published(self, port: Port, ordinal: int = 0) -> str | None:
        """`host:port` for clients on the developer's machine, where the target publishes ports."""
        ...

    def deploy(
        self, workload: Workload, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()
    ) -> list[pulumi.Resource]:
        """Creates the workload's resources; returns the ones that are ready when it is."""
        ...

    def public_url(self, ui: str) -> str | None:
        """The URL users will reach a UI at through `expose`, known before anything is deployed."""
        ...

    def expose(self, uis: Sequence[WebUi], owner: pulumi.Resource | None = None) -> Exposed:
        """Makes the UIs the settings name reachable from outside the target; `owner`: the component whose UIs
        they are, when not the whole stack's."""
        ...
