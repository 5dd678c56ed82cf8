"""An hourly job that tells a TLS server to read its certificate again, for servers that do not on their own.

cert-manager renews a certificate before it expires (`inTransit.renewBefore`) and signals no one; the kubelet
swaps the files into the server's pod. PostgreSQL reads them again on a reload (`pg_reload_conf()`), Redis on
`CONFIG SET tls-cert-file ...`: this job asks every hour, so a renewal or a new issuer is served within the
hour. Asking when nothing changed costs nothing. The job fails when the server does not serve the file's
certificate afterwards.
"""

from collections.abc import Mapping, Sequence

import pulumi

from components.fields import Resources
from components.model import RunAs, Workload

SCHEDULE = "17 * * * *"  # hourly, off the hour
PERIOD_SECONDS = 3600
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
    files: Mapping[str, str] | None = None,
    compares: bool = False,
) -> Workload:
    """`command` runs in the server's own image, as a client that verifies the server against its CA; where it
    `compares`, with the server's certificate beside the CA."""
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
        files=files or {},
        secrets=secrets,
        tls_trust=server,
        tls_compare=compares,
    )


def reload_job(server: str) -> str:
    return f"{server}-tls-reload"
