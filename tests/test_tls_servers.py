"""The generated TLS settings on the real servers: Debian's redis-server and PostgreSQL, with a CA and
server certificate made as cert-manager's CA Issuer makes them (tests/tls.py).

Each server takes TLS alone, a client that verifies gets in, a plain-text one does not, and the
hourly reload job of the prod stack, run as recorded, makes the server serve a renewed certificate.
Only paths, ports and the dialled address differ from the cluster: they are swapped in the job's
command and environment, nothing else.
"""

import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from secrets import token_hex

import pytest
import redis

from components.cache import files as cache_files
from components.catalog import files as catalog_files
from components.catalog.files import RELOAD_USER
from components.catalog.settings import CatalogSettings
from components.model import CA_FILE, SERVER_CERT_FILE, TLS_DIR
from scripts import health
from scripts.ports import free_port
from tests.harness import Recording
from tests.observability import files_of
from tests.postgres import PostgresServer, debian_binaries
from tests.test_cache_redis import REDIS_SERVER
from tests.test_catalog_sql import PASSWORDS, write_secrets
from tests.test_tls import certificate, env, pod_spec
from tests.tls import OPENSSL, Issued, issue, make_ca, serial

NAMESPACE = "dictamesh-prod"
REDIS_HOST = f"redis.{NAMESPACE}.svc.cluster.local"
POSTGRES_HOST = f"postgres.{NAMESPACE}.svc.cluster.local"


def dns_names(recording: Recording, server: str) -> list[str]:
    """The names the stack's Certificate asks cert-manager for."""
    names: list[str] = certificate(recording, server)["dnsNames"]
    return names


def served_serial(port: int, starttls: str | None = None) -> str:
    """The serial of the certificate the server presents now."""
    assert OPENSSL
    command = [OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}"]
    if starttls:
        command += ["-starttls", starttls]
    shown = subprocess.run(command, input=b"", capture_output=True, timeout=10, check=False)
    pem = shown.stdout.decode(errors="replace")
    start, end = pem.find("-----BEGIN CERTIFICATE-----"), pem.find("-----END CERTIFICATE-----")
    assert start >= 0, shown.stderr.decode(errors="replace")
    parsed = subprocess.run(
        [OPENSSL, "x509", "-noout", "-serial"], input=pem[start : end + 25].encode(), capture_output=True, check=True
    )
    return parsed.stdout.decode().strip().split("=", 1)[1].upper()


def run_job(command: list[str], job_env: dict[str, str], swaps: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A job's recorded command and environment with the test machine's paths and address swapped in."""
    script = command[-1]
    for old, new in swaps.items():
        script = script.replace(old, new)
    swapped = {key: swaps.get(value, value) for key, value in job_env.items()}
    return subprocess.run(
        [*command[:-1], script],
        env={**os.environ, "PATH": f"{debian_binaries()}:{os.environ['PATH']}", **swapped},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


# --- Redis ---------------------------------------------------------------------------------------------

APP, MONITOR, RELOAD = token_hex(16), token_hex(16), token_hex(16)


class TlsRedis:
    def __init__(self, recording: Recording, workdir: Path) -> None:
        assert REDIS_SERVER, "redis-server is not installed (apt-get install redis-server)"
        self.ca = make_ca(workdir / "ca")
        self.tls = workdir / "tls"
        self.issued = issue(self.ca, self.tls, dns_names(recording, "redis"))
        acl = workdir / "users.acl"
        acl.write_text(cache_files.users_acl(APP, MONITOR, RELOAD))
        config = files_of(recording, "redis")["redis.conf"]
        config = config.replace("aclfile /run/secrets/dictamesh/users.acl", f"aclfile {acl}")
        config = config.replace("dir /data", f"dir {workdir}").replace(TLS_DIR, str(self.tls))
        (workdir / "redis.conf").write_text(config)
        self.port = free_port()
        # the generated port lines stay (port 0, tls-port): only the number and the bind differ
        self.process = subprocess.Popen(
            [REDIS_SERVER, str(workdir / "redis.conf"), "--tls-port", str(self.port), "--bind", "127.0.0.1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client(files_user="monitor").ping()
                return
            except (redis.ConnectionError, ssl.SSLError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    output = self.process.stdout.read().decode() if self.process.stdout else ""
                    raise RuntimeError(f"redis-server did not start:\n{output}") from None
                time.sleep(0.05)

    def client(self, files_user: str = "app") -> redis.Redis:
        users = {"app": (cache_files.APP_USER, APP), "monitor": (cache_files.MONITOR_USER, MONITOR)}
        username, password = users[files_user]
        return redis.Redis(
            port=self.port,
            username=username,
            password=password,
            ssl=True,
            ssl_ca_certs=str(self.issued.ca),
            ssl_cert_reqs="required",
            ssl_check_hostname=False,  # redis-py dials 127.0.0.1; the name is checked in its own test
            socket_timeout=5,
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=10)


@pytest.fixture
def tls_redis(stacks: dict[str, Recording], tmp_path: Path) -> Iterator[TlsRedis]:
    server = TlsRedis(stacks["prod"], tmp_path / "redis")
    yield server
    server.stop()


def test_redis_serves_tls_alone_to_clients_that_verify(tls_redis: TlsRedis) -> None:
    app = tls_redis.client()
    app.set("k", "v")
    assert app.get("k") == b"v"
    # plain text on the same port: the server expects a TLS handshake and drops the connection
    plain = redis.Redis(port=tls_redis.port, username=cache_files.APP_USER, password=APP, socket_timeout=5)
    with pytest.raises(redis.ConnectionError):
        plain.ping()
    # the certificate names the address clients dial, and chains to the CA they trust
    context = ssl.create_default_context(cafile=str(tls_redis.issued.ca))
    with (
        socket.create_connection(("127.0.0.1", tls_redis.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=REDIS_HOST) as tls,
    ):
        tls.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert tls.recv(64).startswith(b"-NOAUTH")  # the default user is off: TLS got through to the ACL
    stranger = ssl.create_default_context(cafile=str(make_ca(tls_redis.tls.parent / "other")[0]))
    refused = [
        (context, "redis.elsewhere.svc.cluster.local", "Hostname mismatch"),  # not a name it holds
        (stranger, REDIS_HOST, "certificate verify failed"),  # a CA it does not chain to
    ]
    for client, name, reason in refused:
        with (
            socket.create_connection(("127.0.0.1", tls_redis.port), timeout=5) as raw,
            pytest.raises(ssl.SSLCertVerificationError, match=reason),
        ):
            client.wrap_socket(raw, server_hostname=name)


def test_the_reload_job_makes_redis_serve_the_renewed_certificate(
    stacks: dict[str, Recording], tls_redis: TlsRedis, tmp_path: Path
) -> None:
    before = served_serial(tls_redis.port)
    assert before == serial(tls_redis.issued.cert)
    renewed = issue(tls_redis.ca, tmp_path / "renewed", dns_names(stacks["prod"], "redis"))
    for name in ("tls.crt", "tls.key"):
        shutil.copy(tmp_path / "renewed" / name, tls_redis.tls / name)  # the kubelet swaps the files in
    assert served_serial(tls_redis.port) == before, "Redis reads its files on its own: the job is needed"
    password_file = tmp_path / "reload-password"
    password_file.write_text(RELOAD)
    job = pod_spec(stacks["prod"], "redis-tls-reload")["containers"][0]
    swaps = {
        TLS_DIR: str(tls_redis.tls),
        CA_FILE: str(tls_redis.issued.ca),
        "/run/secrets/dictamesh/tls-reload-password": str(password_file),
        f"-h {REDIS_HOST} -p 6379": f"-h 127.0.0.1 -p {tls_redis.port}",
    }
    done = run_job(job["command"], {}, swaps)
    assert done.returncode == 0, done.stdout + done.stderr
    assert served_serial(tls_redis.port) == serial(renewed.cert) != before
    tls_redis.client().ping()


def test_the_reload_user_can_do_nothing_but_reload(tls_redis: TlsRedis) -> None:
    reload = redis.Redis(
        port=tls_redis.port,
        username=cache_files.RELOAD_USER,
        password=RELOAD,
        ssl=True,
        ssl_ca_certs=str(tls_redis.issued.ca),
        ssl_check_hostname=False,
        socket_timeout=5,
    )
    with pytest.raises(redis.exceptions.NoPermissionError):
        reload.get("k")
    with pytest.raises(redis.exceptions.NoPermissionError):
        reload.config_get("*")
    # CONFIG SET of `dir` writes files anywhere: a protected config, refused while protected configs are off
    with pytest.raises(redis.ResponseError, match="protected config"):
        reload.config_set("dir", "/tmp")


# --- PostgreSQL ----------------------------------------------------------------------------------------


@pytest.fixture
def tls_postgres(stacks: dict[str, Recording], tmp_path: Path) -> Iterator[tuple[PostgresServer, Issued]]:
    """A TLS server with the roles a TLS stack's converge job makes, the reload role among them."""
    tmp_path = tmp_path / "postgres"
    tmp_path.mkdir()
    found = files_of(stacks["prod"], "postgres")
    config, hba = tmp_path / "postgresql.conf", tmp_path / "pg_hba.conf"
    config.write_text(found["postgresql.conf"])
    hba.write_text(found["pg_hba.conf"])
    ca = make_ca(tmp_path / "ca")
    issued = issue(ca, tmp_path / "tls", dns_names(stacks["prod"], "postgres"))
    server = PostgresServer(config, token_hex(16), tls=(tmp_path / "tls", hba))
    settings = CatalogSettings()
    write_secrets(tmp_path / "secrets")
    roles = tmp_path / "00-roles.sql"
    roles.write_text(catalog_files.converge_scripts(settings, True, str(tmp_path / "secrets"))["00-roles.sql"])
    server.psql(f"CREATE DATABASE {settings.database}")
    server.run_file(roles, "postgres")
    yield server, issued
    server.stop()


def verified(server: PostgresServer, ca: Path, host: str = POSTGRES_HOST, mode: str = "verify-full") -> dict[str, str]:
    """libpq dials 127.0.0.1 and checks the certificate against `host`, as a pod dialling the Service."""
    return {
        **server.env(),
        "PGHOST": host,
        "PGHOSTADDR": "127.0.0.1",
        "PGSSLMODE": mode,
        "PGSSLROOTCERT": str(ca),
    }


def psql(environment: dict[str, str], sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["psql", "-X", "-qtA", "-c", sql], env=environment, capture_output=True, text=True, timeout=20, check=False
    )


def test_postgres_takes_tls_alone_and_verify_full_gets_in(
    tls_postgres: tuple[PostgresServer, Issued], tmp_path: Path
) -> None:
    server, issued = tls_postgres
    done = psql(verified(server, issued.ca), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert (done.returncode, done.stdout.strip()) == (0, "t"), done.stderr
    plain = psql(verified(server, issued.ca, mode="disable"), "SELECT 1")
    assert plain.returncode != 0 and "no encryption" in plain.stderr
    wrong = psql(verified(server, issued.ca, host="postgres.elsewhere.svc.cluster.local"), "SELECT 1")
    assert wrong.returncode != 0 and "does not match host name" in wrong.stderr
    unknown = psql(verified(server, make_ca(tmp_path / "other")[0]), "SELECT 1")
    assert unknown.returncode != 0 and "certificate verify failed" in unknown.stderr


def swap_in(server: PostgresServer, cert: Path, key: Path) -> None:
    """As the kubelet swaps a renewed Secret's files in."""
    for source, name in ((cert, "tls.crt"), (key, "tls.key")):
        target = server.tls_dir / name
        target.unlink()
        shutil.copy(source, target)
        server.mount_secret(target)


def reload_job(recording: Recording, server: PostgresServer, issued: Issued, tmp_path: Path) -> tuple[str, str, int]:
    """The prod stack's reload job, its script and environment as recorded, run against `server`."""
    password_file, script = tmp_path / "tls-reload-password", tmp_path / "catalog-tls-reload.sh"
    password_file.write_text(PASSWORDS["tls-reload"])
    script.write_text(files_of(recording, "postgres-tls-reload")["catalog-tls-reload.sh"])
    swaps = {
        CA_FILE: str(issued.ca),
        SERVER_CERT_FILE: str(server.tls_dir / "tls.crt"),  # the Secret's certificate, as the job mounts it
        "/run/secrets/dictamesh/tls-reload-password": str(password_file),
        "/opt/dictamesh/catalog-tls-reload.sh": str(script),
        "5432": str(server.port),
    }
    job_env = {**env(recording, "postgres-tls-reload"), "PGHOSTADDR": "127.0.0.1"}
    job_env.pop("POD_NAME", None)
    done = run_job(pod_spec(recording, "postgres-tls-reload")["containers"][0]["command"], job_env, swaps)
    return done.stdout, done.stderr, done.returncode


def test_the_reload_job_makes_postgres_serve_the_renewed_certificate(
    stacks: dict[str, Recording], tls_postgres: tuple[PostgresServer, Issued], tmp_path: Path
) -> None:
    server, issued = tls_postgres
    before = served_serial(server.port, "postgres")
    assert before == serial(issued.cert)
    renewed = issue(make_ca_of(issued), tmp_path / "renewed", dns_names(stacks["prod"], "postgres"))
    swap_in(server, renewed.cert, renewed.key)
    assert served_serial(server.port, "postgres") == before, "PostgreSQL reads its files on its own: the job is needed"
    out, err, code = reload_job(stacks["prod"], server, issued, tmp_path)
    assert code == 0, out + err
    assert served_serial(server.port, "postgres") == serial(renewed.cert) != before
    assert psql(verified(server, issued.ca), "SELECT 1").stdout.strip() == "1"  # clients keep trusting it


def test_the_reload_job_fails_when_postgres_keeps_its_old_certificate(
    stacks: dict[str, Recording], tls_postgres: tuple[PostgresServer, Issued], tmp_path: Path
) -> None:
    """A renewed certificate with a key that is not its own: pg_reload_conf() is true, the server keeps the old."""
    server, issued = tls_postgres
    before = served_serial(server.port, "postgres")
    renewed = issue(make_ca_of(issued), tmp_path / "renewed", dns_names(stacks["prod"], "postgres"))
    stranger = issue(make_ca_of(issued), tmp_path / "stranger", dns_names(stacks["prod"], "postgres"))
    swap_in(server, renewed.cert, stranger.key)
    out, err, code = reload_job(stacks["prod"], server, issued, tmp_path)
    assert code == 1, out + err
    assert "kept its old certificate" in err
    assert served_serial(server.port, "postgres") == before


def test_the_reload_role_may_reload_and_nothing_else(tls_postgres: tuple[PostgresServer, Issued]) -> None:
    server, issued = tls_postgres
    as_reload = {**verified(server, issued.ca), "PGUSER": RELOAD_USER, "PGPASSWORD": PASSWORDS["tls-reload"]}
    assert psql(as_reload, "SELECT pg_reload_conf()").stdout.strip() == "t"
    for sql in ("SELECT pg_read_file('postgresql.conf')", "SELECT pg_rotate_logfile()", "CREATE TABLE t (i int)"):
        denied = psql(as_reload, sql)
        assert denied.returncode != 0 and "denied" in denied.stderr, sql
    catalog = psql({**as_reload, "PGDATABASE": CatalogSettings().database}, "SELECT 1")
    assert catalog.returncode != 0 and "permission denied for database" in catalog.stderr


def make_ca_of(issued: Issued) -> tuple[Path, Path]:
    directory = issued.cert.parent.parent / "ca"
    return directory / "ca-own.crt", directory / "ca-own.key"


def test_the_generated_hba_governs_the_first_start_through_the_socket() -> None:
    rules = [line.split() for line in catalog_files.pg_hba_conf().splitlines() if line and not line.startswith("#")]
    # the image's init scripts run through the socket before the server listens on the network
    assert ["local", "all", "all", "trust"] in rules
    assert all(rule[0] in ("local", "hostssl") for rule in rules)


def test_make_health_checks_the_tls_datastores_against_the_ca(
    tls_redis: TlsRedis, tls_postgres: tuple[PostgresServer, Issued]
) -> None:
    """`make health` on a cluster stack: through the port-forward, verifying the chain to the stack's CA."""
    server, issued = tls_postgres
    outputs = {
        "cacheUrl": f"rediss://{cache_files.APP_USER}:{APP}@{REDIS_HOST}:6379/0",
        "catalogDsn": f"postgresql://postgres:{server.superuser_password}@{POSTGRES_HOST}:5432/postgres",
    }
    redis_ca, postgres_ca = (ssl.create_default_context(cafile=str(ca)) for ca in (tls_redis.issued.ca, issued.ca))
    for context in (redis_ca, postgres_ca):
        context.check_hostname = False  # as health.trust makes it: the port-forward's address is 127.0.0.1
    redis_address = f"127.0.0.1:{tls_redis.port}"
    assert health.cache(redis_address, outputs, redis_ca) == f"AUTH as {cache_files.APP_USER}, PING answered"
    with pytest.raises(redis.ConnectionError):
        health.cache(redis_address, outputs, None)
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        health.cache(redis_address, outputs, postgres_ca)
    # Debian's server has no pgvector: getting as far as the extension check means TLS and login passed
    with pytest.raises(RuntimeError, match=r"extensions missing: .*vector"):
        health.postgres(f"127.0.0.1:{server.port}", outputs, postgres_ca)
    with pytest.raises(ssl.SSLCertVerificationError):
        health.postgres(f"127.0.0.1:{server.port}", outputs, redis_ca)
