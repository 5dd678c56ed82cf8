"""A Prometheus exporter beside a service: the shape every component's metrics sidecar shares."""

from collections.abc import Mapping

import pulumi

from components.fields import Resources
from components.model import Port, Probe, RunAs, Workload


def metrics_exporter(
    name: str,
    *,
    image: str,
    resources: Resources,
    run_as: RunAs,
    port: int,
    health_path: str,
    env: Mapping[str, str],
    secrets: Mapping[str, pulumi.Output[str]],
    tls_trust: str | None = None,
) -> Workload:
    """An exporter on `port` that Prometheus alone may scrape; its image has busybox wget for the check."""
    return Workload(
        name=name,
        component="metrics-exporter",
        image=image,
        run_as=run_as,
        resources=resources,
        env=env,
        secrets=secrets,
        ports=[Port("metrics", port)],
        probe=Probe(
            command=["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{health_path}"],
            http_path=health_path,
            http_port=port,
        ),
        clients=["prometheus"],
        tls_trust=tls_trust,
    )
