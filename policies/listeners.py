"""What a datastore's own config says it listens on in plain text, read from the files its pods mount.

A certificate in the pod proves nothing by itself: PostgreSQL with `host` lines in pg_hba.conf, Redis with
a `port` besides its `tls-port`, or a Redpanda listener without a TLS entry of its name still take plain
text. Each reader returns one line per such listener.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

Files = Mapping[str, str]  # a ConfigMap's data: file name -> content


def postgres(files: Files, _args: Sequence[str]) -> list[str]:
    conf, hba = files.get("postgresql.conf", ""), files.get("pg_hba.conf")
    found = [] if re.search(r"^ssl\s*=\s*(on|true)\b", conf, re.MULTILINE) else ["postgresql.conf: ssl is not on"]
    if hba is None:
        return [*found, "no pg_hba.conf of the stack's: initdb's takes plain-text connections from the network"]
    rules = (line.split() for line in hba.splitlines() if line.strip() and not line.lstrip().startswith("#"))
    plain = [rule for rule in rules if rule[0] in ("host", "hostnossl")]
    return found + [f"pg_hba.conf: `{' '.join(rule)}` takes plain text" for rule in plain]


def redis(files: Files, _args: Sequence[str]) -> list[str]:
    settings = {}
    for line in files.get("redis.conf", "").splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            settings[words[0].lower()] = words[1:]
    found = [] if settings.get("port") == ["0"] else [f"redis.conf: port {' '.join(settings.get('port', ['6379']))}"]
    if settings.get("tls-port", ["0"]) == ["0"]:
        found.append("redis.conf: no tls-port")
    return found


def redpanda(files: Files, args: Sequence[str]) -> list[str]:
    """Every named listener of the start flags and of redpanda.yaml has an enabled TLS entry of its name."""
    config: dict[str, Any] = yaml.safe_load(files.get("redpanda.yaml", "")) or {}
    node = config.get("redpanda") or {}

    def secured(entries: Any) -> set[str]:
        return {e.get("name", "") for e in entries or [] if isinstance(e, dict) and e.get("enabled")}

    apis: dict[str, tuple[str, Any, set[str]]] = {
        "kafka": ("--kafka-addr=", node.get("kafka_api"), secured(node.get("kafka_api_tls"))),
        "http proxy": ("--pandaproxy-addr=", None, secured((config.get("pandaproxy") or {}).get("pandaproxy_api_tls"))),
        "schema registry": (
            "--schema-registry-addr=",
            None,
            secured((config.get("schema_registry") or {}).get("schema_registry_api_tls")),
        ),
        "admin": ("", node.get("admin"), secured(node.get("admin_api_tls"))),  # no flag: redpanda.yaml alone
    }
    found = []
    for api, (flag, listed, tls) in apis.items():
        names = [e.get("name", "") for e in listed] if isinstance(listed, list) else [""] if listed else []
        for arg in (a for a in args if flag and a.startswith(flag)):
            names += [address.split("://")[0] if "://" in address else "" for address in arg[len(flag) :].split(",")]
        open_ = [name or "(unnamed)" for name in names if name not in tls]
        found += [f"redpanda: the {api} listener {name!r} has no TLS" for name in open_]
    if not (node.get("rpc_server_tls") or {}).get("enabled"):
        found.append("redpanda: the RPC between brokers has no TLS")
    return found


READERS: dict[str, Callable[[Files, Sequence[str]], list[str]]] = {
    "postgres": postgres,
    "redis": redis,
    "redpanda": redpanda,
}
