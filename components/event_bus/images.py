"""The event bus's images (components/image_facts.py).

Redpanda builds both images in private pipelines: no Dockerfile of either release is public. Their
records hold what Redpanda's own charts run them with, and nothing more is assumed: the Console gets
no exec probe, since no public source shows a tool in its image.
"""

from components.image_facts import ImageFacts, Source
from components.model import RunAs

CHARTS = "redpanda-data/redpanda-operator"

REDPANDA = ImageFacts(
    image="docker.redpanda.com/redpandadata/redpanda:v26.2.3",
    release="v26.2.3",
    user=RunAs(uid=101, gid=101),  # the chart's runAsUser and fsGroup
    # rpk rewrites redpanda.yaml through a temporary file beside it: the whole directory must be writable
    writes=("/etc/redpanda", "/var/lib/redpanda/data", "/tmp"),
    tools=frozenset({"bash", "sh", "grep", "curl", "rpk"}),  # the chart's probes and hooks run these in it
    sources=(
        Source(CHARTS, "charts/redpanda/v26.2.2", "charts/redpanda/statefulset.go"),
        Source(CHARTS, "charts/redpanda/v26.2.2", "charts/redpanda/chart/values.yaml"),
        Source("redpanda-data/redpanda", "1c6cff34ea8b4b65db02eb603d21dfef59c0f61c", "src/go/rpk/pkg/os/file.go"),
    ),
)

CONSOLE = ImageFacts(
    image="docker.redpanda.com/redpandadata/console:v3.3.2",
    release="v3.3.2",
    user=RunAs(uid=99, gid=99),  # the Console chart's runAsUser and fsGroup
    writes=(),  # the backend writes no file
    tools=frozenset(),
    sources=(
        Source(CHARTS, "charts/console/v3.3.0", "charts/console/chart/values.yaml"),
        Source(CHARTS, "charts/console/v3.3.0", "charts/console/deployment.go"),
        Source("redpanda-data/console", "v3.3.2", "backend/pkg/api/routes.go"),
    ),
)
