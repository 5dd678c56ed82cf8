"""Preflight for the docker target: every host port the stack publishes is free, or already its own.

Usage: python -m scripts.host_ports STACK. A local PostgreSQL on 5432, say, would otherwise fail
`pulumi up` halfway, after the other containers were created.
"""

import re
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from components.config import NAMESPACE, parse
from components.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def stack_settings(stack: str) -> Settings:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()).get("config", {})
    prefix = f"{NAMESPACE}:"
    return parse(stack, {key.removeprefix(prefix): value for key, value in config.items() if key.startswith(prefix)})


def published_by_the_stack(stack: str) -> set[int]:
    """Host ports the stack's own containers hold: a second `up` finds them taken by itself."""
    try:
        listing = subprocess.run(
            ["docker", "ps", "--all", "--filter", f"label=dev.dictamesh.stack={stack}", "--format", "{{.Ports}}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {int(port) for port in re.findall(r":(\d+)->", listing)}


def busy(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def problems(settings: Settings, ours: set[int]) -> list[str]:
    """A line per published port that something other than the stack (`ours`) holds."""
    if settings.target != "docker":
        return []
    stack = settings.stack
    return [
        f"127.0.0.1:{port} ({owner}) is already in use: stop what listens there, or move it with "
        f"dictamesh:{owner.split(' ')[0]} in Pulumi.{stack}.yaml"
        for port, owner in settings.published_ports()
        if port not in ours and busy(port)
    ]


def main() -> int:
    stack = sys.argv[1] if len(sys.argv) > 1 else "dev"
    found = problems(stack_settings(stack), published_by_the_stack(stack))
    for problem in found:
        print(f"preflight: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
