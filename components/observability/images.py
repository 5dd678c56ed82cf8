"""Observability's images as their upstream sources say they run (components/image_facts.py)."""

from components.image_facts import ImageFacts, Source
from components.model import RunAs

NOBODY = RunAs(uid=65534, gid=65534)
BUSYBOX = frozenset({"sh", "wget", "nc"})
GROUP_ROOT_WHY = (
    "the image's group is root (0); what it writes is a volume or scratch mount that the workload's own "
    "group is given (fsGroup on Kubernetes), so the process needs no root group"
)

PROMETHEUS = ImageFacts(
    image="prom/prometheus:v3.7.3",
    release="v3.7.3",
    newest="v3.7.3",
    user=NOBODY,  # USER nobody on quay.io/prometheus/busybox
    writes=("/prometheus",),  # WORKDIR and VOLUME: the TSDB
    tools=BUSYBOX | {"promtool"},
    sources=(Source("prometheus/prometheus", "v3.7.3", "Dockerfile"),),
)

ALERTMANAGER = ImageFacts(
    image="prom/alertmanager:v0.28.1",
    release="v0.28.1",
    newest="v0.28.1",
    user=NOBODY,
    writes=("/alertmanager",),  # notification log and silences
    tools=BUSYBOX | {"amtool"},
    sources=(Source("prometheus/alertmanager", "v0.28.1", "Dockerfile"),),
)

GRAFANA = ImageFacts(
    image="grafana/grafana:12.3.1",
    release="12.3.1",
    newest="12.3.9",
    newest_why=(
        "12.3.6 to 12.3.9 fix CVE-2026-27876 (code execution through SQL expressions), CVE-2026-27877, "
        "-27879, -28375, -21724, -33375, -41602 (CVE records); no image tag after 12.3.3 could be confirmed "
        "here and Grafana's sources cannot be read here: the first to move once the tag is checked"
    ),
    user=RunAs(uid=472, gid=0),  # GF_UID 472, GF_GID 0
    writes=("/var/lib/grafana", "/var/log/grafana"),  # GF_PATHS_DATA, and GF_PATHS_LOGS in file mode
    tools=BUSYBOX | {"bash", "curl", "grafana", "/run.sh"},  # its CLI (bin on PATH) and the entrypoint
    # the Dockerfile at this tag could not be read here: user and paths are those of run.sh's defaults
    sources=(Source("grafana/grafana", "07754534fbafa7e7e18e7272e552c166f1afae28", "packaging/docker/run.sh"),),
    moved={"/var/log/grafana": ("GF_LOG_MODE",)},  # console: no log files
    run_as=RunAs(uid=472, gid=472),
    run_as_why=GROUP_ROOT_WHY,
)

JAEGER = ImageFacts(
    image="jaegertracing/jaeger:2.13.0",
    release="2.13.0",
    newest="2.13.0",
    user=RunAs(uid=10001, gid=0),  # `USER ${USER_UID}`, a bare uid: its group is root
    writes=("/tmp",),  # VOLUME /tmp; badger writes where its settings say (a volume here)
    tools=BUSYBOX,
    sources=(
        Source("jaegertracing/jaeger", "v2.13.0", "cmd/jaeger/Dockerfile"),
        Source("jaegertracing/jaeger", "v2.13.0", "scripts/build/docker/base/Dockerfile"),
    ),
    run_as=RunAs(uid=10001, gid=10001),
    run_as_why=GROUP_ROOT_WHY,
)

# distroless/static-debian13 with one binary: no shell and no probe tool, so probes are HTTP; `USER nobody`, a
# name, is 65534:65534 in distroless' /etc/passwd, and the kubelet needs the number to check runAsNonRoot (as
# upstream's example sets it). The entrypoint carries --port=8080 --telemetry-port=8081: flags go in args.
KUBE_STATE_METRICS = ImageFacts(
    image="registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
    release="v2.20.0",
    newest="v2.20.0",
    user=NOBODY,
    writes=(),
    tools=frozenset(),
    sources=(
        Source("kubernetes/kube-state-metrics", "v2.20.0", "Dockerfile"),
        Source("kubernetes/kube-state-metrics", "v2.20.0", "examples/standard/deployment.yaml"),
    ),
)
