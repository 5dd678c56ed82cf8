"""A daily job that tells a TLS server to read its certificate again, for servers that do not on their own.

cert-manager renews a certificate 30 days before it expires and signals no one; the kubelet swaps the
files into the server's pod. PostgreSQL reads them again on a reload (`pg_reload_conf()`), Redis on
`CONFIG SET tls-cert-file ...`: this job asks once a day, so a renewed certificate is served within a
day of its issue, four weeks before the old one expires. Asking when nothing changed costs nothing.
"""

from collections.abc import Mapping, Sequence

import pulumi

from components.fields import Resources
from components.model import RunAs, Workload

SCHEDULE = "17 3 * * *"  # daily, off the hour
RESOURCES = Resources(cpu="50m", memory="64Mi", ephemeral_storage="64Mi")
SERVERS = ("postgres", "redis")  # the servers that need telling: Redpanda reloads its files itself


def tls_reload(
    server: str,
    *,
    image: str,
    run_as: RunAs,
    command: Sequence[str],
    env: Mapping[str, str],
    secrets: Mapping[str, pulumi.Output[str]],
) -> Workload:
    """`command` runs in the server's own image, as a client that verifies the server against its CA."""
    if server not in SERVERS:
        raise ValueError(f"{server}: not in tls_reload.SERVERS, which the namespace quota counts")
    return Workload(
        name=reload_job(server),
        component="tls-reload",
        image=image,
        run_as=run_as,
        resources=RESOURCES,
        kind="scheduled",
        schedule=SCHEDULE,
        deadline_seconds=300,
        command=list(command),
        env=env,
        secrets=secrets,
        tls_trust=server,
    )


def reload_job(server: str) -> str:
    return f"{server}-tls-reload"
