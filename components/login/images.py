"""oauth2-proxy's image as its sources at the pinned release say it runs (components/image_facts.py)."""

from components.image_facts import ImageFacts, Source
from components.model import RunAs

# v7.15.5 fixed two critical authentication bypasses (skip-auth paths, spoofed client-IP headers) and v7.15.6
# eighteen CVEs of its Go build (CHANGELOG.md). Read in the release's Go module (the repository's stored copy
# ends at v7.15.3): its Makefile builds the image on gcr.io/distroless/static:nonroot and pushes it to
# quay.io/oauth2-proxy under the release's tag; no shell, no HTTP client, so probes are HTTP only.
OAUTH2_PROXY = ImageFacts(
    image="quay.io/oauth2-proxy/oauth2-proxy:v7.15.6",
    release="v7.15.6",
    newest="v7.15.6",
    user=RunAs(uid=65532, gid=65532),  # distroless "nonroot"
    writes=(),  # sessions live in the cookie; it writes no file
    tools=frozenset(),
    sources=(
        Source("oauth2-proxy/oauth2-proxy", "v7.15.6", "Dockerfile"),
        Source("oauth2-proxy/oauth2-proxy", "v7.15.6", "Makefile"),
    ),
)
