"""How long each stack takes to evaluate under the mock engine, against two floors: importing its SDKs, and
registering the very resources it registers with no program around them (the SDK's own cost per resource).

Each measurement runs in a fresh interpreter, as `pulumi up` starts one: the figures include imports. The
replay registers each recorded resource, with its recorded inputs and parent, as a plain CustomResource or
ComponentResource: what any program of that many resources pays the SDK, whatever its code. Prints the median
of --runs runs per stack.

    uv run python benchmarks/evaluate.py [--runs 5]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = "pulumi_kubernetes, " + ", ".join(
    f"pulumi_kubernetes.{api}" for api in ("core.v1", "apps.v1", "batch.v1", "networking.v1", "policy.v1")
)
# the SDK modules each stack's program loads: importing them is the floor no program can go under
SDKS = {"dev": "pulumi_docker", "staging": KUBERNETES, "prod": KUBERNETES}

CHILD = """
import json, sys, time
started = time.perf_counter()
import pulumi, pulumi_random, {sdk}
imported = time.perf_counter() - started
count = 0
if {mode!r} != "import":
    sys.path.insert(0, {root!r})
    from tests.harness import run_program, run_stack
if {mode!r} == "evaluate":
    recording = run_stack({stack!r})
    count = len(recording.resources)
    if {spec!r}:
        parents = {{r.urn: r.name for r in recording.resources}}
        spec = [[r.type, r.name, r.inputs, parents.get(r.parent)] for r in recording.resources]
        open({spec!r}, "w").write(json.dumps(spec, default=str))
if {mode!r} == "replay":
    spec = json.load(open({spec!r}))

    def replay():
        made = {{}}
        for type_, name, inputs, parent in spec:
            opts = pulumi.ResourceOptions(parent=made.get(parent))
            if type_.startswith("dictamesh:"):
                made[name] = pulumi.ComponentResource(type_, name, None, opts)
            elif type_ != "pulumi:pulumi:Stack":
                made[name] = pulumi.CustomResource(type_, name, inputs, opts)

    count = len(run_program({stack!r}, replay).resources)
print(json.dumps({{"import": imported, "total": time.perf_counter() - started, "resources": count}}))
"""


def measure(stack: str, mode: str = "evaluate", spec: str = "") -> dict[str, float]:
    """One fresh interpreter's figures: mode import (the SDKs alone), evaluate (the program; given `spec`, it
    also writes there what it registered), or replay (the resources in `spec`)."""
    code = CHILD.format(sdk=SDKS[stack], mode=mode, root=str(ROOT), stack=stack, spec=spec)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"median of {runs} runs, each in a fresh interpreter")
    print(f"{'stack':<8} {'SDK import':>11} {'replay':>8} {'program':>8} {'resources':>10}  program/import")
    with tempfile.TemporaryDirectory() as scratch:
        for stack in SDKS:
            spec = str(Path(scratch) / f"{stack}.json")
            count = int(measure(stack, "evaluate", spec)["resources"])
            floor, replay, total = (
                statistics.median(measure(stack, mode, spec if mode == "replay" else "")["total"] for _ in range(runs))
                for mode in ("import", "replay", "evaluate")
            )
            print(f"{stack:<8} {floor:>10.2f}s {replay:>7.2f}s {total:>7.2f}s {count:>10}  {total / floor:.1f}x")


if __name__ == "__main__":
    main()
