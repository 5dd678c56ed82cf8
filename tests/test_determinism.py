"""Every stack evaluates to the same inputs in every process, whatever Python's string hashing.

Iterating a set of strings follows the per-process hash seed: a program that does so changes its
resources' inputs between two `pulumi up` runs, and the real engine then updates or replaces them.
"""

import json
import os
import subprocess
import sys

from tests.harness import ROOT, run_stack

HASH_SEEDS = ("0", "1", "2")  # the real engine found 8 changes between seeds 0 and 1


def evaluate(stacks: list[str]) -> None:
    """Prints each stack's resources as JSON: inputs in the engine's wire form, dependencies as the set they are."""
    record = {
        stack: sorted([r.urn, r.raw, sorted(r.depends_on)] for r in run_stack(stack).resources) for stack in stacks
    }
    print(json.dumps(record, sort_keys=True))


def test_every_stack_evaluates_identically_under_other_hash_seeds() -> None:
    stacks = ["dev", "staging", "prod"]
    code = f"from tests.test_determinism import evaluate; evaluate({stacks!r})"
    runs = {
        seed: subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in HASH_SEEDS
    }
    outputs = {}
    for seed, process in runs.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        outputs[seed] = json.loads(out)
    first = outputs[HASH_SEEDS[0]]
    for seed in HASH_SEEDS[1:]:
        for stack in stacks:
            differ = [a[0] for a, b in zip(first[stack], outputs[seed][stack], strict=True) if a != b]
            assert not differ, f"{stack} under PYTHONHASHSEED={seed} differs from seed 0 in: {differ}"
