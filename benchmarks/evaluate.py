"""How long each stack takes to evaluate under the mock engine, against the floor of importing its SDKs.

Each measurement runs in a fresh interpreter, as `pulumi up` starts one: the figures include
imports. Prints the median of --runs runs per stack.

    uv run python benchmarks/evaluate.py [--runs 5]
"""

import argparse
import json
import statistics
import subprocess
import sys
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
if {evaluate}:
    sys.path.insert(0, {root!r})
    from tests.harness import run_stack
    recording = run_stack({stack!r})
    count = len(recording.resources)
else:
    count = 0
print(json.dumps({{"import": imported, "total": time.perf_counter() - started, "resources": count}}))
"""


def measure(stack: str, evaluate: bool) -> dict[str, float]:
    code = CHILD.format(sdk=SDKS[stack], evaluate=evaluate, root=str(ROOT), stack=stack)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"median of {runs} runs, each in a fresh interpreter")
    print(f"{'stack':<8} {'SDK import (floor)':>19} {'import + evaluate':>18} {'resources':>10}")
    for stack in SDKS:
        floor = statistics.median(measure(stack, evaluate=False)["total"] for _ in range(runs))
        samples = [measure(stack, evaluate=True) for _ in range(runs)]
        total = statistics.median(sample["total"] for sample in samples)
        count = int(samples[0]["resources"])
        print(f"{stack:<8} {floor:>18.2f}s {total:>17.2f}s {count:>10}")


if __name__ == "__main__":
    main()
