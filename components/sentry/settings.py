"""Settings of self-hosted Sentry, under `dictamesh:sentry`."""

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel

from components.change import SWITCHED, OnChange, Verdict
from components.fields import ClaimSize, Cron, HostPort, Image, Memory, Resources, SecretText, Section, matching
from components.footprint import Footprint, pods
from components.image_facts import postgres_major
from components.model import SCRATCH_SIZE
from components.quantity import memory_bytes
from components.sentry import images
from components.sentry.topology import BOOTSTRAP, SENTRY_IMAGE_SIZES, SERVICES

Email = Annotated[str, matching(r"[^@\s]+@[^@\s]+", "an email address such as admin@example.com")]
HttpUrl = Annotated[str, matching(r"https?://[^\s/]+(/[^\s]*)?", "an http:// or https:// URL")]
Hostname = Annotated[str, matching(r"[A-Za-z0-9.-]+", "a host name such as smtp.example.com")]


class SentryImages(Section):
    """As release 26.8.0 of getsentry/self-hosted pins them; what each image is: components/sentry/images.py."""

    sentry: Image = images.SENTRY.image
    snuba: Image = images.SNUBA.image
    relay: Image = images.RELAY.image
    symbolicator: Image = images.SYMBOLICATOR.image
    taskbroker: Image = images.TASKBROKER.image
    postgres: Annotated[
        Image,
        OnChange(
            "rolling",
            "replaced",
            "a new minor restarts Sentry's PostgreSQL; a new major cannot read its data directory and is refused",
            remember=True,
        ),
    ] = images.POSTGRES.image
    redis: Image = images.VALKEY.image
    kafka: Image = images.KAFKA.image
    clickhouse: Image = images.CLICKHOUSE.image
    memcached: Image = images.MEMCACHED.image
    nginx: Image = images.NGINX.image
    objectstore: Image = images.SEAWEEDFS.image


class SentryResources(Section):
    """Limits per container; each consumer and each snuba consumer gets its own."""

    web: Resources = Resources(cpu="1", memory="896Mi")
    taskworker: Resources = Resources(cpu="500m", memory="640Mi")
    taskscheduler: Resources = Resources(cpu="100m", memory="256Mi")
    consumer: Resources = Resources(cpu="250m", memory="384Mi")
    events_consumer: Resources = Resources(cpu="500m", memory="448Mi")
    snuba_api: Resources = Resources(cpu="250m", memory="256Mi")
    snuba_consumer: Resources = Resources(cpu="100m", memory="160Mi")
    relay: Resources = Resources(cpu="250m", memory="192Mi")
    symbolicator: Resources = Resources(cpu="250m", memory="192Mi")
    taskbroker: Resources = Resources(cpu="100m", memory="128Mi")
    nginx: Resources = Resources(cpu="100m", memory="64Mi", ephemeral_storage="256Mi")
    postgres: Resources = Resources(cpu="500m", memory="384Mi")
    redis: Resources = Resources(cpu="100m", memory="256Mi")
    kafka: Resources = Resources(cpu="500m", memory="768Mi")
    clickhouse: Resources = Resources(cpu="500m", memory="768Mi")
    memcached: Resources = Resources(cpu="100m", memory="64Mi", ephemeral_storage="256Mi")
    objectstore: Resources = Resources(cpu="250m", memory="192Mi")
    bootstrap: Resources = Resources(cpu="500m", memory="1Gi")


class SentryStorage(Section):
    postgres: ClaimSize = "10Gi"
    redis: ClaimSize = "1Gi"
    kafka: ClaimSize = "10Gi"
    clickhouse: ClaimSize = "20Gi"
    objectstore: ClaimSize = "10Gi"
    symbolicator: ClaimSize = "5Gi"
    taskbroker: ClaimSize = "1Gi"


class Smtp(Section):
    """Outgoing mail; off by default. Set the password with `pulumi config set --secret --path`."""

    host: Hostname = Field(description="the SMTP server")
    port: int = Field(default=587, ge=1, le=65535, description="the SMTP server's port, let out of the namespace")
    username: str | None = Field(default=None, description="the SMTP user; unset: send without a login")
    password: SecretText | None = Field(default=None, description="the SMTP user's password")
    use_tls: bool = Field(default=True, description="STARTTLS on the connection")
    sender: Email = Field(description="the From address of Sentry's mail")


class SentrySettings(Section):
    enabled: Annotated[bool, SWITCHED] = True
    url_prefix: HttpUrl | None = Field(
        default=None,
        description="the URL users reach Sentry at; default: http://127.0.0.1:<hostPort> on docker, the exposed "
        "URL on kubernetes, else the in-cluster address of its nginx",
    )
    admin_email: Email = "admin@dictamesh.local"
    event_retention_days: int = Field(default=90, ge=1, le=3650, description="events older than this are purged")
    cleanup_schedule: Cron | None = Field(
        default="0 0 * * *",
        description="when `sentry cleanup` deletes what is older than eventRetentionDays (a CronJob; "
        "none on docker: run `make sentry-cleanup`)",
    )
    smtp: Smtp | None = Field(default=None, description="outgoing mail (invitations, alerts); unset: none")
    taskworker_concurrency: int = Field(default=2, ge=1, le=32, description="task processes per taskworker")
    egress_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(
        default=[443],
        description="ports Sentry's own processes may reach outside the cluster: HTTPS for Slack and other "
        "integrations and for source maps published on the web; SMTP's port is added when smtp is set",
    )
    host_port: Annotated[HostPort, OnChange("none", "live", "published by Sentry's nginx, which holds no data")] = 9000
    cache_size: Annotated[
        Memory, OnChange("rolling", "rolling", "each process of the Sentry image restarts with the new room at /data")
    ] = Field(
        default="512Mi",
        description="each Sentry process's scratch at /data, where it caches release and debug files (upstream "
        "keeps them on its sentry-data volume): on Kubernetes an emptyDir of that size, on Docker a tmpfs",
    )
    images: SentryImages = SentryImages()
    resources: SentryResources = SentryResources()
    storage: SentryStorage = SentryStorage()

    @model_validator(mode="after")
    def _caches_fit(self) -> Self:
        """The kubelet evicts a pod whose scratch (/data and /tmp) outgrows its ephemeral storage."""
        needed = memory_bytes(self.cache_size) + memory_bytes(SCRATCH_SIZE)
        for size in SENTRY_IMAGE_SIZES:
            given = getattr(self.resources, size).ephemeral_storage
            if memory_bytes(given) < needed:
                raise ValueError(
                    f"cacheSize = {self.cache_size!r}: resources.{to_camel(size)}.ephemeralStorage = {given!r} must "
                    f"hold it and /tmp ({SCRATCH_SIZE}); raise ephemeralStorage to {needed // 2**20}Mi or more, or "
                    "lower cacheSize"
                )
        return self

    @model_validator(mode="after")
    def _smtp_login(self) -> Self:
        if self.smtp and bool(self.smtp.username) != bool(self.smtp.password):
            raise ValueError("smtp.username and smtp.password: set both or neither")
        return self

    def judge_change(self, deployed: Mapping[str, Any]) -> Verdict:
        """`deployed`: this section's recorded values (components/deployed.py), by key."""
        verdict = Verdict()
        image = deployed.get("images.postgres")
        if image and postgres_major(image) != postgres_major(self.images.postgres):
            verdict.refused.append(
                f"sentry.images.postgres = {self.images.postgres!r}: Sentry's PostgreSQL data directory is "
                f"{postgres_major(image)}'s ({image}), which no other major can read; keep the major, or upgrade its "
                "data with self-hosted's own procedure first"
            )
        return verdict

    def outbound_ports(self) -> list[int]:
        return sorted({*self.egress_ports, *([self.smtp.port] if self.smtp else [])})

    def footprint(self) -> Footprint:
        """Every Sentry pod at its requests and its claims, and each bootstrap job's pod."""
        total = Footprint()
        for service in SERVICES:
            claim = getattr(self.storage, service.storage) if service.storage else None
            total += pods(getattr(self.resources, service.size), claims=[claim] if claim else [], surge=claim is None)
        cleanup = pods(self.resources.bootstrap) if self.cleanup_schedule else Footprint()
        return total + pods(self.resources.bootstrap, count=len(BOOTSTRAP)) + cleanup
