"""Container memory limits each stack reserves, per service and in total, from the program itself.

Dev: each container's `memory`; clusters: each pod template's limit times its replicas (jobs and
scheduled jobs excluded: they run now and then). Printed in MiB.

    uv run python benchmarks/memory.py
"""

import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.quantity import mebibytes  # noqa: E402
from tests.harness import Recording, run_stack  # noqa: E402

CONTAINER = "docker:index/container:Container"
LONG_RUNNING = ("kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment")


def limits(recording: Recording) -> dict[str, int]:
    """Service -> MiB of memory limits it reserves."""
    found: dict[str, int] = defaultdict(int)
    if recording.stack == "dev":
        for container in recording.of_type(CONTAINER):
            if container.inputs.get("mustRun") is not False:  # one-shot jobs exit
                found[container.inputs["name"].removeprefix("dictamesh-dev-")] += int(container.inputs["memory"])
        return dict(found)
    for kind in LONG_RUNNING:
        for workload in recording.of_type(kind):
            spec = workload.inputs["spec"]
            memory = spec["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
            found[workload.name] += mebibytes(memory) * int(spec["replicas"])
    return dict(found)


def main() -> None:
    for stack in ("dev", "staging", "prod"):
        services = limits(run_stack(stack))
        sentry = sum(mib for name, mib in services.items() if name.startswith("sentry-"))
        print(f"{stack}: {sum(services.values())} MiB of memory limits, of which Sentry {sentry} MiB")
        width = max(map(len, services))
        for name, mib in sorted(services.items(), key=lambda item: -item[1]):
            print(f"  {name:<{width}} {mib:>6} MiB")


if __name__ == "__main__":
    main()
