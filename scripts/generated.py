"""The one way `make docs` writes a generated file, and a test finds it stale: `--check` compares, never writes."""

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path


def write_or_check(description: str, files: Mapping[Path, str]) -> int:
    """Writes each file's text, or with --check returns 1 (naming the stale ones) when any differs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="fail when a generated file is stale; write nothing")
    if parser.parse_args().check:
        stale = [path.name for path, text in files.items() if not path.is_file() or path.read_text() != text]
        if stale:
            print(f"{', '.join(stale)} stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return 0
