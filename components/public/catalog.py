"""CatalogDatabase, as other programs use it: PostgreSQL with its roles and exporter, on the target its arguments
name."""

import pulumi

from components.catalog import component
from components.catalog.settings import CatalogSettings
from components.public.args import CatalogDatabaseArgs
from components.public.target import ArgsError, publish, runtime_of, settings_of


class CatalogDatabase(pulumi.ComponentResource):
    """PostgreSQL 16 with pgvector for the DictaMesh metadata catalog; its data outlives any replacement."""

    host: pulumi.Output[str]
    """The DNS name other workloads on the target reach PostgreSQL at."""
    port: pulumi.Output[int]
    """PostgreSQL's port."""
    database: pulumi.Output[str]
    """The catalog's database."""
    user: pulumi.Output[str]
    """The application's role."""
    host_address: pulumi.Output[str]
    """`127.0.0.1:<port>` for clients on the developer's machine: the docker target only."""
    dsn: pulumi.Output[str]
    """`postgresql://<user>:<password>@<host>:<port>/<database>`, verifying the server with TLS; a secret."""

    def __init__(self, name: str, args: CatalogDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = settings_of(CatalogSettings, CatalogDatabaseArgs, args, "CatalogDatabase", name)
        runtime = runtime_of(args, "CatalogDatabase", name, opts)  # both refuse bad arguments before any resource
        if settings.backup.enabled and args["target"].get("docker") is not None:
            raise ArgsError(
                f"CatalogDatabase {name!r}: backup.enabled = True: scheduled backups are a CronJob of the kubernetes "
                "target; on docker, take dumps with pg_dump at host_address"
            )
        super().__init__("dictamesh:index:CatalogDatabase", name, {}, opts)
        publish(self, component.CatalogDatabase(name, settings, runtime, pulumi.ResourceOptions(parent=self)))
