"""CatalogDatabase: PostgreSQL 16 with pgvector holding the DictaMesh metadata catalog."""

import pulumi

from components.catalog import alerts, files, images
from components.catalog.postgres_stop import fast_stop
from components.catalog.settings import CatalogSettings, data_volume
from components.exporter import metrics_exporter
from components.model import CA_FILE, SECRETS_DIR, SERVER_CERT_FILE, Port, Probe, Runtime, Telemetry, Volume, Workload
from components.runtime.kubernetes.tls_reload import reload_job, tls_reload
from components.secrets import generated_password, password_verifier

POSTGRES_USER = images.POSTGRES.runs_as
EXPORTER_USER = images.EXPORTER.runs_as
CONVERGE = "postgres-converge"
BACKUPS = "/backups"


class CatalogDatabase(pulumi.ComponentResource):
    host: str
    port: int
    database: str
    user: str
    host_address: str | None
    dsn: pulumi.Output[str]
    telemetry: Telemetry

    def __init__(
        self, name: str, args: CatalogSettings, runtime: Runtime, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dictamesh:catalog:CatalogDatabase", name, None, opts)
        tls = self._tls = runtime.encrypts
        logins = [secret for secret, _ in files.login_roles(args, tls).values()]
        passwords = {role: generated_password(f"{name}-{role}-password", self) for role in ("superuser", *logins)}
        # what the server stores of each login role: the converge job sets these, never a password
        verifiers = {role: password_verifier(f"{name}-{role}-password", passwords[role], self) for role in logins}
        superuser_file = f"{SECRETS_DIR}/superuser-password"
        self._tls_trust = "postgres" if tls else None
        verify = f"sslmode=verify-full&sslrootcert={CA_FILE}"
        exporter_ssl = verify if tls else "sslmode=disable"
        port = Port("postgres", 5432, host_port=args.host_port)
        config = {files.CONFIG_FILE: files.postgresql_conf(args.tuning, tls)}
        server = Workload(
            name="postgres",
            component="database",
            image=args.image,
            run_as=POSTGRES_USER,
            resources=args.resources,
            args=["postgres", "-c", f"config_file={files.CONFIG_FILE}"],
            env={
                "POSTGRES_DB": args.database,
                "POSTGRES_USER": files.SUPERUSER,
                "POSTGRES_PASSWORD_FILE": superuser_file,
                "PGDATA": files.PGDATA,
            },
            files={**config, files.HBA_FILE: files.pg_hba_conf()} if tls else config,
            init_files={f"{files.INITDB_DIR}/{n}": sql for n, sql in files.init_scripts(args).items()},
            # initdb sets the superuser's password; the server reads no other: a rotation restarts nothing
            secrets={superuser_file: passwords["superuser"]},
            no_restart=frozenset({superuser_file}),
            ports=[port],
            # a new major starts on a volume of its own: the old one keeps the data no other major can read
            volumes={data_volume(args.major_version): Volume("/var/lib/postgresql/data", args.storage)},
            scratch=["/tmp", "/var/run/postgresql"],
            # TCP, not the socket: the image's first-start server listens on the socket alone. Crash
            # recovery after a kill replays the WAL since the last checkpoint: as long as Redis gets
            probe=Probe(
                command=["pg_isready", "-h", "127.0.0.1", "-U", files.SUPERUSER, "-d", args.database],
                startup_seconds=600,
            ),
            stop_command=fast_stop(files.STOP_SECONDS),
            stop_grace_seconds=files.STOP_SECONDS + 30,
            clients=[
                "postgres-exporter",
                "postgres-backup",
                "postgres-restore",
                CONVERGE,
                *([reload_job("postgres")] if tls else []),
                *args.clients,
            ],
            shm_size=files.shm_size(args.tuning),
            tls_server=tls,
        )
        ready = runtime.deploy(server, self)
        self.host = runtime.address(server.name)
        self.port = port.port
        # how a job of this component reaches the server
        self._client_env = {"PGHOST": self.host, "PGPORT": str(self.port), **(files.client_tls_env() if tls else {})}
        self.database = args.database
        self.user = args.app_user
        self.host_address = runtime.published(port)

        runtime.deploy(
            metrics_exporter(
                "postgres-exporter",
                image=args.exporter_image,
                resources=args.exporter_resources,
                run_as=EXPORTER_USER,
                port=alerts.EXPORTER_PORT,
                health_path="/",  # the landing page: /metrics would run a full scrape on every check
                env={
                    "DATA_SOURCE_URI": f"{self.host}:{port.port}/{args.database}?{exporter_ssl}",
                    "DATA_SOURCE_USER": files.MONITOR_USER,
                    "DATA_SOURCE_PASS_FILE": f"{SECRETS_DIR}/monitor-password",
                },
                secrets={f"{SECRETS_DIR}/monitor-password": passwords["monitor"]},
                tls_trust=self._tls_trust,
            ),
            self,
            depends_on=ready,
        )
        runtime.deploy(self._converge(args, passwords["superuser"], verifiers), self, depends_on=ready)
        if args.backup.enabled:
            runtime.deploy(self._backup(args, passwords["backup"]), self, depends_on=ready)
            runtime.deploy(self._restore(args, passwords["superuser"]), self, depends_on=ready)
        if tls:
            runtime.deploy(self._tls_reload(args, passwords["tls-reload"]), self, depends_on=ready)

        self.telemetry = alerts.telemetry(args.database)
        self.dsn = pulumi.Output.secret(
            pulumi.Output.format(
                "postgresql://{0}:{1}@{2}:{3}/{4}{5}",
                args.app_user,
                passwords["app"],
                self.host,
                port.port,
                args.database,
                f"?{verify}" if tls else "",
            )
        )
        self.register_outputs(
            {"host": self.host, "port": self.port, "database": self.database, "user": self.user, "dsn": self.dsn}
        )

    def _converge(
        self, args: CatalogSettings, superuser_password: pulumi.Output[str], verifiers: dict[str, pulumi.Output[str]]
    ) -> Workload:
        """The database, roles, verifiers, schema and privileges as the settings say, on a running server.

        A change to any of them changes the job's files or secrets, and so runs it again.
        """
        script, sql_dir = "/opt/dictamesh/catalog-converge.sh", "/etc/dictamesh/catalog-sql"
        return Workload(
            name=CONVERGE,
            component="database-converge",
            image=args.image,
            run_as=POSTGRES_USER,
            resources=args.converge_resources,
            kind="job",
            deadline_seconds=600,
            command=["/bin/sh", script],
            env={
                **self._client_env,
                "PGUSER": files.SUPERUSER,
                "SUPERUSER_PASSWORD_FILE": f"{SECRETS_DIR}/superuser-password",
                "CATALOG_DATABASE": args.database,
                **({"RENAME_FROM": args.rename_from} if args.rename_from else {}),
                "SQL_DIR": sql_dir,
            },
            files={
                script: files.script("catalog-converge.sh"),
                **{f"{sql_dir}/{name}": sql for name, sql in files.converge_scripts(args, self._tls).items()},
            },
            secrets={
                f"{SECRETS_DIR}/superuser-password": superuser_password,
                **{f"{SECRETS_DIR}/{role}-verifier": verifier for role, verifier in verifiers.items()},
            },
            tls_trust=self._tls_trust,
        )

    def _backup(self, args: CatalogSettings, backup_password: pulumi.Output[str]) -> Workload:
        """Nightly, as the read-only backup role: the pod holds no other credential."""
        script = "/opt/dictamesh/catalog-backup.sh"
        return Workload(
            name="postgres-backup",
            component="backup",
            image=args.image,
            run_as=POSTGRES_USER,
            resources=args.backup.resources,
            kind="scheduled",
            schedule=args.backup.schedule,
            deadline_seconds=args.backup.timeout_minutes * 60,
            command=["/bin/sh", script],
            env={
                **self._client_env,
                "PGDATABASE": args.database,
                "PGUSER": files.BACKUP_USER,
                "PGPASSWORD_FILE": f"{SECRETS_DIR}/backup-password",
                "BACKUP_DIR": BACKUPS,
                "RETENTION_DAYS": str(args.backup.retention_days),
                "JOB_MINUTES": str(args.backup.timeout_minutes),
            },
            files={script: files.script("catalog-backup.sh")},
            secrets={f"{SECRETS_DIR}/backup-password": backup_password},
            volumes={"backups": Volume(BACKUPS, args.backup.storage)},
            tls_trust=self._tls_trust,
        )

    def _restore(self, args: CatalogSettings, superuser_password: pulumi.Output[str]) -> Workload:
        """A restore an operator starts from a dump on the backup claim (docs/runbook.md): the superuser's job."""
        script, privileges = "/opt/dictamesh/catalog-restore.sh", "/etc/dictamesh/catalog-sql/03-privileges.sql"
        return Workload(
            name="postgres-restore",
            component="restore",
            image=args.image,
            run_as=POSTGRES_USER,
            resources=args.backup.resources,
            kind="manual",
            deadline_seconds=args.backup.timeout_minutes * 60,
            command=["/bin/sh", script],
            env={
                **self._client_env,
                "PGDATABASE": args.database,
                "RESTORE_USER": files.SUPERUSER,
                "RESTORE_PASSWORD_FILE": f"{SECRETS_DIR}/superuser-password",
                "PRIVILEGES_FILE": privileges,
                "BACKUP_DIR": BACKUPS,
            },
            files={script: files.script("catalog-restore.sh"), privileges: files.privileges_sql(args)},
            secrets={f"{SECRETS_DIR}/superuser-password": superuser_password},
            volumes={"backups": Volume(BACKUPS, args.backup.storage, borrowed_from="postgres-backup")},
            tls_trust=self._tls_trust,
        )

    def _tls_reload(self, args: CatalogSettings, reload_password: pulumi.Output[str]) -> Workload:
        """pg_reload_conf() as a role that may run nothing else. The server re-reads its certificate and key,
        and keeps the old pair when the new one is broken while the call still returns true: the job then
        compares what the server presents with the certificate file, and fails unless they are the same."""
        password_file = f"{SECRETS_DIR}/tls-reload-password"
        return tls_reload(
            "postgres",
            image=args.image,
            run_as=POSTGRES_USER,
            command=["/bin/sh", "/opt/dictamesh/catalog-tls-reload.sh"],
            env={
                **self._client_env,
                "PGUSER": files.RELOAD_USER,
                "PGDATABASE": "postgres",
                "PASSWORD_FILE": password_file,
                "SERVER_CERT_FILE": SERVER_CERT_FILE,
            },
            files={"/opt/dictamesh/catalog-tls-reload.sh": files.script("catalog-tls-reload.sh")},
            secrets={password_file: reload_password},
            compares=True,
        )
