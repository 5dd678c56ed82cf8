"""The event bus's images (components/image_facts.py).

Redpanda builds both images in private pipelines: no Dockerfile of either release is public. Their
records hold what Redpanda's own charts run them with, and nothing more is assumed: the Console gets
no exec probe, since no public source shows a tool in its image.
"""

import re

from components.image_facts import ImageFacts, Source
from components.model import RunAs

CHARTS = "redpanda-data/redpanda-operator"

REDPANDA = ImageFacts(
    image="docker.redpanda.com/redpandadata/redpanda:v26.2.3",
    release="v26.2.3",
    newest="v26.2.4",
    newest_why="seen only as other projects' image pins; its release notes could not be read here",
    user=RunAs(uid=101, gid=101),  # the chart's runAsUser and fsGroup
    # rpk rewrites redpanda.yaml through a temporary file beside it: the whole directory must be writable
    writes=("/etc/redpanda", "/var/lib/redpanda/data", "/tmp"),
    # the chart's probes and lifecycle hooks run these in it (statefulset.go, secrets.go)
    tools=frozenset({"bash", "sh", "grep", "sed", "curl", "timeout", "rpk"}),
    sources=(
        Source(CHARTS, "charts/redpanda/v26.2.2", "charts/redpanda/statefulset.go"),
        Source(CHARTS, "charts/redpanda/v26.2.2", "charts/redpanda/chart/values.yaml"),
        Source(CHARTS, "charts/redpanda/v26.2.2", "charts/redpanda/secrets.go"),
        Source("redpanda-data/redpanda", "1c6cff34ea8b4b65db02eb603d21dfef59c0f61c", "src/go/rpk/pkg/os/file.go"),
    ),
)

CONSOLE = ImageFacts(
    image="docker.redpanda.com/redpandadata/console:v3.3.2",
    release="v3.3.2",
    newest="v3.3.2",
    user=RunAs(uid=99, gid=99),  # the Console chart's runAsUser and fsGroup
    writes=(),  # the backend writes no file
    tools=frozenset(),
    sources=(
        Source(CHARTS, "charts/console/v3.3.0", "charts/console/chart/values.yaml"),
        Source(CHARTS, "charts/console/v3.3.0", "charts/console/deployment.go"),
        Source("redpanda-data/console", "v3.3.2", "backend/pkg/api/routes.go"),
    ),
)


# Redpanda's feature releases in order: an upgrade moves one step at a time ("Skipping feature releases is not
# supported", redpanda-data/docs modules/upgrade/partials/rolling-upgrades/upgrade-limitations.adoc); the list is
# the docs' version branches v/23.3 to v/26.1 and main (26.2). A new one is added after reading its upgrade notes.
FEATURE_RELEASES = ("23.3", "24.1", "24.2", "24.3", "25.1", "25.2", "25.3", "26.1", "26.2")


def feature_release(image: str) -> str | None:
    """`26.2` of `...redpanda:v26.2.3` (a digest after the tag is allowed); None when the tag names no version."""
    found = re.search(r":v?([0-9]+\.[0-9]+)\.[0-9]+(?:@|$)", image.rsplit("/", maxsplit=1)[-1])
    return found.group(1) if found else None
