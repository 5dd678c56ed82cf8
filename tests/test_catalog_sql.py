"""The catalog's generated config and SQL on a real PostgreSQL server with pgvector and pg_trgm."""

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from secrets import token_hex

import pg8000.native
import pytest

from components.catalog import files
from components.catalog.settings import CatalogSettings
from tests.harness import Recording
from tests.postgres import POSTGRES_BIN_PATH, PostgresServer, PsqlError

SETTINGS = CatalogSettings(sample_data=True)  # every script runs, the sample data too
DB = SETTINGS.database
TABLES = [
    "dictamesh_cache_status",
    "dictamesh_data_lineage",
    "dictamesh_entity_catalog",
    "dictamesh_entity_relationships",
    "dictamesh_event_log",
    "dictamesh_schemas",
]
PASSWORDS = {role: token_hex(16) for role in ("superuser", "app", "monitor", "backup")}


def provision(secrets: Path, scripts: Path) -> PostgresServer:
    """A server as the image's first start leaves it: config, database, init scripts run in order."""
    scripts.mkdir(parents=True, exist_ok=True)
    secrets.mkdir(parents=True, exist_ok=True)
    for role, password in PASSWORDS.items():
        (secrets / f"{role}-password").write_text(password)
    for name, content in files.init_scripts(SETTINGS, secrets_dir=str(secrets)).items():
        (scripts / name).write_text(content)
    config = scripts / "postgresql.conf"
    config.write_text(files.postgresql_conf(SETTINGS.tuning, tls=False))
    server = PostgresServer(config, PASSWORDS["superuser"])
    server.psql(f"CREATE DATABASE {DB}")
    run_init_scripts(server, scripts)
    return server


def run_init_scripts(server: PostgresServer, scripts: Path) -> None:
    for script in sorted(scripts.glob("*.sql")):
        server.run_file(script, DB)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("catalog")


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[PostgresServer]:
    server = provision(workdir / "secrets", workdir / "initdb")
    yield server
    server.stop()


def query(server: PostgresServer, sql: str, **kwargs: str) -> list[str]:
    return server.psql(sql, database=DB, **kwargs).splitlines()


def as_app(server: PostgresServer, sql: str) -> str:
    return server.psql(sql, user=SETTINGS.app_user, password=PASSWORDS["app"], database=DB)


def test_the_server_runs_on_the_generated_config(server: PostgresServer) -> None:
    names = ["shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "max_connections"]
    shown = query(server, "SELECT " + ", ".join(f"current_setting('{name}')" for name in names))
    assert shown == ["256MB|1GB|16MB|64MB|100"]
    assert query(server, "SHOW password_encryption") == ["scram-sha-256"]


def test_the_six_tables_with_their_keys_and_indexes_exist(server: PostgresServer) -> None:
    tables = query(server, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    assert tables == TABLES
    foreign_keys = query(
        server,
        "SELECT conrelid::regclass || '->' || confrelid::regclass FROM pg_constraint WHERE contype = 'f' ORDER BY 1",
    )
    assert "dictamesh_data_lineage->dictamesh_entity_catalog" in foreign_keys
    assert "dictamesh_entity_relationships->dictamesh_entity_catalog" in foreign_keys
    assert "dictamesh_event_log->dictamesh_entity_catalog" in foreign_keys
    assert "dictamesh_entity_catalog->dictamesh_schemas" in foreign_keys
    indexes = query(
        server,
        "SELECT indexname || ' ' || split_part(indexdef, ' USING ', 2) FROM pg_indexes WHERE schemaname = 'public'",
    )
    assert "dictamesh_entity_catalog_name_trgm_idx gin (name gin_trgm_ops)" in indexes
    assert "dictamesh_entity_catalog_embedding_idx hnsw (embedding vector_cosine_ops)" in indexes
    assert "dictamesh_data_lineage_downstream_idx btree (downstream_entity_id)" in indexes
    assert "dictamesh_event_log_entity_time_idx btree (entity_id, occurred_at DESC)" in indexes
    types = query(
        server,
        "SELECT column_name || ' ' || udt_name FROM information_schema.columns "
        "WHERE table_name = 'dictamesh_entity_catalog' AND column_name IN ('id', 'metadata', 'created_at', "
        "'embedding') ORDER BY 1",
    )
    assert types == ["created_at timestamptz", "embedding vector", "id uuid", "metadata jsonb"]
    extensions = query(server, "SELECT extname FROM pg_extension ORDER BY 1")
    assert {"pg_trgm", "uuid-ossp", "vector"} <= set(extensions)


def test_every_table_holds_seed_rows(server: PostgresServer) -> None:
    for table in TABLES:
        assert int(query(server, f"SELECT count(*) FROM {table}")[0]) >= 3, table


def test_constraints_refuse_bad_rows(server: PostgresServer) -> None:
    customer = "e0000000-0000-4000-8000-000000000001"
    bad = [
        "INSERT INTO dictamesh_entity_catalog (entity_type, domain, source_system, source_entity_id, name) "
        "VALUES ('Customer', 'sales', 'crm', 'x', 'Bad type')",
        "INSERT INTO dictamesh_entity_catalog (entity_type, domain, source_system, source_entity_id, name) "
        "VALUES ('customer', 'customers', 'crm', 'crm.customers', 'Duplicate source')",
        f"INSERT INTO dictamesh_data_lineage (upstream_entity_id, downstream_entity_id, transformation_type) "
        f"VALUES ('{customer}', '{customer}', 'copy')",
        f"INSERT INTO dictamesh_cache_status (entity_id, cache_layer, cache_key, status) "
        f"VALUES ('{customer}', 'l9', 'k', 'fresh')",
        "INSERT INTO dictamesh_entity_relationships "
        "(source_entity_id, target_entity_id, relationship_type, cardinality) "
        f"VALUES ('{customer}', '00000000-0000-4000-8000-000000000000', 'knows', 'one_to_one')",
    ]
    for statement in bad:
        with pytest.raises(PsqlError, match="violates"):
            as_app(server, statement)


def test_running_both_scripts_again_changes_nothing(server: PostgresServer, workdir: Path) -> None:
    def snapshot() -> tuple[str, list[str]]:
        schema = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_dump"), "--schema-only", DB],
            env=server.env(database=DB),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # pg_dump 18 wraps its output in \restrict lines with a random key
        schema = "\n".join(line for line in schema.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))
        counts = [query(server, f"SELECT count(*) FROM {table}")[0] for table in TABLES]
        return schema, counts

    before = snapshot()
    run_init_scripts(server, workdir / "initdb")
    assert snapshot() == before


def test_fuzzy_name_search_finds_the_entity(server: PostgresServer) -> None:
    found = as_app(
        server,
        "SELECT name FROM dictamesh_entity_catalog WHERE name % 'custmer profle' "
        "ORDER BY similarity(name, 'custmer profle') DESC LIMIT 1",
    )
    assert found == "Customer Profile"


def test_nearest_neighbours_come_from_the_vector_index(server: PostgresServer) -> None:
    nearest = (
        "SELECT name FROM dictamesh_entity_catalog ORDER BY embedding <=> "
        "(SELECT embedding FROM dictamesh_entity_catalog WHERE source_entity_id = 'crm.customers') LIMIT 2"
    )
    assert as_app(server, nearest).splitlines() == ["Customer Profile", "Customer Segment"]
    plan = as_app(server, f"SET enable_seqscan = off; EXPLAIN {nearest}")
    assert "dictamesh_entity_catalog_embedding_idx" in plan


def test_lineage_walks_both_ways(server: PostgresServer) -> None:
    downstream = as_app(
        server,
        "SELECT d.name FROM dictamesh_data_lineage l JOIN dictamesh_entity_catalog d "
        "ON d.id = l.downstream_entity_id JOIN dictamesh_entity_catalog u ON u.id = l.upstream_entity_id "
        "WHERE u.source_entity_id = 'crm.customers'",
    )
    upstream = as_app(
        server,
        "SELECT u.name FROM dictamesh_data_lineage l JOIN dictamesh_entity_catalog d "
        "ON d.id = l.downstream_entity_id JOIN dictamesh_entity_catalog u ON u.id = l.upstream_entity_id "
        "WHERE d.source_entity_id = 'dw.customer_segments' ORDER BY 1",
    )
    assert downstream == "Customer Segment"
    assert upstream.splitlines() == ["Customer Profile", "Sales Order"]


def test_the_application_role_reads_and_writes_but_administers_nothing(server: PostgresServer) -> None:
    as_app(
        server,
        "INSERT INTO dictamesh_schemas (subject, version, format, definition, fingerprint) VALUES "
        "('test.subject', 1, 'json', '{}', repeat('a', 64))",
    )
    assert (
        as_app(
            server,
            "UPDATE dictamesh_schemas SET compatibility = 'FULL' WHERE subject = 'test.subject' "
            "RETURNING compatibility",
        )
        == "FULL"
    )
    as_app(server, "DELETE FROM dictamesh_schemas WHERE subject = 'test.subject'")
    as_app(
        server,
        "INSERT INTO dictamesh_event_log (event_id, event_type, topic, partition, kafka_offset, payload, "
        "occurred_at) VALUES (gen_random_uuid(), 'test.event', 't', 0, 99, '{}', now())",
    )
    refused = {
        "CREATE ROLE intruder": "permission denied",
        "DROP TABLE dictamesh_event_log": "must be owner",
        "UPDATE dictamesh_event_log SET event_type = 'forged'": "permission denied",
        "CREATE TABLE scratch (id int)": "permission denied",
        "ALTER TABLE dictamesh_schemas ADD COLUMN x int": "must be owner",
    }
    for statement, reason in refused.items():
        with pytest.raises(PsqlError, match=reason):
            as_app(server, statement)


def test_wrong_passwords_and_unknown_roles_are_refused(server: PostgresServer) -> None:
    with pytest.raises(PsqlError, match="password authentication failed"):
        server.psql("SELECT 1", user=SETTINGS.app_user, password=token_hex(16), database=DB)
    assert (
        server.psql(
            "SELECT pg_has_role('dictamesh_monitor', 'pg_monitor', 'member')",
            user="dictamesh_monitor",
            password=PASSWORDS["monitor"],
            database=DB,
        )
        == "t"
    )


def test_a_backup_restores_into_a_fresh_server(server: PostgresServer, workdir: Path) -> None:
    script = workdir / "catalog-backup.sh"
    script.write_text(files.backup_script())
    backups = workdir / "backups"
    backups.mkdir()
    killed = backups / f"{DB}-20260101T000000Z.dump.partial"  # what a run killed mid-dump leaves
    killed.write_bytes(b"PGDMP half")
    as_app(
        server,
        "INSERT INTO dictamesh_cache_status (entity_id, cache_layer, cache_key, status) VALUES "
        "('e0000000-0000-4000-8000-000000000004', 'l2', 'entity:product:pim.products', 'fresh')",
    )
    job_env = {
        "PGDATABASE": DB,
        "PGUSER": files.BACKUP_USER,
        "PGPASSWORD_FILE": str(workdir / "secrets" / "backup-password"),
        "BACKUP_DIR": str(backups),
        "RETENTION_DAYS": "7",
    }
    env = {**server.env(database=DB), **job_env}
    del env["PGPASSWORD"]
    subprocess.run(["sh", str(script)], env=env, check=True, capture_output=True)
    dumps = list(backups.glob(f"{DB}-*.dump"))
    assert len(dumps) == 1
    assert not killed.exists() and not list(backups.glob("*.partial"))

    fresh = provision(workdir / "fresh-secrets", workdir / "fresh-initdb")
    try:
        restore_env = {
            **fresh.env(database=DB),
            **job_env,
            "DICTAMESH_RESTORE": str(dumps[0]),
            "RESTORE_USER": "postgres",
            "RESTORE_PASSWORD_FILE": str(workdir / "secrets" / "superuser-password"),
        }
        del restore_env["PGPASSWORD"]
        subprocess.run(["sh", str(script)], env=restore_env, check=True, capture_output=True)
        for table in TABLES:
            count = f"SELECT count(*) FROM {table}"
            assert query(fresh, count) == query(server, count), table
        assert query(
            fresh, "SELECT cache_key FROM dictamesh_cache_status WHERE cache_layer = 'l2' ORDER BY 1"
        ) == query(server, "SELECT cache_key FROM dictamesh_cache_status WHERE cache_layer = 'l2' ORDER BY 1")
    finally:
        fresh.stop()


def test_the_stop_command_ends_a_server_that_a_client_keeps_busy(workdir: Path, stacks: dict[str, Recording]) -> None:
    """Kubernetes sends SIGTERM, a smart shutdown, which waits for every client: the preStop stops it fast."""
    spec = stacks["prod"].one("kubernetes:apps/v1:StatefulSet", "postgres").inputs["spec"]["template"]["spec"]
    stop = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
    config = workdir / "stop.conf"
    config.write_text(files.postgresql_conf(SETTINGS.tuning, tls=False))
    server = PostgresServer(config, PASSWORDS["superuser"])
    client = pg8000.native.Connection(
        "postgres", host="127.0.0.1", port=server.port, password=server.superuser_password
    )
    try:
        client.run("BEGIN")  # a pooled connection in the middle of a transaction
        smart = server.server_command(["pg_ctl", "stop", "--mode=smart", "--wait", "--timeout=3"])
        assert smart.returncode != 0 and "does not shut down" in smart.stdout + smart.stderr
        started = time.monotonic()
        fast = server.server_command(stop)
        assert fast.returncode == 0, fast.stderr
        assert time.monotonic() - started < 30
        assert server.server_command(["pg_ctl", "status"]).returncode == 3  # no server running
    finally:
        with contextlib.suppress(pg8000.exceptions.InterfaceError):
            client.close()  # the server has ended the session already
        server.stop()


def converge(server: PostgresServer, settings: CatalogSettings, workdir: Path) -> subprocess.CompletedProcess[str]:
    """The converge job's script and SQL, as the job mounts them, run against a running server."""
    sql_dir = workdir / "converge-sql"
    sql_dir.mkdir(exist_ok=True)
    for name, content in files.converge_scripts(settings, secrets_dir=str(workdir / "secrets")).items():
        (sql_dir / name).write_text(content)
    script = workdir / "catalog-converge.sh"
    script.write_text(files.converge_script())
    env = {
        **server.env(),
        "SUPERUSER_PASSWORD_FILE": str(workdir / "secrets" / "superuser-password"),
        "CATALOG_DATABASE": settings.database,
        "SQL_DIR": str(sql_dir),
    }
    del env["PGPASSWORD"]
    return subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, check=False)


def test_a_new_app_user_and_database_converge_on_an_initialised_server(tmp_path: Path) -> None:
    """The image runs init scripts on an empty data directory only: the converge job brings later changes."""
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    try:
        changed = CatalogSettings(app_user="catalog_app", database="dictamesh_catalog_v2")
        ran = converge(server, changed, tmp_path)
        assert ran.returncode == 0, ran.stderr
        assert "catalog dictamesh_catalog_v2 converged" in ran.stdout
        as_new = {"user": "catalog_app", "password": PASSWORDS["app"], "database": "dictamesh_catalog_v2"}
        assert server.psql("SELECT count(*) FROM dictamesh_entity_catalog", **as_new) == "0"  # schema, no samples
        # a table a later migration adds as the superuser is the application's to use, by default privileges
        server.psql("CREATE TABLE dictamesh_added_later (id int)", database="dictamesh_catalog_v2")
        server.psql("INSERT INTO dictamesh_added_later VALUES (1)", **as_new)
        with pytest.raises(PsqlError, match="must be owner"):
            server.psql("DROP TABLE dictamesh_added_later", **as_new)
        again = converge(server, changed, tmp_path)  # idempotent: a second run changes nothing and succeeds
        assert again.returncode == 0, again.stderr
    finally:
        server.stop()


def test_converge_brings_the_vector_extension_to_the_images_release(tmp_path: Path) -> None:
    """A catalog made by an older image keeps its pgvector SQL objects until ALTER EXTENSION UPDATE."""
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    try:
        # as an older image leaves it (the embedded server ships one install script, so the catalog says so)
        server.psql("UPDATE pg_extension SET extversion = '0.8.5' WHERE extname = 'vector'", database=DB)
        ran = converge(server, SETTINGS, tmp_path)
        assert ran.returncode == 0, ran.stderr
        installed = "SELECT installed_version = default_version FROM pg_available_extensions WHERE name = 'vector'"
        assert server.psql(installed, database=DB) == "t"
    finally:
        server.stop()
