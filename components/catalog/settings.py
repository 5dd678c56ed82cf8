"""Settings of the catalog database, under `dictamesh:catalog`."""

from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from components.catalog import images
from components.fields import (
    APP_CLIENTS,
    EXPORTER_RESOURCES,
    ON_CHANGE,
    Cron,
    HostPort,
    Image,
    Memory,
    Resources,
    Section,
    matching,
)
from components.footprint import Footprint, pods
from components.quantity import memory_bytes

PostgresMemory = Annotated[str, matching(r"[0-9]+(kB|MB|GB|TB)", "a PostgreSQL size in kB, MB, GB or TB, e.g. 256MB")]
SqlName = Annotated[str, matching(r"[a-z_][a-z0-9_]{0,62}", "a lower-case SQL identifier, e.g. dictamesh")]


class PostgresTuning(Section):
    shared_buffers: PostgresMemory = "256MB"
    effective_cache_size: PostgresMemory = "1GB"
    work_mem: PostgresMemory = "16MB"
    maintenance_work_mem: PostgresMemory = "64MB"
    max_connections: int = Field(default=100, ge=10, le=5000)


class BackupSettings(Section):
    enabled: bool = False
    schedule: Cron = "0 2 * * *"
    retention_days: int = Field(default=7, ge=1, le=365)
    storage: Memory = "20Gi"
    timeout_minutes: int = Field(
        default=60, ge=5, le=1440, description="a backup still running after this is stopped and counted failed"
    )
    resources: Resources = Resources(cpu="250m", memory="512Mi", ephemeral_storage="1Gi")


# Roles the catalog creates for itself: the application's role must be another one.
CATALOG_SUPERUSER, CATALOG_MONITOR, CATALOG_BACKUP = "postgres", "dictamesh_monitor", "dictamesh_backup"


def _app_role(name: str) -> str:
    """not postgres, dictamesh_monitor, dictamesh_backup or pg_*"""
    if name in (CATALOG_SUPERUSER, CATALOG_MONITOR, CATALOG_BACKUP):
        raise ValueError(
            f"taken by the catalog's own {CATALOG_SUPERUSER}, {CATALOG_MONITOR} and {CATALOG_BACKUP} roles; "
            "choose another name"
        )
    if name.startswith("pg_"):
        raise ValueError("names starting with pg_ are reserved for PostgreSQL's built-in roles")
    return name


class CatalogSettings(Section):
    image: Image = Field(
        default=images.POSTGRES.image,
        json_schema_extra={
            ON_CHANGE: "a new minor version or pgvector release rolls the server, and the converge job updates the "
            "vector extension to the image's release; a new PostgreSQL major version "
            "cannot read the old data directory: dump, then restore into a new claim (docs/runbook.md)"
        },
    )
    exporter_image: Image = images.EXPORTER.image
    exporter_resources: Resources = EXPORTER_RESOURCES
    database: SqlName = Field(
        default="dictamesh_catalog",
        json_schema_extra={
            ON_CHANGE: "the converge job creates the new database with the schema and privileges; the old one "
            "keeps its data (move it with pg_dump and pg_restore)"
        },
    )
    app_user: Annotated[SqlName, AfterValidator(_app_role)] = "dictamesh"
    host_port: HostPort = 5432
    storage: Memory = "10Gi"
    resources: Resources = Resources(cpu="500m", memory="1Gi")
    tuning: PostgresTuning = PostgresTuning()
    backup: BackupSettings = BackupSettings()
    converge_resources: Resources = Resources(cpu="100m", memory="128Mi", ephemeral_storage="256Mi")
    sample_data: bool = Field(
        default=False,
        description="load the seed's sample entities, lineage and events on first start (dev only by default: "
        "its event-log rows take real topic offsets)",
        json_schema_extra={
            ON_CHANGE: "read on an empty data directory only: turned on later it loads nothing, turned off it "
            "deletes nothing"
        },
    )
    clients: list[str] = Field(default=APP_CLIENTS, description="workloads allowed to connect")

    @model_validator(mode="after")
    def _buffers_fit(self) -> Self:
        if postgres_bytes(self.tuning.shared_buffers) * 2 > memory_bytes(self.resources.memory):
            raise ValueError(
                f"tuning.sharedBuffers = {self.tuning.shared_buffers!r}: must be at most half of "
                f"resources.memory {self.resources.memory}"
            )
        return self

    def footprint(self) -> Footprint:
        """PostgreSQL and its claim, the exporter (a Deployment), the converge job, the backup job with its claim."""
        total = pods(self.resources, claims=[self.storage]) + pods(self.exporter_resources, surge=True)
        total += pods(self.converge_resources)
        if self.backup.enabled:
            total += pods(self.backup.resources, claims=[self.backup.storage])
        return total


def postgres_bytes(size: str) -> int:
    """PostgreSQL reads 'MB' as 1024*1024 bytes."""
    units = {"kB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}
    return int(size[:-2]) * units[size[-2:]]
