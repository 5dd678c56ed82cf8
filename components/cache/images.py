"""The cache's images as their upstream sources say they run (components/image_facts.py)."""

from components.image_facts import ImageFacts, Source
from components.model import RunAs

# started as root the entrypoint switches to redis (999:999) with gosu; started as that user it runs as it.
# 7.4.11 (August 2026) is the newest 7.4 release (redis/docs, redisce-7.4-release-notes.md), and its
# 7.4.11-bookworm tag is pinned by digest in other projects. Since 7.4.9 (three remote code executions fixed):
# 7.4.10, a stream RESTORE payload that frees memory still in use; 7.4.11, a use-after-free in TLS, two ACL
# key-permission bypasses, an RDB slot id that corrupts memory, a blocked-client use-after-free. No CVE ids.
# The Dockerfile could not be read at 7.4.11: the newest stored is 7.4.3's (the commit cited below), and from
# 7.4.1 to 7.4.3 only the version, its URL and checksum change; the user, /data and the entrypoint stay.
REDIS = ImageFacts(
    image="redis:7.4.11-bookworm",
    release="7.4.11",
    newest="7.4.11",
    user=RunAs(uid=999, gid=999),
    writes=("/data",),  # WORKDIR and VOLUME: the RDB and AOF files
    tools=frozenset({"bash", "sh", "cat", "grep", "redis-cli"}),
    sources=(
        Source("redis/docker-library-redis", "0642e8613deef6a2838814944485fd4a057b8fb4", "7.4/debian/Dockerfile"),
        Source("docker-library/redis", "e92049967d6baa9b4b3d6fd950553e6458e61f13", "docker-entrypoint.sh"),
    ),
)

EXPORTER = ImageFacts(
    image="oliver006/redis_exporter:v1.67.0-alpine",
    release="v1.67.0",
    newest="v1.67.0",
    user=RunAs(uid=59000, gid=59000),  # the alpine stage's `USER 59000:59000`
    writes=(),
    tools=frozenset({"sh", "wget", "nc"}),  # busybox applets of alpine
    sources=(Source("oliver006/redis_exporter", "v1.67.0", "Dockerfile"),),
)
