"""The catalog's images as their upstream sources say they run (components/image_facts.py)."""

from components.image_facts import ImageFacts, Source
from components.model import RunAs

DOCKER_LIBRARY_POSTGRES = "6edb0a8c4def40c371514b34aef9037ec82d9110"

# pgvector's image is postgres:16-bookworm with the extension built in: the entrypoint, started as root,
# switches to postgres (uid and gid 999, `useradd -r ... --uid=999`), and runs as that user when started so.
# openssl: the Dockerfile installs postgresql-common, which Depends on ssl-cert, which Depends on openssl
# (Debian 12's package records, `apt-cache show postgresql-common ssl-cert`).
POSTGRES = ImageFacts(
    image="pgvector/pgvector:0.8.6-pg16",  # 0.8.2 fixed a buffer overflow in parallel HNSW builds
    release="0.8.6",
    newest="0.8.7",
    newest_why=(
        "0.8.7 (October 2026) fixes a buffer overflow in IVFFlat index builds, read in a changelog quoted "
        "elsewhere; no 0.8.7-pg16 image tag was confirmed here"
    ),
    user=RunAs(uid=999, gid=999),
    writes=("/var/lib/postgresql/data", "/var/run/postgresql", "/tmp"),
    tools=frozenset({"bash", "sh", "cat", "grep", "openssl", "pg_isready", "pg_ctl", "psql", "pg_dump", "pg_restore"}),
    sources=(
        Source("pgvector/pgvector", "v0.8.6", "Dockerfile"),
        Source("docker-library/postgres", DOCKER_LIBRARY_POSTGRES, "16/bookworm/Dockerfile"),
        Source("docker-library/postgres", DOCKER_LIBRARY_POSTGRES, "16/bookworm/docker-entrypoint.sh"),
    ),
)

EXPORTER = ImageFacts(
    image="quay.io/prometheuscommunity/postgres-exporter:v0.19.1",
    release="v0.19.1",
    newest="v0.19.1",
    user=RunAs(uid=65534, gid=65534),  # USER nobody on quay.io/prometheus/busybox
    writes=(),
    tools=frozenset({"sh", "wget", "nc"}),  # busybox applets
    sources=(Source("prometheus-community/postgres_exporter", "v0.19.1", "Dockerfile"),),
)
