"""The catalog's generated config and SQL on a real PostgreSQL server with pgvector and pg_trgm."""

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from secrets import token_hex

import pg8000.native
import pytest

from components.catalog import files
from components.catalog.settings import CatalogSettings
from components.secrets import scram_verifier
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
PASSWORDS = {role: token_hex(16) for role in ("superuser", "app", "monitor", "backup", "tls-reload")}


def write_secrets(secrets: Path) -> None:
    """The files the jobs mount: the superuser's password, and each role's SCRAM verifier as the program makes it."""
    secrets.mkdir(parents=True, exist_ok=True)
    for role, password in PASSWORDS.items():
        (secrets / f"{role}-password").write_text(password)
        (secrets / f"{role}-verifier").write_text(scram_verifier(password, os.urandom(16)))


def provision(secrets: Path, scripts: Path, config_lines: str = "") -> PostgresServer:
    """A server as the stack leaves it: the image's first start (config, database, init scripts in order),
    then the converge job (roles, verifiers, privileges)."""
    scripts.mkdir(parents=True, exist_ok=True)
    write_secrets(secrets)
    for name, content in files.init_scripts(SETTINGS).items():
        (scripts / name).write_text(content)
    config = scripts / "postgresql.conf"
    config.write_text(files.postgresql_conf(SETTINGS.tuning, tls=False) + config_lines)
    server = PostgresServer(config, PASSWORDS["superuser"])
    server.psql(f"CREATE DATABASE {DB}")
    run_init_scripts(server, scripts)
    ran = converge(server, SETTINGS, secrets)
    assert ran.returncode == 0, ran.stderr
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


def test_running_the_scripts_again_changes_nothing(server: PostgresServer, workdir: Path) -> None:
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
    assert converge(server, SETTINGS, workdir / "secrets").returncode == 0
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


def backup(server: PostgresServer, backups: Path, secrets: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The nightly job's script, as the backup role."""
    script = backups.parent / "catalog-backup.sh"
    script.write_text(files.script("catalog-backup.sh"))
    job_env = {
        **server.env(database=DB),
        "PGDATABASE": DB,
        "PGUSER": files.BACKUP_USER,
        "PGPASSWORD_FILE": str(secrets / "backup-password"),
        "BACKUP_DIR": str(backups),
        "RETENTION_DAYS": "7",
        "JOB_MINUTES": "60",
        **env,
    }
    del job_env["PGPASSWORD"]
    return subprocess.run(["sh", str(script)], env=job_env, capture_output=True, text=True, check=False)


def restore(
    server: PostgresServer, dump: Path, secrets: Path, settings: CatalogSettings
) -> subprocess.CompletedProcess[str]:
    """The restore job's script, as the superuser, with the stack's privileges after."""
    script, privileges = dump.parent.parent / "catalog-restore.sh", dump.parent.parent / "03-privileges.sql"
    script.write_text(files.script("catalog-restore.sh"))
    privileges.write_text(files.privileges_sql(settings))
    env = {
        **server.env(database=settings.database),
        "PGDATABASE": settings.database,
        "DICTAMESH_RESTORE": str(dump),
        "RESTORE_USER": "postgres",
        "RESTORE_PASSWORD_FILE": str(secrets / "superuser-password"),
        "PRIVILEGES_FILE": str(privileges),
    }
    del env["PGPASSWORD"]
    return subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, check=False)


def test_a_backup_restores_into_a_fresh_server(server: PostgresServer, workdir: Path) -> None:
    backups = workdir / "backups"
    backups.mkdir()
    as_app(
        server,
        "INSERT INTO dictamesh_cache_status (entity_id, cache_layer, cache_key, status) VALUES "
        "('e0000000-0000-4000-8000-000000000004', 'l2', 'entity:product:pim.products', 'fresh')",
    )
    ran = backup(server, backups, workdir / "secrets")
    assert ran.returncode == 0, ran.stderr
    dumps = list(backups.glob(f"{DB}-*.dump"))
    assert len(dumps) == 1

    fresh = provision(workdir / "fresh-secrets", workdir / "fresh-initdb")
    try:
        ran = restore(fresh, dumps[0], workdir / "fresh-secrets", SETTINGS)
        assert ran.returncode == 0, ran.stderr
        for table in TABLES:
            count = f"SELECT count(*) FROM {table}"
            assert query(fresh, count) == query(server, count), table
        assert query(
            fresh, "SELECT cache_key FROM dictamesh_cache_status WHERE cache_layer = 'l2' ORDER BY 1"
        ) == query(server, "SELECT cache_key FROM dictamesh_cache_status WHERE cache_layer = 'l2' ORDER BY 1")
    finally:
        fresh.stop()


def test_old_dumps_go_before_the_new_one_needs_room_and_the_newest_stays(
    server: PostgresServer, tmp_path: Path
) -> None:
    """A full claim failed every later backup while pruning came after the dump; a backup failing for longer
    than the retention must still leave a dump to restore; a running dump's .partial is not another run's."""
    backups = tmp_path / "backups"
    backups.mkdir()
    old = time.time() - 30 * 86400
    stale = [backups / f"{DB}-2026010{day}T020000Z.dump" for day in (1, 2, 3)]
    for dump in stale:
        dump.write_bytes(b"PGDMP old")
        os.utime(dump, (old, old))
    killed, running = backups / f"{DB}-20260103T020000Z.dump.partial", backups / f"{DB}-20260104T020000Z.dump.partial"
    killed.write_bytes(b"PGDMP killed mid-dump")
    os.utime(killed, (old, old))
    running.write_bytes(b"PGDMP still being written")
    secrets = tmp_path / "secrets"
    write_secrets(secrets)
    (secrets / "backup-password").write_text("not-the-password")  # this run's dump fails
    ran = backup(server, backups, secrets)
    assert ran.returncode != 0
    assert sorted(backups.iterdir()) == [stale[-1], running]  # pruned first; the newest dump and a live run stay


def test_the_nightly_job_cannot_restore(server: PostgresServer, workdir: Path) -> None:
    """Its pod holds the backup role alone, which reads everything and writes nothing."""
    with pytest.raises(PsqlError, match="permission denied"):
        server.psql(
            "DELETE FROM dictamesh_event_log", user=files.BACKUP_USER, password=PASSWORDS["backup"], database=DB
        )


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


def converge(
    server: PostgresServer, settings: CatalogSettings, secrets: Path, tls: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """The converge job's script and SQL, as the job mounts them, run against a running server."""
    sql_dir = secrets.parent / f"converge-sql-{settings.database}-{settings.app_user}"
    sql_dir.mkdir(exist_ok=True)
    for name, content in files.converge_scripts(settings, tls, secrets_dir=str(secrets)).items():
        (sql_dir / name).write_text(content)
    script = secrets.parent / "catalog-converge.sh"
    script.write_text(files.script("catalog-converge.sh"))
    job_env = {
        **server.env(),
        "SUPERUSER_PASSWORD_FILE": str(secrets / "superuser-password"),
        "CATALOG_DATABASE": settings.database,
        "SQL_DIR": str(sql_dir),
        **({"RENAME_FROM": settings.rename_from} if settings.rename_from else {}),
        **env,
    }
    del job_env["PGPASSWORD"]
    return subprocess.run(["sh", str(script)], env=job_env, capture_output=True, text=True, check=False)


def test_a_new_app_user_and_database_converge_on_an_initialised_server(tmp_path: Path) -> None:
    """The image runs init scripts on an empty data directory only: the converge job brings later changes."""
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    try:
        changed = CatalogSettings(app_user="catalog_app", database="dictamesh_catalog_v2")
        ran = converge(server, changed, tmp_path / "secrets")
        assert ran.returncode == 0, ran.stderr
        assert "catalog dictamesh_catalog_v2 converged" in ran.stdout
        as_new = {"user": "catalog_app", "password": PASSWORDS["app"], "database": "dictamesh_catalog_v2"}
        assert server.psql("SELECT count(*) FROM dictamesh_entity_catalog", **as_new) == "0"  # schema, no samples
        # a table a later migration adds as the superuser is the application's to use, by default privileges
        server.psql("CREATE TABLE dictamesh_added_later (id int)", database="dictamesh_catalog_v2")
        server.psql("INSERT INTO dictamesh_added_later VALUES (1)", **as_new)
        with pytest.raises(PsqlError, match="must be owner"):
            server.psql("DROP TABLE dictamesh_added_later", **as_new)
        again = converge(server, changed, tmp_path / "secrets")  # idempotent: a second run changes nothing and succeeds
        assert again.returncode == 0, again.stderr
    finally:
        server.stop()


def test_converge_brings_the_vector_extension_to_the_images_release(tmp_path: Path) -> None:
    """A catalog made by an older image keeps its pgvector SQL objects until ALTER EXTENSION UPDATE."""
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    try:
        # as an older image leaves it (the embedded server ships one install script, so the catalog says so)
        server.psql("UPDATE pg_extension SET extversion = '0.8.5' WHERE extname = 'vector'", database=DB)
        ran = converge(server, SETTINGS, tmp_path / "secrets")
        assert ran.returncode == 0, ran.stderr
        installed = "SELECT installed_version = default_version FROM pg_available_extensions WHERE name = 'vector'"
        assert server.psql(installed, database=DB) == "t"
    finally:
        server.stop()


@contextlib.contextmanager
def writer_in_a_long_transaction(server: PostgresServer) -> Iterator[pg8000.native.Connection]:
    """A client that has written to the catalog and not committed: it holds the table's RowExclusiveLock."""
    client = pg8000.native.Connection(
        "postgres", host="127.0.0.1", port=server.port, password=server.superuser_password, database=DB
    )
    client.run("BEGIN")
    client.run("UPDATE dictamesh_entity_catalog SET description = description WHERE false")
    try:
        yield client
    finally:
        client.run("ROLLBACK")
        client.close()


def test_converge_on_a_busy_catalog_takes_no_lock_for_what_exists(tmp_path: Path) -> None:
    """CREATE INDEX IF NOT EXISTS takes a ShareLock before it looks, and CREATE OR REPLACE TRIGGER a SHARE ROW
    EXCLUSIVE one: behind a long transaction, every write of the catalog queued behind the job."""
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    try:
        with writer_in_a_long_transaction(server):
            started = time.monotonic()
            ran = converge(server, SETTINGS, tmp_path / "secrets", LOCK_TIMEOUT="1s", LOCK_ATTEMPTS="1")
            assert ran.returncode == 0, ran.stderr
            assert time.monotonic() - started < 10
    finally:
        server.stop()


def test_a_missing_index_is_made_without_stopping_writes_or_waits_its_turn(tmp_path: Path) -> None:
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    index = "dictamesh_entity_catalog_domain_idx"
    try:
        server.psql(f"DROP INDEX {index}", database=DB)
        with writer_in_a_long_transaction(server):
            result: list[subprocess.CompletedProcess[str]] = []
            thread = threading.Thread(
                target=lambda: result.append(
                    converge(
                        server, SETTINGS, tmp_path / "secrets",
                        LOCK_TIMEOUT="1s", LOCK_ATTEMPTS="3", LOCK_RETRY_SECONDS="0",
                    )
                )
            )  # fmt: skip
            thread.start()
            time.sleep(0.5)
            # the index is being made while another client writes: the write does not wait for it
            started = time.monotonic()
            as_app(server, "UPDATE dictamesh_schemas SET metadata = metadata WHERE subject = 'none'")
            assert time.monotonic() - started < 1
            thread.join(timeout=60)
            ran = result[0]
            assert ran.returncode == 1
            assert "gave up after 3 tries" in ran.stderr and "pg_stat_activity" in ran.stderr
        ran = converge(server, SETTINGS, tmp_path / "secrets")  # the long transaction is gone
        assert ran.returncode == 0, ran.stderr
        assert (
            server.psql(f"SELECT indisvalid FROM pg_index WHERE indexrelid = '{index}'::regclass", database=DB) == "t"
        )
    finally:
        server.stop()


def test_roles_get_verifiers_and_the_server_never_sees_a_password(tmp_path: Path) -> None:
    """Every statement is logged here (log_statement = all), as pg_stat_activity would show it."""
    server = provision(tmp_path / "secrets", tmp_path / "initdb", config_lines="log_statement = 'all'\n")
    try:
        stored = server.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{SETTINGS.app_user}'")
        assert stored == (tmp_path / "secrets" / "app-verifier").read_text()
        assert as_app(server, "SELECT current_user") == SETTINGS.app_user  # and the password logs in
        log = (server.root / "server.log").read_text()
        assert "ALTER ROLE dictamesh WITH LOGIN" in log  # the log holds the statements
        for role in ("app", "monitor", "backup"):
            assert PASSWORDS[role] not in log, role
    finally:
        server.stop()


def test_a_renamed_app_user_leaves_the_old_role_unable_to_log_in(tmp_path: Path) -> None:
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    try:
        ran = converge(server, CatalogSettings(app_user="catalog_app", sample_data=True), tmp_path / "secrets")
        assert ran.returncode == 0, ran.stderr
        old = server.psql("SELECT rolcanlogin, rolpassword IS NULL FROM pg_authid WHERE rolname = 'dictamesh'")
        assert old == "f|t"
        with pytest.raises(PsqlError, match=r"not permitted to log in|password authentication failed"):
            as_app(server, "SELECT 1")
        assert server.psql("SELECT 1", user="catalog_app", password=PASSWORDS["app"], database=DB) == "1"
        monitor = server.psql("SELECT rolcanlogin FROM pg_authid WHERE rolname = 'dictamesh_monitor'")
        assert monitor == "t"  # still named: kept
    finally:
        server.stop()


def test_a_rename_asked_for_moves_the_data_and_closes_the_old_databases_sessions(tmp_path: Path) -> None:
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    renamed = CatalogSettings(database="catalog_two", rename_from=DB, sample_data=True)
    try:
        before = query(server, "SELECT count(*) FROM dictamesh_entity_catalog")
        idle = pg8000.native.Connection(
            SETTINGS.app_user, host="127.0.0.1", port=server.port, password=PASSWORDS["app"], database=DB
        )
        ran = converge(server, renamed, tmp_path / "secrets")
        assert ran.returncode == 0, ran.stderr
        with contextlib.suppress(pg8000.exceptions.InterfaceError, pg8000.exceptions.DatabaseError):
            idle.close()
        assert server.psql("SELECT count(*) FROM dictamesh_entity_catalog", database="catalog_two") == before[0]
        assert server.psql(f"SELECT count(*) FROM pg_database WHERE datname = '{DB}'") == "0"
        again = converge(server, renamed, tmp_path / "secrets")  # done: nothing to rename
        assert again.returncode == 0, again.stderr
    finally:
        server.stop()


def test_a_dump_restores_after_the_roles_were_renamed(tmp_path: Path) -> None:
    """Its owners and grants name roles the stack no longer has: left out, then the stack's are granted."""
    server = provision(tmp_path / "secrets", tmp_path / "initdb")
    backups = tmp_path / "backups"
    backups.mkdir()
    try:
        ran = backup(server, backups, tmp_path / "secrets")
        assert ran.returncode == 0, ran.stderr
        server.psql(f"GRANT SELECT ON dictamesh_schemas TO {files.MONITOR_USER}", database=DB)
    finally:
        server.stop()
    renamed = CatalogSettings(app_user="catalog_app", sample_data=True)
    fresh = provision(tmp_path / "fresh-secrets", tmp_path / "fresh-initdb")
    try:
        ran = converge(fresh, renamed, tmp_path / "fresh-secrets")
        assert ran.returncode == 0, ran.stderr
        fresh.psql("DROP OWNED BY dictamesh", database="postgres")  # as on a stack made with the new name
        fresh.psql("DROP OWNED BY dictamesh; DROP ROLE dictamesh", database=DB)
        ran = restore(fresh, next(backups.glob("*.dump")), tmp_path / "fresh-secrets", renamed)
        assert ran.returncode == 0, ran.stderr
        count = fresh.psql(
            "SELECT count(*) FROM dictamesh_entity_catalog", user="catalog_app", password=PASSWORDS["app"], database=DB
        )
        assert int(count) >= 3
    finally:
        fresh.stop()
