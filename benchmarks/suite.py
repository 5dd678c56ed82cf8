"""How long `make test` takes: lint, types and the fast tier, as a developer and CI run it.

Runs it --runs times (3 by default) on the checkout, on an otherwise idle machine, and prints each run and
the median; the fast tier runs one pytest worker per core (Makefile `unit`).

    uv run python benchmarks/suite.py [--runs 3]
"""

import argparse
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once() -> float:
    started = time.perf_counter()
    subprocess.run(["make", "test"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    seconds = []
    for number in range(1, runs + 1):
        seconds.append(run_once())
        print(f"run {number}: {seconds[-1]:.0f} s", flush=True)
    print(f"make test: median {statistics.median(seconds):.0f} s of {runs} runs")


if __name__ == "__main__":
    main()
