"""How a PostgreSQL container is stopped where the target ignores the image's STOPSIGNAL.

The postgres images set STOPSIGNAL SIGINT, a fast shutdown, and Docker sends it. Kubernetes sends
SIGTERM, a smart shutdown that waits for every pooled client until the kill, and the next start then
runs crash recovery. The preStop command stops the server fast first.
"""


def fast_stop(timeout_seconds: int) -> list[str]:
    """pg_ctl finds the data directory in PGDATA, which both images' workloads set."""
    return ["pg_ctl", "stop", "--mode=fast", "--wait", f"--timeout={timeout_seconds}"]
