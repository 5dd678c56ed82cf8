"""`make health`: every service of a stack, checked with its own protocol.

Reads the stack's outputs (`pulumi stack output --json --show-secrets`), or a file given with
--outputs. Dev reaches the services on 127.0.0.1; cluster stacks through `kubectl port-forward`,
started and stopped here, over TLS to the datastores where the stack encrypts (output `tlsCa`): the
certificate must chain to the stack's CA, read from its Secret; the name is not checked, since the
port-forward dials the Service for us. Prints one line per check with its latency (or JSON with --json), and
exits 1 naming every failed check. No credential is ever printed.

Usage: python -m scripts.health [--stack dev] [--json] [--outputs FILE]
"""

import argparse
import base64
import contextlib
import json
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import pg8000.native
import redis

from scripts.ports import free_port

Outputs = Mapping[str, Any]
EXTENSIONS = {"uuid-ossp", "pg_trgm", "vector"}
TIMEOUT = 5


@dataclass(frozen=True)
class Result:
    check: str
    ok: bool
    latency_ms: float
    detail: str


def _get(outputs: Outputs, path: str) -> Any:
    value: Any = outputs
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _host_port(url_or_address: str) -> tuple[str, int]:
    parts = urlsplit(url_or_address if "//" in url_or_address else f"//{url_or_address}")
    return parts.hostname or "127.0.0.1", parts.port or 80


def postgres(address: str, outputs: Outputs, tls: ssl.SSLContext | None = None) -> str:
    dsn = urlsplit(outputs["catalogDsn"])
    host, port = _host_port(address)
    connection = pg8000.native.Connection(
        user=unquote(dsn.username or ""),
        password=unquote(dsn.password or ""),
        host=host,
        port=port,
        database=dsn.path.lstrip("/"),
        timeout=TIMEOUT,
        ssl_context=tls,
    )
    try:
        connection.run("SELECT 1")
        present = {row[0] for row in connection.run("SELECT extname FROM pg_extension")}
    finally:
        connection.close()
    missing = EXTENSIONS - present
    if missing:
        raise RuntimeError(f"extensions missing: {', '.join(sorted(missing))}")
    return f"SELECT 1 as {dsn.username}; {', '.join(sorted(EXTENSIONS))} present"


def cache(address: str, outputs: Outputs, tls: ssl.SSLContext | None = None) -> str:
    url = urlsplit(outputs["cacheUrl"])
    host, port = _host_port(address)
    encrypted: dict[str, Any] = {"ssl": True, "ssl_check_hostname": False} if tls else {}
    if tls:
        encrypted["ssl_ca_data"] = "".join(ssl.DER_cert_to_PEM_cert(der) for der in tls.get_ca_certs(binary_form=True))
    client = redis.Redis(
        host=host,
        port=port,
        username=unquote(url.username or ""),
        password=unquote(url.password or ""),
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        **encrypted,
    )
    try:
        if not client.ping():
            raise RuntimeError("no PONG")
    finally:
        client.close()
    return f"AUTH as {url.username}, PING answered"


def _http(address: str, path: str, outputs: Outputs, sasl: bool = False, tls: ssl.SSLContext | None = None) -> bytes:
    host, port = _host_port(address)
    scheme = "https" if tls else "http"
    request = urllib.request.Request(f"{scheme}://{host}:{port}{path}")  # noqa: S310 (http or https alone)
    username, password = _get(outputs, "eventBus.saslUsername"), outputs.get("eventBusSaslPassword")
    if sasl and username and password:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=TIMEOUT, context=tls) as response:  # noqa: S310
        body: bytes = response.read()
        return body


def redpanda(address: str, outputs: Outputs, tls: ssl.SSLContext | None = None) -> str:
    health = json.loads(_http(address, "/v1/cluster/health_overview", outputs, sasl=True, tls=tls))
    if not health.get("is_healthy"):
        raise RuntimeError(f"cluster unhealthy: {health.get('unhealthy_reasons') or health}")
    return f"cluster healthy, {len(health.get('all_nodes', []))} brokers"


def schema_registry(address: str, outputs: Outputs, tls: ssl.SSLContext | None = None) -> str:
    subjects = json.loads(_http(address, "/subjects", outputs, sasl=True, tls=tls))
    return f"{len(subjects)} subjects"


def http_ok(path: str) -> "Probe":
    def check(address: str, outputs: Outputs, tls: ssl.SSLContext | None = None) -> str:
        _http(address, path, outputs)  # not a TLS server: no context
        return f"GET {path} 200"

    return check


Probe = Callable[[str, Outputs, ssl.SSLContext | None], str]


@dataclass(frozen=True)
class Service:
    check: str
    workload: str  # the Kubernetes Service
    port: int
    address: str  # output path of where the developer's machine reaches it (dev)
    probe: Probe
    needs: str  # the output that says the service is deployed


OBS = "observability"
SERVICES = [
    Service("postgres", "postgres", 5432, "catalog.hostAddress", postgres, "catalogDsn"),
    Service("redis", "redis", 6379, "cache.hostAddress", cache, "cacheUrl"),
    Service("redpanda", "redpanda", 9644, "eventBus.hostAdminUrl", redpanda, "eventBus"),
    Service("schema-registry", "redpanda", 8081, "eventBus.hostSchemaRegistryUrl", schema_registry, "eventBus"),
    Service("console", "redpanda-console", 8080, "eventBus.consoleUrl", http_ok("/admin/health"), "eventBus"),
    Service("prometheus", "prometheus", 9090, f"{OBS}.prometheusUrl", http_ok("/-/ready"), OBS),
    Service("alertmanager", "alertmanager", 9093, f"{OBS}.alertmanagerUrl", http_ok("/-/ready"), OBS),
    Service("grafana", "grafana", 3000, f"{OBS}.grafanaUrl", http_ok("/api/health"), OBS),
    Service("jaeger", "jaeger", 16686, f"{OBS}.jaegerUrl", http_ok("/"), OBS),
    Service("sentry", "sentry-nginx", 8080, "sentry.url", http_ok("/_health/"), "sentry"),
]


def _secrets(outputs: Outputs) -> list[str]:
    """Every password the outputs hold, to keep out of anything printed."""
    found = [urlsplit(outputs.get(key) or "").password for key in ("catalogDsn", "cacheUrl")]
    found += [outputs.get(key) for key in ("eventBusSaslPassword", "grafanaAdminPassword", "sentryAdminPassword")]
    return [unquote(value) for value in found if value]


def run_checks(outputs: Outputs, addresses: Mapping[str, str], tls: ssl.SSLContext | None = None) -> list[Result]:
    secrets = _secrets(outputs)
    results = []
    for service in SERVICES:
        if service.check not in addresses:
            continue
        started = time.perf_counter()
        try:
            detail, ok = service.probe(addresses[service.check], outputs, tls), True
        except Exception as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        for secret in secrets:
            detail = detail.replace(secret, "***")
        results.append(Result(service.check, ok, round((time.perf_counter() - started) * 1000, 1), detail))
    return results


def deployed(outputs: Outputs) -> list[Service]:
    return [service for service in SERVICES if _get(outputs, service.needs) is not None]


def local_addresses(outputs: Outputs) -> dict[str, str]:
    return {service.check: _get(outputs, service.address) for service in deployed(outputs)}


@contextlib.contextmanager
def forwarded(outputs: Outputs, context: str | None) -> Iterator[dict[str, str]]:
    """`kubectl port-forward` to each deployed Service, on free loopback ports, stopped on exit."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        raise SystemExit("health: cluster stacks are checked through `kubectl port-forward`: install kubectl")
    processes, addresses = [], {}
    try:
        for service in deployed(outputs):
            port = free_port()
            command = [kubectl, "-n", outputs["namespace"], "port-forward", f"svc/{service.workload}"]
            command += [f"{port}:{service.port}", *(["--context", context] if context else [])]
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            addresses[service.check] = f"127.0.0.1:{port}"
        for address in addresses.values():
            _wait_for(address)
        yield addresses
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def trust(outputs: Outputs, context: str | None) -> ssl.SSLContext | None:
    """The stack's CA from its Secret, where the stack encrypts: the datastores' certificates chain to it."""
    ca = outputs.get("tlsCa")
    if not ca:
        return None
    command = ["kubectl", "-n", ca["namespace"], "get", "secret", ca["secret"], "-o", "jsonpath={.data.ca\\.crt}"]
    read = subprocess.run(
        [*command, *(["--context", context] if context else [])], capture_output=True, text=True, check=False
    )
    if read.returncode != 0 or not read.stdout:
        raise SystemExit(f"health: cannot read the CA from secret {ca['secret']}: {read.stderr.strip() or 'empty'}")
    tls = ssl.create_default_context(cadata=base64.b64decode(read.stdout).decode())
    tls.check_hostname = False  # we dial the port-forward on 127.0.0.1, not the Service's name
    return tls


def _wait_for(address: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(_host_port(address), timeout=1):
            return
        time.sleep(0.2)


def stack_outputs(stack: str) -> dict[str, Any]:
    if not shutil.which("pulumi"):
        raise SystemExit("health: the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/)")
    listing = subprocess.run(
        ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
        capture_output=True,
        text=True,
        check=False,
    )
    if listing.returncode != 0:
        raise SystemExit(f"health: cannot read the outputs of stack {stack}: {listing.stderr.strip()}")
    outputs: dict[str, Any] = json.loads(listing.stdout)
    return outputs


def report(results: list[Result], as_json: bool) -> int:
    failed = [result.check for result in results if not result.ok]
    if as_json:
        print(json.dumps({"healthy": not failed, "checks": [asdict(r) for r in results]}, indent=2))
    else:
        for r in results:
            print(f"{'ok' if r.ok else 'FAILED':<7}{r.check:<17}{r.latency_ms:>8.1f} ms  {r.detail}")
        print(f"failed: {', '.join(failed)}" if failed else f"all {len(results)} checks passed")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--outputs", help="read the stack outputs from this JSON file instead of Pulumi")
    parser.add_argument("--context", help="kubeconfig context for cluster stacks")
    options = parser.parse_args()
    if options.outputs:
        with open(options.outputs) as source:
            outputs = json.load(source)
    else:
        outputs = stack_outputs(options.stack)
    if outputs.get("target") == "kubernetes":
        tls = trust(outputs, options.context)
        with forwarded(outputs, options.context) as addresses:
            return report(run_checks(outputs, addresses, tls), options.json)
    return report(run_checks(outputs, local_addresses(outputs)), options.json)


if __name__ == "__main__":
    sys.exit(main())
