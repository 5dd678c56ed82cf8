"""Stands in for a Redpanda broker's admin API in tests: the routes the event bus's scripts call, answered as
redpanda v24.3.2 answers them, the newest source the store holds (src/v/redpanda/admin/server.cc and
security.cc, api-doc/broker.json and cluster.json; the 26.2 docs describe the same routes).

Authentication is Redpanda's (src/v/security/request_auth.cc): with admin_api_require_auth off every request
passes as a superuser, whatever login it carries; with it on, a wrong login is 401 on every route, the public
ones included, no login is 401 on a user's route and 403 on a superuser's. State lives in a JSON file that
tests/fake_rpk.py shares, and every request is logged with the user it came as.
"""

import base64
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Answer = tuple[int, Any]
PUBLIC, USER, SUPERUSER = "public", "user", "superuser"


@dataclass
class Request:
    method: str
    path: str
    user: str | None
    body: Any = None


@dataclass
class FakeAdmin:
    """An admin API on 127.0.0.1, its state in `state_file` (see the module's docstring)."""

    state_file: Path
    journal: Path | None = None  # where each request is also written, as a line: "METHOD path"
    requests: list[Request] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def state(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.state_file.read_text())
        return loaded

    def update(self, **changes: Any) -> None:
        """Changes the cluster's state as a test's event would (a broker catching up), between two requests."""
        with self._lock:
            save(self.state_file, self.state() | changes)

    def calls(self, method: str, pattern: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and re.fullmatch(pattern, r.path)]

    def handle(self, method: str, path: str, login: str | None, body: Any) -> Answer:
        with self._lock:
            state = self.state()
            user, refused = _authenticate(state, login)
            self.requests.append(Request(method, path, user, body))
            if self.journal:
                with self.journal.open("a") as journal:
                    journal.write(f"{method} {path}\n")
            for route_method, pattern, level, answer in ROUTES:
                if route_method == method and (found := re.fullmatch(pattern, path)):
                    if refused:
                        return 401, {"message": "Unauthorized", "code": 401}
                    if denied := _deny(state, user, level):
                        return denied
                    code, result = answer(state, body, *found.groups())
                    save(self.state_file, state)
                    return code, result
            return 404, {"message": f"no route {method} {path}", "code": 404}


def _authenticate(state: dict[str, Any], login: str | None) -> tuple[str | None, bool]:
    """(the user, whether the login is refused)."""
    if not state.get("admin_api_require_auth", False):
        return "*", False
    if login is None:
        return None, False
    user, _, password = login.partition(":")
    return user, state.get("users", {}).get(user) != password


def _deny(state: dict[str, Any], user: str | None, level: str) -> Answer | None:
    if level == PUBLIC or user == "*":
        return None
    if user is None:
        message = "Forbidden (authentication is required)" if level == USER else "Forbidden (superuser role required)"
        return (401 if level == USER else 403), {"message": message}
    if level == SUPERUSER and user not in state.get("superusers", []):
        return 403, {"message": "Forbidden (superuser role required)"}
    return None


def _broker(state: dict[str, Any], node: str) -> dict[str, Any] | None:
    return next((b for b in state.get("brokers", []) if str(b["node_id"]) == node), None)


def _health(state: dict[str, Any], _: Any) -> Answer:
    nodes = [b["node_id"] for b in state.get("brokers", [])]
    healthy = state.get("healthy", True)
    return 200, {"is_healthy": healthy, "unhealthy_reasons": [] if healthy else ["nodes_down"], "all_nodes": nodes}


def _enter_maintenance(state: dict[str, Any], _: Any, node: str) -> Answer:
    if _broker(state, node) is None:
        return 404, {"message": f"node {node} does not exist"}
    holder = state.get("maintenance")
    if holder is not None and str(holder) != node:
        return 400, {"message": f"cannot place node {node} into maintenance mode. node {holder} already in maintenance"}
    state["maintenance"] = int(node)
    return 200, None


def _leave_maintenance(state: dict[str, Any], _: Any, node: str) -> Answer:
    if str(state.get("maintenance")) != node:
        return 400, {"message": f"node {node} is not in maintenance mode"}
    state["maintenance"] = None
    return 200, None


def _drain_status(state: dict[str, Any], _: Any) -> Answer:
    """This broker's drain: finished after `drain_polls` more polls."""
    if state.get("maintenance") != state.get("node_id"):
        return 200, {"draining": False, "finished": False}
    left = state.get("drain_polls", 0)
    state["drain_polls"] = max(0, left - 1)
    return 200, {"draining": True, "finished": left == 0}


def _decommission(state: dict[str, Any], _: Any, node: str) -> Answer:
    broker = _broker(state, node)
    if broker is None:
        return 404, {"message": f"Node {node} does not exist"}
    if broker["membership_status"] != "active":
        return 400, {"message": "invalid node operation"}
    broker["membership_status"] = "draining"
    return 200, None


def _decommission_status(state: dict[str, Any], _: Any, node: str) -> Answer:
    """Replicas move off a draining broker, `decommission_polls` of them a poll; then it leaves the cluster."""
    broker = _broker(state, node)
    if broker is None:
        return 404, {"message": f"Node {node} does not exist"}
    if broker["membership_status"] != "draining":
        return 400, {"message": f"Node {node} is not decommissioning"}
    left = state.setdefault("replicas", {}).get(node, 0)
    if left == 0:
        state["brokers"].remove(broker)
        state.setdefault("removed", []).append(int(node))
    else:
        state["replicas"][node] = left - 1
    return 200, {"finished": left == 0, "replicas_left": left, "allocation_failures": []}


def _create_user(state: dict[str, Any], body: Any) -> Answer:
    users = state.setdefault("users", {})
    if body["username"] in users and users[body["username"]] != body["password"]:
        return 400, {"message": "User already exists"}
    users[body["username"]] = body["password"]
    return 200, None


def _update_user(state: dict[str, Any], body: Any, user: str) -> Answer:
    state.setdefault("users", {})[user] = body["password"]
    return 200, None


ROUTES: list[tuple[str, str, str, Callable[..., Answer]]] = [
    ("GET", "/v1/status/ready", PUBLIC, lambda state, _: (200, {"status": state.get("status", "ready")})),
    ("GET", "/v1/cluster/health_overview", PUBLIC, _health),
    ("GET", "/v1/node_config", SUPERUSER, lambda state, _: (200, {"node_id": state["node_id"], "rack": None})),
    ("GET", "/v1/brokers", USER, lambda state, _: (200, state.get("brokers", []))),
    ("PUT", r"/v1/brokers/(\d+)/maintenance", SUPERUSER, _enter_maintenance),
    ("DELETE", r"/v1/brokers/(\d+)/maintenance", SUPERUSER, _leave_maintenance),
    ("GET", "/v1/maintenance", SUPERUSER, _drain_status),
    ("PUT", r"/v1/brokers/(\d+)/decommission", SUPERUSER, _decommission),
    ("GET", r"/v1/brokers/(\d+)/decommission", USER, _decommission_status),
    ("POST", "/v1/security/users", SUPERUSER, _create_user),
    ("PUT", r"/v1/security/users/([^/]+)", SUPERUSER, _update_user),
]


def brokers(hosts: list[str]) -> list[dict[str, Any]]:
    """/v1/brokers as redpanda answers it: node_id first in each object (api-doc/broker.json)."""
    return [
        {
            "node_id": node,
            "num_cores": 1,
            "membership_status": "active",
            "is_alive": True,
            "disk_space": [{"path": "/var/lib/redpanda/data", "free": 1, "total": 2}],
            "version": "v26.2.3 - 0000000000000000000000000000000000000000",
            "maintenance_status": {"draining": False, "finished": False},
            "internal_rpc_address": host,
            "internal_rpc_port": 33145,
        }
        for node, host in enumerate(hosts)
    ]


def save(state_file: Path, state: dict[str, Any]) -> None:
    """A whole new state or none: a reader between a truncation and its write would read nothing."""
    scratch = state_file.with_name(f"{state_file.name}.{os.getpid()}.{threading.get_ident()}")
    scratch.write_text(json.dumps(state))
    scratch.replace(state_file)


@contextmanager
def serving(state_file: Path, journal: Path | None = None) -> Iterator[FakeAdmin]:
    admin = FakeAdmin(state_file, journal)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            header = self.headers.get("Authorization", "")
            login = base64.b64decode(header[6:]).decode() if header.startswith("Basic ") else None
            code, result = admin.handle(self.command, self.path, login, body)
            data = json.dumps(result, separators=(",", ":")).encode()  # seastar's JSON has no spaces
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = _answer  # noqa: N815 (http.server's names)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    admin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield admin
    finally:
        server.shutdown()
        server.server_close()
