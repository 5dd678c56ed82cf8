"""How the real-engine tier runs the CLI: the project copy, its environment, timed steps."""

import base64
import json
import re
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts import state_secrecy

HASH_SEEDS = ("0", "1")  # two processes whose string hashing differs: set order changes between them


class StepFailedError(Exception):
    pass


@dataclass
class Run:
    """The project copy, the environment `pulumi` runs in, and the timings taken."""

    project: Path
    env: dict[str, str]
    logs: Path
    timings: list[tuple[str, float, str]] = field(default_factory=list)

    def pulumi(
        self,
        *args: str,
        stack: str,
        ok: bool | None = True,
        env: dict[str, str] | None = None,
        stdout: bool = False,
        stdin: str | None = None,
    ) -> str:
        """Runs the CLI on `stack`; `ok` says whether it must succeed or must fail (None: either). Returns its
        output, or with `stdout` its standard output alone (a JSON document). `stdin` is its input: a secret
        value, say, which a command line would show."""
        command = ["pulumi", *args, "--stack", stack, "--non-interactive"]
        return self.command(command, f"{args[0]}-{stack}", ok, env, stdout=stdout, stdin=stdin)

    def command(
        self,
        command: list[str],
        name: str,
        ok: bool | None = True,
        env: dict[str, str] | None = None,
        *,
        stdout: bool = False,
        stdin: str | None = None,
    ) -> str:
        """Runs `command` in the project copy, its output logged under `name`."""
        result = subprocess.run(
            command,
            input=stdin,
            cwd=self.project,
            env={**self.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stdout else subprocess.STDOUT,
            text=True,
            check=False,
        )
        log = self.logs / f"{len(list(self.logs.iterdir())):02d}-{name}.log"
        log.write_text(f"$ {' '.join(command)}\n{result.stdout}{result.stderr or ''}")
        if ok is not None and (result.returncode == 0) != ok:
            expected = "succeed" if ok else "fail"
            raise StepFailedError(
                f"`{' '.join(command)}` should {expected}, exit {result.returncode}:\n{result.stdout[-4000:]}"
            )
        return result.stdout

    def policy_args(self, stack: str) -> list[str]:
        return ["--policy-pack", "policies", "--policy-pack-config", f"policies/config/{stack}.json"]

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Times a step; the body may append a note (a resource count, say) to the list it gets."""
        notes: list[str] = []
        print(f"e2e: {name} ...", flush=True)
        started = time.monotonic()
        yield notes
        seconds = time.monotonic() - started
        self.timings.append((name, seconds, ", ".join(notes)))
        print(f"e2e: {name}: {seconds:.1f} s {'(' + ', '.join(notes) + ')' if notes else ''}", flush=True)


def change_count(output: str) -> int:
    found = re.search(r"(\d+) to create", output)
    return int(found.group(1)) if found else 0


def state_resources(run: Run, stack: str) -> list[dict[str, Any]]:
    """The resources the stack's state holds, as `stack export` gives them (secrets encrypted)."""
    exported = json.loads(run.pulumi("stack", "export", stack=stack))
    resources: list[dict[str, Any]] = exported["deployment"].get("resources", [])
    return resources


def count_resources(run: Run, stack: str) -> int:
    return len(state_resources(run, stack))


def check_idempotent(run: Run, stack: str) -> None:
    """No change in a preview under two string-hash seeds, and no drift in a refresh (then no change)."""
    for seed in HASH_SEEDS:
        with run.step(f"preview {stack} --expect-no-changes, PYTHONHASHSEED={seed}"):
            run.pulumi("preview", "--expect-no-changes", stack=stack, env={"PYTHONHASHSEED": seed})
    with run.step(f"refresh {stack}: no drift"):
        run.pulumi("refresh", "--yes", "--expect-no-changes", stack=stack)
        run.pulumi("preview", "--expect-no-changes", stack=stack)


def up_with_policies(run: Run, stack: str, *extra: str) -> int:
    """`up` of `stack` with its policy pack and no preview; the resources its state then holds."""
    run.pulumi("up", "--yes", "--skip-preview", *extra, *run.policy_args(stack), stack=stack)
    return count_resources(run, stack)


def check_secrecy(
    run: Run, stack: str, state: Path, *, marked: bool = True, given: Mapping[str, str] | None = None
) -> int:
    """No secret value in `stack export` without secrets, nor in any file of the state backend (`marked`:
    state_secrecy.secret_values). `given`: values a consumer passed in as secrets, by name; each must be in the
    state as a secret, as itself or in base64 (a Secret's data), and neither form in plain text."""
    secrets = state_secrecy.secret_values(
        json.loads(run.pulumi("stack", "export", "--show-secrets", stack=stack)),
        json.loads(run.pulumi("stack", "export", stack=stack)),
        json.loads(run.pulumi("stack", "output", "--json", "--show-secrets", stack=stack)),
        json.loads(run.pulumi("stack", "output", "--json", stack=stack)),
        marked=marked,
    )
    if not secrets:
        raise StepFailedError(f"{stack}: found no secret to look for: the check would prove nothing")
    for value, name in (given or {}).items():
        forms = {value, base64.b64encode(value.encode()).decode()}
        if not forms & secrets.keys():
            raise StepFailedError(f"{stack}: {name} is nowhere in the state as a secret: it reached no resource")
        secrets.update(dict.fromkeys(forms, name))
    places = {"stack export": run.pulumi("stack", "export", stack=stack)}
    for path in sorted(state.rglob("*")):
        if path.is_file():
            places[str(path.relative_to(state))] = path.read_text(errors="replace")
    if leaked := state_secrecy.leaks(secrets, places):
        raise StepFailedError(f"{stack}: secrets in plain text:\n" + "\n".join(leaked))
    return len(secrets)
