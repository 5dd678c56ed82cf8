"""How long a pull request's preview takes on the real engine, and where the time goes.

For each stack, on the local cluster (staging, prod) or a private dockerd (dev), with the engine from
../shared/engine: the first preview of an empty stack with the policy pack, the same without the pack, and for
the cluster stacks, once deployed, the preview of one changed setting with the pack (what a pull request
runs). Each figure is the median of --runs runs on an otherwise idle machine. The shares: the engine's fixed
cost (a program of two resources), the program alone (its evaluation under the mock engine, imports included,
benchmarks/evaluate.py), the pack (with it minus without it), and the rest: the engine's and the providers'
work per resource.

    uv run python -m benchmarks.preview [--runs 3]
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import yaml

from scripts import local_cluster
from scripts.e2e import copy_project, evaluation_seconds, run_env
from scripts.e2e_run import Run
from scripts.engine import engine_env
from scripts.local_dockerd import Dockerd

# one setting a pull request might change, per stack: a live change of the cache
CHANGE = ("cache", {"maxmemory": "300mb"})
TINY = """
import pulumi_random as random

for name in ("a", "b"):
    random.RandomPassword(name, length=32)
"""


def median_seconds(*actions: Callable[[], object], runs: int) -> list[float]:
    """The median time of each action; the actions take turns, so a machine warming up favours none of them."""
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for action, times in zip(actions, samples, strict=True):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
    return [statistics.median(times) for times in samples]


def engine_floor(run: Run, work: Path, runs: int) -> float:
    """A preview of a program with two resources: the CLI, the language host, a provider, the engine."""
    tiny = work / "tiny"
    tiny.mkdir()
    # a venv of its own with pip, which the Python runtime lists packages with; the program's SDK versions
    pins = [f"{package}=={version(package)}" for package in ("pulumi", "pulumi-random")]
    run.command(["uv", "venv", "--quiet", "--seed", "--python", "3.11", str(tiny / "venv")], "tiny-venv")
    python = str(tiny / "venv" / "bin" / "python")
    run.command(["uv", "pip", "install", "--quiet", "--compile-bytecode", "--python", python, *pins], "tiny")
    runtime = {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    (tiny / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "tiny", "runtime": runtime}))
    (tiny / "__main__.py").write_text(TINY)
    small = Run(tiny, run.env, run.logs, run.timings)
    small.pulumi("stack", "init", "--secrets-provider", "passphrase", stack="tiny")
    return median_seconds(lambda: small.pulumi("preview", stack="tiny"), runs=runs)[0]


def change_setting(project: Path, stack: str) -> None:
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    section, values = CHANGE
    key = f"dictamesh:{section}"
    document["config"][key] = {**document["config"].get(key, {}), **values}
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def report(stack: str, first: float, bare: float, changed: float | None, floor: float) -> str:
    program = evaluation_seconds(stack)
    pack = first - bare
    rest = bare - floor - program
    shown = f"{changed:.1f} s" if changed is not None else "not measured"
    return (
        f"{stack:<8} first {first:5.1f} s, without the pack {bare:5.1f} s, a changed setting {shown}; shares of "
        f"the first: engine {floor:.1f} s, program {program:.1f} s, pack {pack:.1f} s, per-resource work {rest:.1f} s"
    )


def measure_stack(run: Run, stack: str, runs: int, floor: float) -> str:
    run.pulumi("stack", "init", "--secrets-provider", "passphrase", stack=stack)
    with_pack = [*run.policy_args(stack)]
    first, bare = median_seconds(
        lambda: run.pulumi("preview", *with_pack, stack=stack), lambda: run.pulumi("preview", stack=stack), runs=runs
    )
    changed = None
    if stack != "dev":  # dev's up needs the stand-in images of make e2e (scripts/e2e_dev.py)
        run.pulumi("up", "--yes", "--skip-preview", *with_pack, stack=stack)
        change_setting(run.project, stack)
        changed = median_seconds(lambda: run.pulumi("preview", *with_pack, stack=stack), runs=runs)[0]
    return report(stack, first, bare, changed, floor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="dictamesh-preview-") as scratch:
        work = Path(scratch)
        for folder in ("project", "state", "logs", "cluster", "dockerd"):
            (work / folder).mkdir()
        copy_project(work / "project")
        cluster = local_cluster.start(work / "cluster")
        dockerd = Dockerd(work / "dockerd")
        try:
            run = Run(work / "project", run_env(engine_env(), work / "state", dockerd, cluster), work / "logs")
            floor = engine_floor(run, work, runs)
            print(f"median of {runs} runs; the engine's floor (2 resources): {floor:.1f} s", flush=True)
            for stack in ("staging", "prod", "dev"):
                print(measure_stack(run, stack, runs, floor), flush=True)
        finally:
            dockerd.stop()
            cluster.stop()


if __name__ == "__main__":
    main()
