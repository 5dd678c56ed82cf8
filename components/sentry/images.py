"""The images of self-hosted Sentry 26.8.0 as their upstream sources say they run (components/image_facts.py).

Every reference is the one getsentry/self-hosted 26.8.0 pins (docker-compose.yml and .env), except PostgreSQL's
and Kafka's: the patch releases its main branch took after 26.8.0, which no self-hosted release carries yet.
"""

from components.image_facts import ImageFacts, Source
from components.model import RunAs

SELF_HOSTED = Source("getsentry/self-hosted", "26.8.0", "docker-compose.yml")
# master after 26.8.0: postgres 14.24 (f89550d5), cp-kafka 7.6.13 (a73c4b72), ClickHouse 25.8 (89a143f8)
SELF_HOSTED_MAIN = Source("getsentry/self-hosted", "89a143f8e4d396a858cf6f462a832ae7da9fd2db", "docker-compose.yml")
DISTROLESS_NONROOT = RunAs(uid=65532, gid=65532)
DOCKER_LIBRARY_POSTGRES = "6edb0a8c4def40c371514b34aef9037ec82d9110"

# started as root the entrypoint hands /data to sentry (`useradd -r`: 999) and switches to it with gosu.
# Not read at 26.8.0: getsentry/sentry's snapshot (1.7 GB) is more than can be fetched here, and the one stored
# version of self-hosted/Dockerfile and docker-entrypoint.sh is 46b1346b, a build before 26.8.0. These facts are
# that build's; self-hosted 26.8.0's compose (its commands and volumes) agrees with them.
SENTRY = ImageFacts(
    image="ghcr.io/getsentry/sentry:26.8.0",
    release="26.8.0",
    newest="26.8.0",
    user=RunAs(uid=999, gid=999),
    # health files and temporary files; /data/files only for the file filestore (S3 here)
    writes=("/tmp",),
    # no curl, no wget; `sentry`, its CLI, is what the entrypoint runs every command as (self-hosted's commands)
    tools=frozenset({"bash", "sh", "cat", "grep", "find", "python3", "sentry"}),
    sources=(
        Source("getsentry/sentry", "46b1346bf2550a88386600d82388f3d16fe0bdf4", "self-hosted/Dockerfile"),
        Source("getsentry/sentry", "46b1346bf2550a88386600d82388f3d16fe0bdf4", "self-hosted/docker-entrypoint.sh"),
        SELF_HOSTED,
    ),
)

SNUBA = ImageFacts(
    image="ghcr.io/getsentry/snuba:26.8.0",
    release="26.8.0",
    newest="26.8.0",
    user=RunAs(uid=1000, gid=1000),  # `useradd --uid 1000 snuba`, USER snuba
    writes=("/tmp",),
    # wget is purged after the build; `snuba` is the project's script (pyproject.toml) in /.venv/bin, on PATH
    tools=frozenset({"bash", "sh", "cat", "grep", "find", "curl", "python3", "snuba"}),
    sources=(
        Source("getsentry/snuba", "26.8.0", "Dockerfile"),
        Source("getsentry/snuba", "26.8.0", "pyproject.toml"),
        Source("getsentry/snuba", "26.8.0", "docker_entrypoint.sh"),
    ),
)

RELAY = ImageFacts(
    image="ghcr.io/getsentry/relay:26.8.0",
    release="26.8.0",
    newest="26.8.0",
    user=DISTROLESS_NONROOT,
    writes=(),  # config and credentials are read, not written
    tools=frozenset({"/bin/relay"}),
    sources=(Source("getsentry/relay", "03742994d954c8ce034263b9203de83beadc9506", "Dockerfile.release"), SELF_HOSTED),
)

SYMBOLICATOR = ImageFacts(
    image="ghcr.io/getsentry/symbolicator:26.8.0",
    release="26.8.0",
    newest="26.8.0",
    user=DISTROLESS_NONROOT,
    writes=("/data",),  # cache_dir and its tmp/
    tools=frozenset({"/bin/symbolicator"}),  # `healthcheck` and `cleanup` subcommands
    sources=(Source("getsentry/symbolicator", "26.8.0", "Dockerfile"), SELF_HOSTED),
)

TASKBROKER = ImageFacts(
    image="ghcr.io/getsentry/taskbroker:26.8.0",
    release="26.8.0",
    newest="26.8.0",
    user=RunAs(uid=0, gid=0),  # no USER: root, as self-hosted runs it
    writes=("/opt/taskbroker-inflight.sqlite",),  # the default database, relative to WORKDIR /opt
    # debian:bookworm-slim with the binary: its shells and coreutils (the volume hand-over's chown); no curl,
    # no wget, no gRPC health probe
    tools=frozenset({"bash", "sh", "chown"}),
    # the stored copy ends before the 26.8.0 tag: read at main nine days before it; from 26.7.2 to there the
    # Dockerfile changes in its build stage alone (a .cargo directory copied in)
    sources=(
        Source("getsentry/taskbroker", "f7d59e2d", "Dockerfile"),
        Source("getsentry/taskbroker", "f7d59e2d", "src/config/store.rs"),
        SELF_HOSTED,
    ),
    moved={"/opt/taskbroker-inflight.sqlite": ("TASKBROKER_DB_PATH",)},
    run_as=RunAs(uid=1000, gid=1000),
    run_as_why="the image makes its own taskbroker user (1000) and no root is needed once the SQLite "
    "directory, root-owned in the image, is handed over to it (Volume.root_owned)",
)

# started as root the entrypoint switches to postgres (999:999) with gosu. 14.24 fixes a self-deadlock of a server
# replaying WAL that an older minor release wrote (postgresql.git 42a3194e, back-patched to 14-16): after a minor
# upgrade, recovery could hang with no error. The tag is official-images 62e3678b's (14/bookworm at cfa33861), whose
# Dockerfile differs from 14.22's in PG_VERSION alone; its entrypoint is not stored at cfa33861 and is read at
# 6edb0a8c (14.22), and no 14.23 commit is stored.
POSTGRES = ImageFacts(
    image="postgres:14.24-bookworm",
    release="14.24",
    newest="14.24",
    user=RunAs(uid=999, gid=999),
    writes=("/var/lib/postgresql/data", "/var/run/postgresql", "/tmp"),
    tools=frozenset({"bash", "sh", "cat", "grep", "pg_isready", "pg_ctl", "psql"}),
    sources=(
        Source("docker-library/postgres", "cfa338619f694df7c72b8c15c3b52adc4392cfe9", "14/bookworm/Dockerfile"),
        Source("docker-library/postgres", DOCKER_LIBRARY_POSTGRES, "14/bookworm/docker-entrypoint.sh"),
        Source("docker-library/official-images", "62e3678b4b5f889cc5d36fe0fc4599c277e1f875", "library/postgres"),
        SELF_HOSTED_MAIN,
    ),
)

# alpine: the valkey user is 999 in group 1000; started as root the entrypoint switches to it
VALKEY = ImageFacts(
    image="valkey/valkey:8.1.9-alpine",
    release="8.1.9",
    newest="8.1.11",
    newest_why=(
        "8.1.11 fixes a heap overflow in cluster Pub/Sub (GHSA-f4q9-j22m-xqq9), 8.1.10 ACL and AOF bugs; "
        "self-hosted 26.8.0, the newest self-hosted release read here, pins 8.1.9, and the record is read "
        "there (issue 31)"
    ),
    user=RunAs(uid=999, gid=1000),
    writes=("/data",),
    tools=frozenset({"sh", "cat", "grep", "wget", "nc", "valkey-cli"}),  # valkey-cli reads REDISCLI_AUTH
    sources=(
        Source("valkey-io/valkey-container", "00a2b211887fd46775bba37c554167a19783cca4", "8.1/alpine/Dockerfile"),
        SELF_HOSTED,
    ),
)

# kafka-images has no v7.6.13 tag stored: its kafka/ files are read at v7.6.11-15 (75a66260), identical to v7.6.6's
# but for pom.xml; `ensure` formats the data directory with kafka-storage in KRaft mode. common-docker v7.6.13's
# base keeps appuser (1000), /usr/logs, nc, wget and curl, and replaces python39 with a Python 3.14 it builds.
KAFKA = ImageFacts(
    image="confluentinc/cp-kafka:7.6.13",
    release="7.6.13",
    newest="7.6.15",
    newest_why=(
        "7.6.9 updates Jetty, Netty and Bouncy Castle for security and 7.6.15 ZooKeeper (3.8.7), which a KRaft "
        "broker does not run; self-hosted's main branch pins 7.6.13, and no stored kafka-images ref is of 7.6.14 "
        "or 7.6.15"
    ),
    user=RunAs(uid=1000, gid=1000),  # cp-base-new's appuser, UBI's first user
    # `configure` renders its properties into /etc/kafka and refuses to start if it cannot
    writes=("/etc/kafka", "/var/lib/kafka/data", "/tmp", "/usr/logs"),
    # Kafka's CLIs come with the confluent-kafka package the Dockerfile installs, on PATH in /usr/bin
    tools=frozenset({"bash", "sh", "cat", "grep", "nc", "wget", "curl", "kafka-topics", "kafka-configs"}),
    sources=(
        Source("confluentinc/kafka-images", "v7.6.11-15", "kafka/Dockerfile.ubi8"),
        Source("confluentinc/kafka-images", "v7.6.11-15", "kafka/include/etc/confluent/docker/configure"),
        Source("confluentinc/kafka-images", "v7.6.11-15", "kafka/include/etc/confluent/docker/ensure"),
        Source("confluentinc/common-docker", "9ac7a54428f66ddcdb4e0a24837f0682ad9f0e2c", "base/Dockerfile.ubi8"),
        SELF_HOSTED_MAIN,
    ),
    moved={"/usr/logs": ("KAFKA_GC_LOG_OPTS",)},  # kafka-run-class writes its GC log there unless these are set
)

# started as root the entrypoint writes users.d files and switches to clickhouse (101:101). Altinity's own
# Dockerfile and entrypoint at v25.3.6.10034.altinitystable could not be read here (Altinity/ClickHouse is too
# large to fetch, and no stored file version is of 25.3.6): these facts are from ClickHouse's docker-library at
# 25.3.6.56, the upstream release Altinity's build is of, whose files stay the same from 25.3.2 to 25.3.14.
# Altinity's stored Dockerfiles of 24.7 and 26.2 have the same layout. clickhouse-server and clickhouse-client are
# links to the one clickhouse binary.
# Not moved to 25.8: self-hosted's master pins altinity 25.8.28.10001 (89a143f8, after 26.8.0; no release carries it
# yet) and upgrades in place from exactly 25.3.6.10034. 25.8 writes compact parts that releases before 25.5 cannot
# read, so the move has no way back without a snapshot, and no ClickHouse server runs here to test it on a volume
# 25.3 filled. Snuba 26.8.0 accepts 23.8.11.29 to 25.8.16.10001; snuba's master requires 25.8.16.10001 or newer:
# this move comes before snuba's next.
CLICKHOUSE = ImageFacts(
    image="altinity/clickhouse-server:25.3.6.10034.altinitystable",
    release="25.3.6.10034",
    newest="25.3.6.10034",
    user=RunAs(uid=101, gid=101),
    writes=("/var/lib/clickhouse", "/var/log/clickhouse-server", "/tmp", "/etc/clickhouse-server/users.d"),
    tools=frozenset({"bash", "sh", "wget", "clickhouse-client", "clickhouse-server"}),
    sources=(
        Source(
            "ClickHouse/docker-library",
            "86ece85bf5a04bdb8bdf1ca73722e8ed116252f9",
            "server/25.3.6.56/Dockerfile.ubuntu",
        ),
        Source(
            "ClickHouse/docker-library", "86ece85bf5a04bdb8bdf1ca73722e8ed116252f9", "server/25.3.6.56/entrypoint.sh"
        ),
        SELF_HOSTED,
    ),
    moved={"/etc/clickhouse-server/users.d": ("clickhouse-server",)},  # the server runs, not the entrypoint
)

MEMCACHED = ImageFacts(
    image="memcached:1.6.45-alpine",
    release="1.6.45",
    newest="1.6.46",
    newest_why=(
        "1.6.46 (November 2026) has minor security fixes without CVE ids and no image tag confirmed here; "
        "self-hosted 26.8.0, the newest self-hosted release read here, pins 1.6.45"
    ),
    user=RunAs(uid=11211, gid=11211),  # USER memcache
    writes=(),
    tools=frozenset({"sh", "grep", "nc"}),  # busybox applets; upstream's health check uses nc too
    sources=(
        Source("docker-library/memcached", "53ac0ecb0bf88b471a0110f8996ce791baf1a667", "1/alpine/Dockerfile"),
        SELF_HOSTED,
    ),
)

NGINX = ImageFacts(
    image="nginx:1.31.3-alpine",
    release="1.31.3",
    newest="1.31.4",
    newest_why=(
        "1.31.4 fixes no security issue (our pin has July's three CVE fixes); later 1.31 releases were seen "
        "only in other projects, not read"
    ),
    user=RunAs(uid=0, gid=0),  # the master runs as root, its workers as nginx (101:101)
    writes=("/var/cache/nginx", "/run/nginx.pid", "/etc/nginx/conf.d"),  # nginx.conf's pid since March 2025
    # -alpine is built FROM -alpine-slim and adds curl; wget and nc are busybox applets. docker-library's
    # official-images names docker-nginx ccdab6c for 1.31.3, which the stored copy lacks: read at 0d7f438 (1.29.8),
    # whose lines for the user, the paths and the tools are unchanged since 2023
    tools=frozenset({"sh", "wget", "nc", "curl", "nginx"}),
    sources=(
        Source("nginx/docker-nginx", "0d7f4380c735af5009aa364e27fafecd958fd4fa", "mainline/alpine/Dockerfile"),
        Source("nginx/docker-nginx", "0d7f4380c735af5009aa364e27fafecd958fd4fa", "mainline/alpine-slim/Dockerfile"),
        Source(
            "nginx/docker-nginx",
            "0d7f4380c735af5009aa364e27fafecd958fd4fa",
            "mainline/alpine-slim/docker-entrypoint.sh",
        ),
        SELF_HOSTED,
    ),
    moved={
        "/var/cache/nginx": tuple(  # each of nginx's five temp paths under /tmp
            f"{kind}_temp_path /tmp/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        ),
        "/run/nginx.pid": ("pid /tmp/nginx.pid;",),
        "/etc/nginx/conf.d": ("/etc/nginx/dictamesh/nginx.conf",),  # nginx runs its own config, not the entrypoint
    },
    run_as=RunAs(uid=101, gid=101),
    run_as_why="the generated nginx.conf listens on 8080 and writes only under /tmp, so the master needs no "
    "root: it runs as the workers' own user",
)

# started as root the entrypoint hands /data to seaweed (`adduser -u 1000`) and switches to it with su-exec
SEAWEEDFS = ImageFacts(
    # upstream's own pin, digest included: the large_disk build (5-byte offsets) writes volumes that no
    # other build reads, so a self-hosted install's data stays readable
    image="chrislusf/seaweedfs:4.40_large_disk@sha256:d07aa1dae03c687e0737b86130ded1b18474211a09e85d737fbe5508b8805139",
    release="4.40",
    newest="4.44",
    newest_why=(
        "4.41 to 4.44 fix data integrity (a volume.merge corruption, the leveldb index self-hosted's volumes "
        "use); self-hosted 26.8.0, the newest self-hosted release read here, pins 4.40_large_disk by digest, "
        "and the record is read there (issue 31)"
    ),
    user=RunAs(uid=1000, gid=1000),
    writes=("/data", "/tmp"),  # the data directory; the servers' unix sockets in /tmp
    tools=frozenset({"sh", "wget", "nc", "curl", "weed"}),
    sources=(
        Source("seaweedfs/seaweedfs", "4.40", "docker/Dockerfile.go_build"),
        Source("seaweedfs/seaweedfs", "4.40", "docker/entrypoint.sh"),
        SELF_HOSTED,
    ),
)
