"""Settings of the catalog database, under `dictamesh:catalog`."""

from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, model_validator

from components.catalog import images
from components.change import CLIENTS, CONVERGED, STATELESS, OnChange, Verdict
from components.fields import (
    APP_CLIENTS,
    EXPORTER_RESOURCES,
    ClaimSize,
    Cron,
    HostPort,
    Image,
    Resources,
    Section,
    matching,
)
from components.footprint import Footprint, pods
from components.image_facts import postgres_major
from components.quantity import memory_bytes

PostgresMemory = Annotated[str, matching(r"[0-9]+(kB|MB|GB|TB)", "a PostgreSQL size in kB, MB, GB or TB, e.g. 256MB")]
SqlName = Annotated[str, matching(r"[a-z_][a-z0-9_]{0,62}", "a lower-case SQL identifier, e.g. dictamesh")]


# connections kept from the application: the server's superusers (3), the exporter (5), the backup (2), the jobs
RESERVED_CONNECTIONS = 20


class PostgresTuning(Section):
    shared_buffers: PostgresMemory = Field(default="256MB", description="PostgreSQL's own page cache")
    effective_cache_size: PostgresMemory = Field(
        default="1GB", description="what the planner assumes the OS and PostgreSQL cache together"
    )
    work_mem: PostgresMemory = Field(
        default="16MB", description="per sort or hash of a query, before it spills to disk"
    )
    maintenance_work_mem: PostgresMemory = Field(default="64MB", description="for VACUUM and index builds")
    max_connections: int = Field(
        default=100,
        ge=RESERVED_CONNECTIONS + 10,
        le=5000,
        description=f"the application's role may open all but {RESERVED_CONNECTIONS} of them",
    )


class BackupSettings(Section):
    """Scheduled dumps of the catalog (pg_dump, as the read-only backup role) into a claim of their own."""

    enabled: Annotated[
        bool,
        OnChange(
            "live",
            "none",
            "off: the CronJobs go, the claim stays with its dumps, out of the stack (refused while protected: prod); "
            "on again: the claim left behind is taken back",
        ),
    ] = Field(
        default=False,
        description="a CronJob dumps the catalog on the schedule, and a suspended one restores a dump "
        "(docs/runbook.md); the kubernetes target only",
    )
    schedule: Cron = Field(
        default="0 2 * * *",
        description="when a backup starts, in kube-controller-manager's time zone (UTC on most clusters)",
    )
    retention_days: int = Field(
        default=7, ge=1, le=365, description="older dumps are deleted before a new one is written; the newest stays"
    )
    storage: ClaimSize = Field(default="20Gi", description="the backups' claim")
    timeout_minutes: int = Field(
        default=60, ge=5, le=1440, description="a backup still running after this is stopped and counted failed"
    )
    resources: Resources = Field(
        default=Resources(cpu="250m", memory="512Mi", ephemeral_storage="1Gi"),
        description="the backup and restore jobs' container",
    )


FIRST_MAJOR = 16  # the major every stack was founded on

# Roles the catalog creates for itself: the application's role must be another one.
CATALOG_SUPERUSER, CATALOG_MONITOR, CATALOG_BACKUP = "postgres", "dictamesh_monitor", "dictamesh_backup"
CATALOG_RELOAD = "dictamesh_tls_reload"  # on TLS stacks: may run pg_reload_conf() and nothing else
CATALOG_ROLES = (CATALOG_SUPERUSER, CATALOG_MONITOR, CATALOG_BACKUP, CATALOG_RELOAD)


def _app_role(name: str) -> str:
    """not postgres, dictamesh_monitor, dictamesh_backup, dictamesh_tls_reload or pg_*"""
    if name in CATALOG_ROLES:
        raise ValueError(f"taken by the catalog's own {', '.join(CATALOG_ROLES)} roles; choose another name")
    if name.startswith("pg_"):
        raise ValueError("names starting with pg_ are reserved for PostgreSQL's built-in roles")
    return name


class CatalogSettings(Section):
    image: Annotated[
        Image,
        OnChange(
            "rolling",
            "replaced",
            "a new minor or pgvector release: the server restarts, and the converge job updates the vector "
            "extension; the image's PostgreSQL major must be majorVersion",
        ),
    ] = Field(default=images.POSTGRES.image, description="PostgreSQL with pgvector")
    major_version: Annotated[
        int,
        OnChange(
            "replaced",
            "replaced",
            "PostgreSQL cannot read another major's data directory: the new major starts on a new, empty claim "
            "(volume) beside the old one, which keeps the old data; dump before and restore after "
            "(docs/runbook.md, 'Upgrading PostgreSQL to a new major version')",
            remember=True,
        ),
    ] = Field(
        default=FIRST_MAJOR,
        ge=14,
        le=18,
        description="the PostgreSQL major of the data directory: the image's must match",
    )
    exporter_image: Annotated[Image, STATELESS] = Field(
        default=images.EXPORTER.image, description="postgres_exporter's image, which Prometheus scrapes"
    )
    exporter_resources: Annotated[Resources, STATELESS] = Field(
        default=EXPORTER_RESOURCES, description="the exporter's container"
    )
    database: Annotated[
        SqlName,
        OnChange(
            "live",
            "live",
            "the converge job renames the deployed database when renameFrom names it; any other new name is "
            "refused: the data and the backups' source would part",
            remember=True,
        ),
    ] = "dictamesh_catalog"
    rename_from: Annotated[SqlName | None, CONVERGED] = Field(
        default=None,
        description="the deployed database to rename to `database`: the converge job closes its sessions and "
        "renames it (a no-op once done)",
    )
    app_user: Annotated[
        SqlName,
        AfterValidator(_app_role),
        OnChange(
            "live",
            "live",
            "the converge job makes the new role; the old one can no longer log in (NOLOGIN, no password)",
        ),
    ] = "dictamesh"
    host_port: HostPort = Field(default=5432, description="docker: where PostgreSQL is published on 127.0.0.1")
    storage: ClaimSize = Field(default="10Gi", description="the data volume")
    resources: Resources = Field(default=Resources(cpu="500m", memory="1Gi"), description="the PostgreSQL container's")
    tuning: PostgresTuning = Field(
        default=PostgresTuning(), description="memory and connection settings of postgresql.conf"
    )
    backup: Annotated[BackupSettings, OnChange("live", "none")] = Field(
        default=BackupSettings(), description="scheduled dumps, on the kubernetes target"
    )
    converge_resources: Annotated[Resources, STATELESS] = Field(
        default=Resources(cpu="100m", memory="128Mi", ephemeral_storage="256Mi"),
        description="the converge job's container, which keeps the roles, passwords and extensions in step",
    )
    sample_data: Annotated[
        bool,
        OnChange(
            "none",
            "none",
            "read on an empty data directory only: turned on later it loads nothing, turned off it deletes nothing",
        ),
    ] = Field(
        default=False,
        description="load the seed's sample entities, lineage and events on first start (dev only by default: "
        "its event-log rows take real topic offsets)",
    )
    clients: Annotated[list[str], CLIENTS] = Field(default=APP_CLIENTS, description="workloads allowed to connect")

    @model_validator(mode="after")
    def _major_matches(self) -> Self:
        major = postgres_major(self.image)
        if major != self.major_version:
            found = f"PostgreSQL {major}" if major else "no PostgreSQL major in its tag (-pgNN, or postgres:NN)"
            raise ValueError(
                f"image = {self.image!r}: it runs {found}, and majorVersion is {self.major_version}, the major of "
                "the data directory, which no other major can read: set both together (docs/runbook.md, "
                "'Upgrading PostgreSQL to a new major version')"
            )
        if self.rename_from == self.database:
            raise ValueError(f"renameFrom = {self.rename_from!r}: names database itself; unset it")
        return self

    def judge_change(self, deployed: Mapping[str, Any]) -> Verdict:
        """`deployed`: this section's recorded values (components/deployed.py), by key."""
        verdict = Verdict()
        database = deployed.get("database")
        if database and database not in (self.database, self.rename_from):
            verdict.refused.append(
                f"catalog.database = {self.database!r}: the catalog's data is in {database!r}, which a new name "
                f"would leave behind while the backups follow the new, empty one; set catalog.renameFrom: "
                f"{database} to rename it, or set catalog.database back"
            )
        major = deployed.get("majorVersion")
        if major and major != self.major_version:
            verdict.warned.append(
                f"catalog.majorVersion {major} -> {self.major_version}: PostgreSQL {self.major_version} starts on a "
                f"new, empty claim ({data_volume(self.major_version)}); the old one keeps the data of "
                f"{major}. Restore the dump you took before (docs/runbook.md, 'Upgrading PostgreSQL to a new major "
                "version')"
            )
        return verdict

    @model_validator(mode="after")
    def _buffers_fit(self) -> Self:
        memory = memory_bytes(self.resources.memory)
        if postgres_bytes(self.tuning.shared_buffers) * 2 > memory:
            raise ValueError(
                f"tuning.sharedBuffers = {self.tuning.shared_buffers!r}: must be at most half of "
                f"resources.memory {self.resources.memory}"
            )
        tuning = self.tuning
        if postgres_bytes(tuning.shared_buffers) + postgres_bytes(tuning.maintenance_work_mem) > memory:
            raise ValueError(
                f"tuning.maintenanceWorkMem = {tuning.maintenance_work_mem!r}: with sharedBuffers "
                f"{tuning.shared_buffers} it exceeds resources.memory {self.resources.memory}, and an index build "
                "(pgvector's HNSW above all) takes up to maintenanceWorkMem beside the buffers: the kernel would kill "
                "the server; lower it or raise resources.memory"
            )
        return self

    def footprint(self) -> Footprint:
        """PostgreSQL and its claim, the exporter (a Deployment), the converge job, the backup job with its claim
        and the restore job."""
        total = pods(self.resources, claims=[self.storage]) + pods(self.exporter_resources, surge=True)
        total += pods(self.converge_resources)
        if self.backup.enabled:  # and the restore job an operator may start beside it
            total += pods(self.backup.resources, claims=[self.backup.storage]) + pods(self.backup.resources)
        return total


def data_volume(major: int) -> str:
    """The volume (claim template) a major's data directory lives on: 16's keeps the name it always had."""
    return "data" if major == FIRST_MAJOR else f"data-pg{major}"


def postgres_bytes(size: str) -> int:
    """PostgreSQL reads 'MB' as 1024*1024 bytes."""
    units = {"kB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}
    return int(size[:-2]) * units[size[-2:]]
