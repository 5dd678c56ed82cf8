"""The cache's generated redis.conf and ACL file on a real redis-server."""

import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from secrets import token_hex

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from components.cache import files
from components.cache.settings import CacheSettings
from components.config import parse
from scripts.ports import free_port

APP_PASSWORD, MONITOR_PASSWORD = token_hex(16), token_hex(16)
NO_RETRY = Retry(NoBackoff(), retries=0)  # an authentication error is final, not a flaky connection
REDIS_SERVER = shutil.which("redis-server")
REDIS_EXPORTER = shutil.which("prometheus-redis-exporter")  # Debian's build of oliver006/redis_exporter


class RedisServer:
    """redis-server on loopback with the generated files; only port, bind and data dir differ."""

    def __init__(self, settings: CacheSettings, workdir: Path) -> None:
        assert REDIS_SERVER, "redis-server is not installed (apt-get install redis-server)"
        workdir.mkdir(parents=True, exist_ok=True)
        acl = workdir / "users.acl"
        acl.write_text(files.users_acl(APP_PASSWORD, MONITOR_PASSWORD))
        config = workdir / "redis.conf"
        config.write_text(files.redis_conf(settings, str(acl), tls=False, data_dir=str(workdir)))
        self.port = free_port()
        self.process = subprocess.Popen(
            [REDIS_SERVER, str(config), "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize", "no"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client("monitor").ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    output = self.process.stdout.read().decode() if self.process.stdout else ""
                    raise RuntimeError(f"redis-server did not start:\n{output}") from None
                time.sleep(0.05)

    def client(self, who: str | None = "app", password: str | None = None) -> redis.Redis:
        users = {"app": (files.APP_USER, APP_PASSWORD), "monitor": (files.MONITOR_USER, MONITOR_PASSWORD)}
        username, secret = users[who] if who else (None, None)
        return redis.Redis(
            port=self.port,
            username=username,
            password=password or secret,
            decode_responses=True,
            socket_timeout=5,
            retry=NO_RETRY,
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=10)  # reaps the process and closes its pipe


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(CacheSettings(), tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def test_memory_limit_and_eviction_policy_are_applied(server: RedisServer) -> None:
    monitor = server.client("monitor")
    assert monitor.config_get("maxmemory") == {"maxmemory": "536870912"}
    assert monitor.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    assert monitor.config_get("save") == {"save": "3600 1 300 100 60 10000"}
    assert monitor.config_get("appendonly") == {"appendonly": "no"}
    assert monitor.config_get("protected-mode") == {"protected-mode": "yes"}
    assert monitor.config_get("timeout") == {"timeout": "300"}


def test_the_application_user_works_with_data_but_administers_nothing(server: RedisServer) -> None:
    app = server.client("app")
    assert app.set("entity:customer:1", "cached") is True
    assert app.get("entity:customer:1") == "cached"
    assert app.expire("entity:customer:1", 60) is True
    for command in (
        ["FLUSHALL"],
        ["FLUSHDB"],
        ["CONFIG", "SET", "maxmemory", "1"],
        ["CONFIG", "GET", "*"],
        ["SHUTDOWN"],
        ["KEYS", "*"],
        ["ACL", "LIST"],
    ):
        with pytest.raises(redis.exceptions.NoPermissionError):
            app.execute_command(*command)  # type: ignore[no-untyped-call]
    with pytest.raises(redis.ResponseError, match="DEBUG command not allowed"):  # refused before the ACL is asked
        app.execute_command("DEBUG", "SLEEP", "0")  # type: ignore[no-untyped-call]
    assert app.get("entity:customer:1") == "cached"


def test_the_default_user_and_wrong_passwords_are_refused(server: RedisServer) -> None:
    with pytest.raises((redis.AuthenticationError, redis.ResponseError)):
        server.client(None).ping()
    with pytest.raises(redis.AuthenticationError):
        server.client("app", password=token_hex(16)).ping()
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=server.port, username="default", password=token_hex(16), retry=NO_RETRY).ping()


def test_the_monitoring_user_reads_stats_but_no_data(server: RedisServer) -> None:
    monitor = server.client("monitor")
    assert "used_memory" in monitor.info("memory")
    with pytest.raises(redis.exceptions.NoPermissionError):
        monitor.set("x", "1")
    with pytest.raises(redis.exceptions.NoPermissionError):
        monitor.get("entity:customer:1")
    for command in (
        ("CLIENT", "KILL", "ID", "1"),
        ("CLIENT", "PAUSE", "10"),
        ("SLOWLOG", "RESET"),
        ("LATENCY", "RESET"),
        ("MEMORY", "PURGE"),
        ("CLUSTER", "RESET"),
        ("CONFIG", "SET", "maxmemory", "1mb"),
    ):
        with pytest.raises(redis.exceptions.NoPermissionError):
            monitor.execute_command(*command)  # type: ignore[no-untyped-call]


def test_a_full_cache_evicts_instead_of_refusing_writes(tmp_path: Path) -> None:
    small = CacheSettings(maxmemory="2mb")
    server = RedisServer(small, tmp_path)
    try:
        app = server.client("app")
        value = "x" * 1024
        written = [app.set(f"entity:{index}", value) for index in range(6000)]  # about 6 MB into 2 MB
        assert all(written)  # no write was refused with OOM
        monitor = server.client("monitor")
        assert monitor.info("stats")["evicted_keys"] > 0
        assert app.dbsize() < 6000
        assert monitor.info("memory")["used_memory"] <= 2 * 2**20 + 2**18  # held at maxmemory, give or take
    finally:
        server.stop()


def test_prod_appends_every_second(tmp_path: Path) -> None:
    server = RedisServer(parse("prod", {}).cache, tmp_path)
    try:
        monitor = server.client("monitor")
        assert monitor.config_get("appendonly") == {"appendonly": "yes"}
        assert monitor.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert monitor.config_get("maxmemory") == {"maxmemory": str(1536 * 2**20)}
    finally:
        server.stop()


def test_the_exporter_logs_in_as_the_monitor_user_with_the_generated_settings(
    server: RedisServer, tmp_path: Path
) -> None:
    assert REDIS_EXPORTER, "prometheus-redis-exporter is not installed (make test-deps)"
    address = f"redis://127.0.0.1:{server.port}"
    passwords = tmp_path / "redis-passwords.json"
    passwords.write_text(files.exporter_passwords(address, MONITOR_PASSWORD))
    port = free_port()
    env = {**files.exporter_env(address, str(passwords)), "PATH": os.environ["PATH"]}
    exporter = subprocess.Popen(
        [REDIS_EXPORTER, "-web.listen-address", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        metrics = _scrape(f"http://127.0.0.1:{port}/metrics", exporter)
        assert "redis_up 1" in metrics.splitlines()
        errors_line = [line for line in metrics.splitlines() if line.startswith("redis_exporter_last_scrape_error")]
        assert errors_line and errors_line[0].endswith(" 0"), errors_line
        assert any(line.startswith("redis_memory_max_bytes 5.36870912e+08") for line in metrics.splitlines())
    finally:
        exporter.terminate()
        _, errors = exporter.communicate(timeout=10)
    assert MONITOR_PASSWORD not in errors
    assert "NOPERM" not in errors  # every command of a default scrape is granted


def _scrape(url: str, process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a loopback URL)
                text: str = response.read().decode()
                return text
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
