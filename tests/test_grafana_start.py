"""Grafana's start script with stand-ins for its CLI and the image's /run.sh: the stack's admin password is set
on a database Grafana already has, from the secret file on stdin, and Grafana starts whatever the CLI says.

No Grafana runs here, and its repository is too large to read at 12.3.1: the CLI's flags and words are those of
a 12.x pkg/cmd/grafana-cli/commands/reset_password_command.go (`--password-from-stdin`; "Admin password changed
successfully"; exit 0 when the user is not found, so the script reads the words, not the exit code)."""

import os
import subprocess
from pathlib import Path
from secrets import token_hex

import pytest

from components.observability import grafana
from tests.harness import Recording
from tests.observability import files_of

PASSWORD = token_hex(16)


def start(tmp_path: Path, cli_says: str, database: bool) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The script as the dev stack mounts it, its /run.sh and `grafana` replaced by recorders."""
    bin_dir, data = tmp_path / "bin", tmp_path / "data"
    bin_dir.mkdir()
    data.mkdir()
    if database:
        (data / "grafana.db").write_bytes(b"SQLite format 3\x00")
    calls = tmp_path / "calls"
    (bin_dir / "grafana").write_text(
        f'#!/bin/sh\necho "grafana $*" >> {calls}\necho "stdin $(cat)" >> {calls}\necho "{cli_says}"\n'
    )
    (bin_dir / "run.sh").write_text(f'#!/bin/sh\necho "run.sh $*" >> {calls}\n')
    for tool in ("grafana", "run.sh"):
        (bin_dir / tool).chmod(0o755)
    password_file = tmp_path / "grafana-admin-password"
    password_file.write_text(PASSWORD)
    script = tmp_path / "grafana-start.sh"
    script.write_text(grafana.start_script().replace("exec /run.sh", f"exec {bin_dir / 'run.sh'}"))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GF_PATHS_DATA": str(data),
        "GF_SECURITY_ADMIN_PASSWORD__FILE": str(password_file),
    }
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=10, check=False)
    return done, calls


def test_the_stacks_password_is_set_on_a_database_grafana_has(tmp_path: Path) -> None:
    done, calls = start(tmp_path, "Admin password changed successfully ✔", database=True)
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines() == [
        "grafana cli admin reset-admin-password --password-from-stdin",  # never the password on a command line
        f"stdin {PASSWORD}",
        "run.sh ",
    ]
    assert done.stdout.strip() == "grafana-start: the admin password is the stack's" and done.stderr == ""


def test_a_refusal_is_logged_and_grafana_starts_all_the_same(tmp_path: Path) -> None:
    done, calls = start(tmp_path, "Error: ✗ could not find user", database=True)
    assert done.returncode == 0
    assert "the admin password was not set" in done.stderr and "could not find user" in done.stderr
    assert calls.read_text().splitlines()[-1] == "run.sh "


def test_a_new_database_takes_the_password_from_the_environment(tmp_path: Path) -> None:
    done, calls = start(tmp_path, "unused", database=False)
    assert done.returncode == 0
    assert calls.read_text().splitlines() == ["run.sh "]  # the first start: GF_SECURITY_ADMIN_PASSWORD applies


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_grafana_starts_through_the_script(stacks: dict[str, Recording], stack: str) -> None:
    files = files_of(stacks[stack], "grafana")
    key = grafana.START_SCRIPT if stack == "dev" else "grafana-start.sh"
    assert files[key] == grafana.start_script()
