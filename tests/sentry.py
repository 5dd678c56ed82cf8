"""What the program generated for Sentry, read back from a stack's recording, and sentry.conf.py run for real."""

import builtins
import io
import sys
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from tests.harness import Recording, Registered

CONTAINER = "docker:index/container:Container"


def container(recording: Recording, workload: str) -> Registered:
    return recording.one(CONTAINER, workload)


def uploads(recording: Recording, workload: str) -> dict[str, str]:
    """Every file uploaded into a dev container, secrets included, by path."""
    return {u["file"]: u["content"] for u in container(recording, workload).inputs.get("uploads", [])}


def env(recording: Recording, workload: str) -> dict[str, str]:
    return dict(entry.split("=", 1) for entry in container(recording, workload).inputs.get("envs", []))


@contextmanager
def _stub_server() -> Iterator[types.ModuleType]:
    """A stand-in for `sentry.conf.server`: the dictionaries sentry.conf.py extends, nothing else."""
    server = types.ModuleType("sentry.conf.server")
    server.SENTRY_OPTIONS = {}  # type: ignore[attr-defined]
    server.SENTRY_FEATURES = {}  # type: ignore[attr-defined]
    server.KAFKA_CLUSTERS = {}  # type: ignore[attr-defined]
    server.__all__ = ["SENTRY_OPTIONS", "SENTRY_FEATURES", "KAFKA_CLUSTERS"]  # type: ignore[attr-defined]
    modules = {"sentry": types.ModuleType("sentry"), "sentry.conf": types.ModuleType("sentry.conf")}
    modules["sentry.conf.server"] = server
    saved = {name: sys.modules.get(name) for name in modules}
    sys.modules.update(modules)
    try:
        yield server
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def run_sentry_conf(source: str, files: Mapping[str, str]) -> dict[str, Any]:
    """Compiles and executes sentry.conf.py; its `open` reads `files` (path -> content) and nothing else.

    Returns the settings it defines, as Sentry's settings module would hold them.
    """

    def fake_open(path: str, *args: Any, **kwargs: Any) -> Any:
        if path not in files:
            raise FileNotFoundError(path)
        return io.StringIO(files[path])

    code = compile(source, "sentry.conf.py", "exec")
    with _stub_server():
        namespace: dict[str, Any] = {"__builtins__": {**vars(builtins), "open": fake_open}, "__name__": "sentry_conf"}
        exec(code, namespace)  # noqa: S102 - the generated settings, run as Sentry imports them
    return {key: value for key, value in namespace.items() if key.isupper()}
