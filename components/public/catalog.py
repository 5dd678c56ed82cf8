"""CatalogDatabase, as other programs use it: PostgreSQL with its roles and exporter, on the target its arguments
name."""

import pulumi

from components.catalog import component
from components.catalog.settings import CatalogSettings
from components.public.args import CatalogDatabaseArgs
from components.public.target import runtime_of, settings_of


class CatalogDatabase(pulumi.ComponentResource):
    """PostgreSQL 16 with pgvector, holding the DictaMesh metadata catalog: an application role, generated passwords
    that a converge job keeps in step, data on a persistent volume that outlives any replacement."""

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
        super().__init__("dictamesh:index:CatalogDatabase", name, {}, opts)
        catalog = component.CatalogDatabase(name, settings, runtime, pulumi.ResourceOptions(parent=self))
        self.host = pulumi.Output.from_input(catalog.host)
        self.port = pulumi.Output.from_input(catalog.port)
        self.database = pulumi.Output.from_input(catalog.database)
        self.user = pulumi.Output.from_input(catalog.user)
        self.host_address = pulumi.Output.from_input(catalog.host_address)  # type: ignore[arg-type]
        self.dsn = catalog.dsn
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "database": self.database,
                "user": self.user,
                "hostAddress": self.host_address,
                "dsn": self.dsn,
            }
        )
