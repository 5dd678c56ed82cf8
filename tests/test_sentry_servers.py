"""Sentry's generated configs on real servers: SeaweedFS (tests.servers.WEED_RELEASE), nginx and redis-server.

Each runs what the dev stack generates; only addresses, ports and data directories change to fit this machine.
"""

import http.server
import os
import re
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from secrets import token_hex
from typing import Any

import boto3
import pytest
import redis
from botocore.config import Config
from botocore.exceptions import ClientError

from components.quantity import memory_bytes
from components.sentry import datastore_config
from scripts.ports import free_port
from tests.harness import Recording
from tests.sentry import container, run_sentry_conf, uploads
from tests.servers import Server, binary, built, wait_until, write

IDENTITIES = "/etc/seaweedfs/s3.json"


@pytest.fixture(scope="module")
def objectstore(stacks: dict[str, Recording], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The objectstore container's own arguments, on loopback ports and a temporary directory."""
    workdir = tmp_path_factory.mktemp("seaweedfs")
    identities = write(workdir / "s3.json", uploads(stacks["dev"], "sentry-objectstore")[IDENTITIES])
    s3_port = free_port()
    ports = {"s3.port": s3_port, "master.port": free_port(), "volume.port": free_port(), "filer.port": free_port()}
    here = {
        **{key: f"-{key}={port}" for key, port in ports.items()},
        "dir": f"-dir={workdir / 'data'}",
        "s3.config": f"-s3.config={identities}",
        "ip.bind": "-ip.bind=127.0.0.1",
    }
    generated = container(stacks["dev"], "sentry-objectstore").inputs["command"]
    args = [here.get(arg.lstrip("-").split("=", 1)[0], arg) for arg in generated]
    (workdir / "data").mkdir()
    for key in ("master.port", "volume.port", "filer.port"):  # gRPC ports default to port + 10000
        args.append(f"-{key}.grpc={free_port()}")
    server = Server([built("weed"), *args], f"http://127.0.0.1:{s3_port}/healthz")
    yield f"http://127.0.0.1:{s3_port}"
    server.stop()


def s3_client(endpoint: str, options: dict[str, Any], key: str | None = None) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=options["access_key"],
        aws_secret_access_key=key or options["secret_key"],
        region_name=options["region_name"],
        config=Config(s3={"addressing_style": options["addressing_style"]}, signature_version="s3v4"),
    )


def test_sentry_stores_files_in_the_bucket_the_objectstore_creates(
    stacks: dict[str, Recording], objectstore: str, request: pytest.FixtureRequest
) -> None:
    files = uploads(stacks["dev"], "sentry-web")
    options = run_sentry_conf(files["/etc/sentry/sentry.conf.py"], files)["SENTRY_OPTIONS"]["filestore.options"]
    client = s3_client(objectstore, options)
    request.addfinalizer(client.close)
    # created by the server as it starts (-bucket): no bootstrap step needed
    wait_until(
        lambda: options["bucket_name"] in [b["Name"] for b in client.list_buckets()["Buckets"]], 30, "the bucket"
    )
    # as Sentry's S3Boto3Storage writes: with the ACL of its options
    client.put_object(Bucket=options["bucket_name"], Key="attachments/1", Body=b"minidump", ACL=options["default_acl"])
    assert client.get_object(Bucket=options["bucket_name"], Key="attachments/1")["Body"].read() == b"minidump"


def test_the_objectstore_refuses_a_wrong_key_and_anonymous_reads(
    stacks: dict[str, Recording], objectstore: str
) -> None:
    files = uploads(stacks["dev"], "sentry-web")
    options = run_sentry_conf(files["/etc/sentry/sentry.conf.py"], files)["SENTRY_OPTIONS"]["filestore.options"]
    client = s3_client(objectstore, options, key="not-the-generated-key")
    with pytest.raises(ClientError):
        client.list_buckets()
    client.close()
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{objectstore}/{options['bucket_name']}/attachments/1", timeout=5)  # noqa: S310
    assert error.value.code == 403
    error.value.close()


class Recorder(http.server.BaseHTTPRequestHandler):
    """An upstream that answers every request with its own name and keeps what it saw."""

    seen: list[tuple[str, str, str]]
    forwarded_for: list[str]
    name: str

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append((self.command, self.path, self.headers.get("X-Forwarded-Proto", "")))
        self.forwarded_for.append(self.headers.get("X-Forwarded-For", ""))
        body = self.name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if "big-header" in self.path:  # as Sentry's pages send, with many links and cookies
            self.send_header("Link", ",".join(f"</organizations/sentry/{n}/>; rel=preload" for n in range(1000)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def upstream(name: str) -> tuple[http.server.ThreadingHTTPServer, list[tuple[str, str, str]]]:
    seen: list[tuple[str, str, str]] = []
    handler = type(name, (Recorder,), {"seen": seen, "name": name, "forwarded_for": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture(scope="module")
def nginx(stacks: dict[str, Recording], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("nginx")
    web, web_seen = upstream("web")
    relay, relay_seen = upstream("relay")
    port = free_port()
    conf = uploads(stacks["dev"], "sentry-nginx")["/etc/nginx/dictamesh/nginx.conf"]
    local = {
        "server sentry-web:9000;": f"server 127.0.0.1:{web.server_address[1]};",
        "server sentry-relay:3000;": f"server 127.0.0.1:{relay.server_address[1]};",
        "listen 8080;": f"listen 127.0.0.1:{port};",
        "pid /tmp/nginx.pid;": f"pid {workdir}/nginx.pid;",
    }
    for generated, here in local.items():
        assert generated in conf, generated
        conf = conf.replace(generated, here)
    conf = re.sub(r"_temp_path /tmp/", f"_temp_path {workdir}/", conf)
    path = write(workdir / "nginx.conf", conf)
    nginx_bin = binary("nginx", "/usr/sbin/nginx")
    test = [nginx_bin, "-t", "-c", str(path), "-p", str(workdir)]
    check = subprocess.run(test, check=False, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    server = Server([nginx_bin, "-c", str(path), "-p", str(workdir)], f"http://127.0.0.1:{port}/relay-health")
    yield {"base": f"http://127.0.0.1:{port}", "web": web_seen, "relay": relay_seen, "web_server": web}
    server.stop()
    for upstream_server in (web, relay):
        upstream_server.shutdown()
        upstream_server.server_close()


@pytest.mark.parametrize(
    ("method", "path", "to"),
    [
        ("POST", "/api/1/envelope/", "relay"),
        ("POST", "/api/42/store/", "relay"),
        ("POST", "/api/store/", "relay"),
        ("POST", "/api/0/relays/register/challenge/", "relay"),
        ("GET", "/api/0/projects/", "web"),
        ("GET", "/_health/", "web"),
        ("GET", "/organizations/sentry/issues/", "web"),
        ("GET", "/", "web"),
    ],
)
def test_nginx_sends_sdk_traffic_to_relay_and_the_rest_to_the_web(
    nginx: dict[str, Any], method: str, path: str, to: str
) -> None:
    body = b"{}" if method == "POST" else None
    request = urllib.request.Request(nginx["base"] + path, method=method, data=body)  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
        assert response.read().decode() == to
    assert nginx[to][-1] == (method, path, "http")


def test_nginx_passes_sentrys_large_response_headers(nginx: dict[str, Any]) -> None:
    """Past nginx's default header buffer (a memory page) it answered 502, "upstream sent too big header":
    self-hosted's buffer sizes (#1984)."""
    with urllib.request.urlopen(nginx["base"] + "/organizations/big-header/", timeout=5) as response:  # noqa: S310
        assert response.status == 200 and len(response.headers["Link"]) > 30000


def test_nginx_is_healthy_only_through_relays_readiness(nginx: dict[str, Any]) -> None:
    with urllib.request.urlopen(nginx["base"] + "/relay-health", timeout=5) as response:  # noqa: S310
        assert response.read().decode() == "relay"
    assert nginx["relay"][-1][1] == "/api/relay/healthcheck/ready/"


def test_nginx_serves_the_front_ends_assets_as_upstream_does(nginx: dict[str, Any]) -> None:
    """Without /_assets/, the UI's scripts and styles 404 (self-hosted 26.8.0's nginx.conf maps it)."""
    for path, reaches in (("/_assets/entrypoints/app.js", "/_static/dist/sentry/entrypoints/app.js"),
                          ("/_static/1/sentry/logo.svg", "/_static/1/sentry/logo.svg")):  # fmt: skip
        with urllib.request.urlopen(nginx["base"] + path, timeout=5) as response:  # noqa: S310 (loopback)
            assert response.read().decode() == "web"
        assert nginx["web"][-1][1] == reaches


def test_nginx_forwards_the_clients_own_address_not_one_it_claims(nginx: dict[str, Any]) -> None:
    """A client outside the trusted proxies cannot put an address of its choosing into Sentry's logs."""
    request = urllib.request.Request(nginx["base"] + "/api/0/", headers={"X-Forwarded-For": "203.0.113.9"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (loopback)
        response.read()
    handler = nginx["web_server"].RequestHandlerClass
    assert handler.forwarded_for[-1] == "127.0.0.1"


def test_nginx_answers_its_own_health_without_relay(nginx: dict[str, Any]) -> None:
    """Clusters probe nginx itself: a relay that is not ready must not take the web's front door down."""
    before = len(nginx["relay"])
    with urllib.request.urlopen(nginx["base"] + "/nginx-health", timeout=5) as response:  # noqa: S310
        assert response.status == 200
    assert len(nginx["relay"]) == before


def test_sentrys_valkey_config_requires_its_password_and_caps_memory(tmp_path: Path) -> None:
    password = token_hex(16)  # as generated: letters and digits
    config = write(tmp_path / "valkey.conf", datastore_config.valkey_conf(password, "256Mi", data_dir=str(tmp_path)))
    port = free_port()
    process = subprocess.Popen(
        [binary("redis-server"), str(config), "--port", str(port), "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with redis.Redis(port=port, password=password, socket_timeout=5) as client:
            wait_until(lambda: _answers(client), 10, "redis-server")
            assert int(client.config_get("maxmemory")["maxmemory"]) == memory_bytes("256Mi") * 3 // 4
            assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "volatile-lru"
        with redis.Redis(port=port, socket_timeout=5) as anonymous, pytest.raises(redis.AuthenticationError):
            anonymous.ping()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_memcached_runs_sentrys_arguments_and_keeps_source_maps_up_to_a_mebibyte(
    stacks: dict[str, Recording],
) -> None:
    args = container(stacks["dev"], "sentry-memcached").inputs["command"]
    port = free_port()
    # as root here, memcached must be told whom to run as; in the image it already is its own user
    extra = ["-u", "nobody"] if os.geteuid() == 0 else []
    process = subprocess.Popen(
        [binary("memcached"), *args[1:], "-p", str(port), "-l", "127.0.0.1", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with wait_until(lambda: _connect(port), 10, "memcached") as conn:
            assert _store(conn, "map", b"x" * (1024 * 1024 - 1024)) == b"STORED"
            assert _store(conn, "huge", b"x" * (1024 * 1024 + 1)).startswith(b"SERVER_ERROR")
    finally:
        process.terminate()
        process.wait(timeout=10)


def _connect(port: int) -> socket.socket | None:
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None


def _store(conn: socket.socket, key: str, value: bytes) -> bytes:
    conn.sendall(f"set {key} 0 0 {len(value)}\r\n".encode() + value + b"\r\n")
    return conn.recv(1024).strip()
