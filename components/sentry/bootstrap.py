"""The bootstrap, as install/*.sh of self-hosted runs it: Kafka topics, snuba's topics and ClickHouse
migrations, `sentry upgrade`, the admin user. Each is a one-shot job and idempotent: it can run again.
And upstream's cleanup cron, which keeps the retention: a scheduled job."""

import dataclasses

import pulumi

from components.model import SECRETS_DIR, Workload
from components.sentry import topology
from components.sentry.datastores import KAFKA_USER
from components.sentry.processes import WITH_SNUBA_SECRETS, Processes
from components.sentry.settings import SentrySettings

TOPICS_FILE = "/etc/dictamesh/topics.txt"


def topics_job(settings: SentrySettings, kafka: str) -> Workload:
    """Every topic of the event path with its settings (topology.TOPICS): created unless it exists, and its
    settings set on one that exists. Nothing reads a topic that is not there. One line a topic in TOPICS_FILE:
    its name, a tab, then its settings as kafka-configs takes them (a list in brackets)."""
    script = (
        "set -eu\n"
        "while IFS=$'\\t' read -r topic settings; do\n"
        f"  kafka-topics --bootstrap-server {kafka} --create --if-not-exists "
        '--topic "$topic" --partitions 1 --replication-factor 1\n'
        f'  kafka-configs --bootstrap-server {kafka} --alter --entity-type topics --entity-name "$topic" '
        '--add-config "$settings"\n'
        f"done < {TOPICS_FILE}\n"
    )
    return Workload(
        name=topology.TOPICS_JOB,
        component="sentry-bootstrap",
        image=settings.images.kafka,
        run_as=KAFKA_USER,
        resources=settings.resources.bootstrap,
        kind="job",
        command=["bash", "-c", script],
        files={TOPICS_FILE: topics_file()},
        deadline_seconds=600,
    )


def topics_file() -> str:
    """`topic<TAB>key=value,...`, a list value in brackets (kafka-configs' --add-config)."""

    def value(text: str) -> str:
        return f"[{text}]" if "," in text else text

    return "".join(
        f"{topic}\t" + ",".join(f"{key}={value(v)}" for key, v in sorted(settings.items())) + "\n"
        for topic, settings in topology.TOPICS.items()
    )


def snuba_job(processes: Processes) -> Workload:
    """Snuba's own topics, then every ClickHouse migration; both skip what is already done."""
    return processes.snuba(
        topology.SNUBA_JOB,
        "sentry-bootstrap",
        kind="job",
        script=f"{WITH_SNUBA_SECRETS} && snuba bootstrap --force --no-migrate && exec snuba migrations migrate --force",
        deadline_seconds=1800,
    )


def upgrade_job(processes: Processes) -> Workload:
    """Django migrations, the default organization and Sentry's own topics; the first run takes minutes."""
    return processes.sentry(
        topology.UPGRADE_JOB,
        "sentry-bootstrap",
        kind="job",
        args=["upgrade", "--noinput", "--create-kafka-topics"],
        deadline_seconds=3600,
    )


def cleanup_job(processes: Processes, schedule: str) -> Workload:
    """Upstream's sentry-cleanup cron: deletes events and their payloads older than the retention."""
    job = processes.sentry(
        topology.CLEANUP_JOB,
        "sentry-cleanup",
        kind="scheduled",
        command=["bash", "-c", 'exec sentry cleanup --days "$SENTRY_EVENT_RETENTION_DAYS"'],
        deadline_seconds=6 * 3600,
    )
    return dataclasses.replace(job, schedule=schedule)


def admin_job(processes: Processes, admin_email: str, password: pulumi.Output[str]) -> Workload:
    """createuser --force-update: creates the admin, or resets its password to the generated one.

    The password reaches createuser on its prompt, not its command line, where /proc/<pid>/cmdline
    would show it to every process of the pod: bash's builtins write it twice (password, then its
    confirmation) into the pipe, and createuser asks for nothing else when email and role are given.
    """
    password_file = f"{SECRETS_DIR}/admin-password"
    script = (
        f'set -eu -o pipefail\npassword="$(< {password_file})"\n'
        'printf \'%s\\n%s\\n\' "$password" "$password" | '
        'sentry createuser --email "$SENTRY_ADMIN_EMAIL" --superuser --force-update\n'
    )
    job = processes.sentry(
        topology.ADMIN_JOB, "sentry-bootstrap", kind="job", command=["bash", "-c", script], deadline_seconds=600
    )
    return dataclasses.replace(
        job,
        env={**job.env, "SENTRY_ADMIN_EMAIL": admin_email},
        secrets={**job.secrets, password_file: password},
    )
