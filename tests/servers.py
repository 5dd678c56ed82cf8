"""Real server processes for the tests: start on loopback, wait until they answer, stop and reap."""

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from components.login.settings import Login
from components.observability.settings import ObservabilitySettings

T = TypeVar("T")


# The SeaweedFS the server tests run. The image is 4.40_large_disk, as self-hosted 26.8.0 pins it; the Go
# module proxy here serves no 4.40 commit, only the one whose weed/util/version says 4.53. So the objectstore's
# arguments run on 4.53, and tests/test_image_facts.py holds them to 4.40's own flag list besides.
WEED_RELEASE = "4.53"


TOOLS = Path(os.environ.get("DICTAMESH_TOOLS", Path.home() / ".cache" / "dictamesh" / "tools"))
OIDC_SOURCES = Path(__file__).parent / "oidc"


def built(tool: str) -> str:
    """promtool, amtool, alertmanager, jaeger, oauth2-proxy or kube-state-metrics at the version of its image,
    weed at WEED_RELEASE, or the test OIDC provider (tests/oidc) at its sources, as scripts/test-deps.sh builds
    it."""
    if tool == "oidc":
        sources = b"".join((OIDC_SOURCES / name).read_bytes() for name in ("go.mod", "go.sum", "main.go"))
        version = hashlib.sha256(sources).hexdigest()[:12]
        path = TOOLS / f"oidc-{version}" / tool
    else:
        settings = ObservabilitySettings()
        images = {
            "promtool": settings.prometheus_image,
            "amtool": settings.alertmanager_image,
            "alertmanager": settings.alertmanager_image,
            "jaeger": settings.jaeger_image,
            "oauth2-proxy": Login().image,
            "kube-state-metrics": settings.kube_state_metrics_image,
            "weed": f"seaweedfs:{WEED_RELEASE}",
        }
        name, version = images[tool].rsplit("/", 1)[-1].split(":")
        path = TOOLS / f"{name}-{version}" / tool
    assert path.is_file(), f"{tool} {version} is not built at {path} (make test-deps)"
    return str(path)


def binary(*names: str) -> str:
    """The first of `names` on PATH; the tests need it (make test-deps installs Debian's)."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(f"{names[0]} is not installed (make test-deps)")


class Server:
    def __init__(self, command: Sequence[str], ready_url: str, env: Mapping[str, str] | None = None) -> None:
        self.command = list(command)
        self.ready_url = ready_url
        parts = urllib.parse.urlsplit(ready_url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.process = subprocess.Popen(
            list(command),
            env=dict(env) if env is not None else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.text(ready_url, wait=20)

    def text(self, url: str, wait: float = 5) -> str:
        deadline = time.monotonic() + wait
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback URLs)
                    body: str = response.read().decode()
                    return body
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.command[0]} exited:\n{self.stop()}") from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def json(self, url: str) -> Any:
        return json.loads(self.text(url))

    def stop(self, kill: bool = False) -> str:
        """Stops the process (at once with `kill`, as a crash would); returns what it wrote to stderr."""
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
        _, errors = self.process.communicate(timeout=20)
        return errors or ""


def metric_names(text: str) -> set[str]:
    """Metric names of a /metrics page, histogram and summary suffixes included as written."""
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def wait_until(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first truthy result of `check`, polled until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.25)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
