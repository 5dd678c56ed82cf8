"""dev's stage of the real-engine tier: `pulumi up --stack dev` on a real Docker engine, with stand-in images.

What it proves: the engine, the Docker provider and the runtime. Every container is created, started and
waited for healthy as the program asks; a second `up`, a preview and a refresh find nothing to change;
volumes outlive the replacement of every container; a failed job fails the update with its name and
log; ports are on 127.0.0.1 alone; secret files are the container user's alone; the Makefile's dev
targets do what the README says. What it cannot prove: the real images' behaviour (scripts/standins.py).
"""

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from components.model import Workload
from scripts import standins
from scripts.e2e_day2 import changed, preview
from scripts.e2e_run import Run, StepFailedError, check_idempotent, check_secrecy, up_with_policies
from scripts.local_dockerd import Dockerd
from tests.harness import run_stack

ROOT = Path(__file__).resolve().parent.parent
STACK_LABEL = "label=dev.dictamesh.stack=dev"
MARKER = ".dictamesh-e2e-marker"
FAILING_TOPIC = "standin-exit-3"  # the stand-in rpk exits 3 when an argument says so


def containers(dockerd: Dockerd, *filters: str) -> dict[str, str]:
    """Name -> state, e.g. "running (healthy)" or "exited (0)"."""
    args = [arg for f in (STACK_LABEL, *filters) for arg in ("--filter", f)]
    names = dockerd.docker("ps", "--all", "--quiet", *args).stdout.split()
    if not names:
        return {}
    found = json.loads(dockerd.docker("inspect", *names).stdout)
    states = {}
    for item in found:
        state = item["State"]
        health = f" ({state['Health']['Status']})" if state.get("Health") else ""
        code = f" ({state['ExitCode']})" if state["Status"] == "exited" else ""
        states[item["Name"].lstrip("/")] = f"{state['Status']}{health}{code}"
    return states


def check_all_up(dockerd: Dockerd, wait: float = 0) -> int:
    """Every service running, and healthy where it has a check; every job exited 0. `wait`: seconds to
    allow for health checks still starting (after `make dev-up`, which waits for none)."""
    deadline = time.monotonic() + wait
    while True:
        services = containers(dockerd, "label=dev.dictamesh.kind=service")
        jobs = {n: s for n, s in containers(dockerd).items() if n not in services}
        wrong = {n: s for n, s in services.items() if s not in ("running", "running (healthy)")}
        wrong |= {n: s for n, s in jobs.items() if s != "exited (0)"}
        if services and not wrong:
            return len(services)
        if time.monotonic() > deadline:
            logs = {name: dockerd.docker("logs", "--tail", "5", name, check=False) for name in sorted(wrong)}
            shown = "\n".join(f"--- {name}\n{log.stdout}{log.stderr}" for name, log in logs.items())
            found = wrong or "none found"
            raise StepFailedError(f"dev's containers are not as `up` should leave them: {found}\n{shown}")
        time.sleep(2)


def check_ports(dockerd: Dockerd) -> int:
    published = []
    for name in containers(dockerd, "label=dev.dictamesh.kind=service"):
        for line in dockerd.docker("port", name).stdout.splitlines():
            published.append((name, line.split(" -> ")[1]))
    if not published or any(not address.startswith("127.0.0.1:") for _, address in published):
        raise StepFailedError(f"ports published beyond 127.0.0.1: {published}")
    return len(published)


def check_secret_files(dockerd: Dockerd, workloads: Sequence[Workload]) -> int:
    """Each uploaded secret is 0440 root:root (no bit for other users), and the container's user reads it
    through its added group 0. The group is the container's, so every process in it has it, a `docker
    exec` as another user too: the file's mode is what keeps out users without it."""
    checked = 0
    states = containers(dockerd)
    for workload in sorted(workloads, key=lambda w: w.name):
        count = workload.replicas if workload.kind == "service" else 1
        names = [f"dictamesh-dev-{workload.name}" + (f"-{i}" if count > 1 else "") for i in range(count)]
        for name in names:
            config = json.loads(dockerd.docker("inspect", name).stdout)[0]
            for path in sorted(workload.secrets):
                member = dockerd.file_info(name, path)
                if (member.mode & 0o7777, member.uid, member.gid) != (0o440, 0, 0) or "0" not in (
                    config["HostConfig"]["GroupAdd"] or []
                ):
                    raise StepFailedError(f"{name}:{path} is {oct(member.mode)} {member.uid}:{member.gid}")
                readable = dockerd.docker("exec", name, "cat", path, check=False).returncode == 0
                if states[name].startswith("running") and not readable:
                    raise StepFailedError(f"{name}: its user ({config['Config']['User']}) cannot read {path}")
                checked += 1
    if not checked:
        raise StepFailedError("found no secret file to check: the check would prove nothing")
    return checked


def volumes(dockerd: Dockerd) -> list[str]:
    return sorted(dockerd.docker("volume", "ls", "--quiet", "--filter", "name=dictamesh-dev-").stdout.split())


def in_volume(dockerd: Dockerd, volume: str, script: str) -> str:
    """Runs a shell script as root in a throwaway container of a stand-in image, `volume` at /v."""
    image = dockerd.docker("images", "--quiet").stdout.split()[0]
    return dockerd.docker(
        "run", "--rm", "--network", "none", "--user", "0:0", "--volume", f"{volume}:/v",
        "--entrypoint", "/bin/sh", image, "-c", script, check=False,
    ).stdout  # fmt: skip


def container_ids(dockerd: Dockerd) -> dict[str, str]:
    ids = dockerd.docker("ps", "--all", "--filter", STACK_LABEL, "--format", "{{.Names}} {{.ID}}").stdout
    return dict(line.split() for line in ids.splitlines())


def make(run: Run, *args: str) -> str:
    return run.command(["make", "--no-print-directory", *args], name=f"make-{args[0]}")


def one_broker() -> dict[str, Any]:
    """dev's event bus with one broker, its topics with one replica each."""
    bus = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["dictamesh:eventBus"]
    return {**bus, "brokers": 1, "topics": [{**topic, "replicas": 1} for topic in bus["topics"]]}


def run_dev(run: Run, dockerd: Dockerd, scratch: Path, state: Path) -> None:
    workloads = run_stack("dev").workloads  # what dev runs, as the program says under the mock engine
    # and what it runs with one broker (day 2): the stand-ins serve both sets of arguments
    served = [*workloads, *run_stack("dev", {"dictamesh:eventBus": one_broker()}).workloads]
    with run.step("stand-in images for dev") as notes:
        notes.append(f"{len(standins.build(dockerd, scratch, served))} images")

    with run.step("up dev, cold, with the policy pack") as notes:
        notes.append(f"{up_with_policies(run, 'dev')} resources, {check_all_up(dockerd)} services up")

    with run.step("secrecy of dev's state: the generated values and the secret outputs") as notes:
        # the state marks every container's whole uploads secret, paths and plain configs too (state_secrecy)
        notes.append(f"{check_secrecy(run, 'dev', state, marked=False)} secret values looked for")

    with run.step("up dev again: nothing to change") as notes:
        run.pulumi("preview", "--diff", "--expect-no-changes", stack="dev")  # shows the diff if there is one
        notes.append(f"{up_with_policies(run, 'dev', '--expect-no-changes')} resources")
    check_idempotent(run, "dev")

    with run.step("ports on 127.0.0.1 alone, secret files the container user's alone") as notes:
        notes.append(f"{check_ports(dockerd)} ports, {check_secret_files(dockerd, workloads)} secret files")

    with run.step("new images under the same tags: every container replaced, every volume kept") as notes:
        notes.append(replace_everything(run, dockerd, scratch, served))

    with run.step("day 2: brokers 3 -> 1, decommissioned first, every volume kept; then 3 again") as notes:
        notes.append(fewer_brokers(run, dockerd))

    with run.step("a failing job fails the update, named, with its log"):
        fail_a_job(run)

    with run.step("make dev-down keeps the volumes, make dev-up starts the same containers"):
        down_and_up(run, dockerd)

    with run.step("make dev-reset: destroyed with the volumes, then up empty"):
        make(run, "dev-reset")
        check_all_up(dockerd)
        left = [v for v in volumes(dockerd) if in_volume(dockerd, v, f"cat /v/{MARKER}").strip()]
        if left:
            raise StepFailedError(f"dev-reset kept the data of {left}")

    with run.step("make destroy STACK=dev: the containers go, the volumes stay"):
        kept = volumes(dockerd)
        make(run, "destroy", "STACK=dev")
        if containers(dockerd) or volumes(dockerd) != kept:
            raise StepFailedError(f"left behind: {containers(dockerd)}, volumes {kept} -> {volumes(dockerd)}")


def replace_everything(run: Run, dockerd: Dockerd, scratch: Path, workloads: Sequence[Workload]) -> str:
    """A marker in every volume; new stand-ins under the same references; `up --refresh` replaces every
    container, and every marker is still there."""
    kept = volumes(dockerd)
    for volume in kept:
        in_volume(dockerd, volume, f"echo {volume} > /v/{MARKER}")
    before = container_ids(dockerd)
    standins.build(dockerd, scratch, workloads, generation=2)
    run.pulumi("up", "--yes", "--skip-preview", "--refresh", stack="dev")
    after = container_ids(dockerd)
    same = sorted(name for name, cid in after.items() if before.get(name) == cid)
    lost = [v for v in kept if in_volume(dockerd, v, f"cat /v/{MARKER}").strip() != v]
    if same or lost or volumes(dockerd) != kept:
        raise StepFailedError(f"not replaced: {same}; markers lost: {lost}; volumes {kept} -> {volumes(dockerd)}")
    check_all_up(dockerd)
    return f"{len(after)} containers replaced, {len(kept)} volumes kept with their markers"


def fail_a_job(run: Run) -> None:
    """A topic the stand-in rpk refuses: the topics job exits 3, and the update fails saying so."""
    stack_file = run.project / "Pulumi.dev.yaml"
    committed = stack_file.read_text()
    config = yaml.safe_load(committed)
    config["config"]["dictamesh:eventBus"]["topics"].append({"name": FAILING_TOPIC, "partitions": 1, "replicas": 1})
    stack_file.write_text(yaml.safe_dump(config, sort_keys=False))
    try:
        output = run.pulumi("up", "--yes", "--skip-preview", stack="dev", ok=False)
    finally:
        stack_file.write_text(committed)
    expected = ("the job redpanda-topics exited with code 3", f'asked to exit 3 by the argument "{FAILING_TOPIC}"')
    if not all(text in output for text in expected):
        raise StepFailedError(f"the failed job's update did not say {expected}:\n{output[-3000:]}")
    run.pulumi("up", "--yes", "--skip-preview", stack="dev")
    run.pulumi("preview", "--expect-no-changes", stack="dev")


def down_and_up(run: Run, dockerd: Dockerd) -> None:
    before, kept = container_ids(dockerd), volumes(dockerd)
    make(run, "dev-down")
    if any(s.startswith("running") for s in containers(dockerd).values()) or volumes(dockerd) != kept:
        raise StepFailedError(f"dev-down: {containers(dockerd)}, volumes {volumes(dockerd)}")
    make(run, "dev-up")
    if container_ids(dockerd) != before:
        raise StepFailedError("dev-up created containers instead of starting the stopped ones")
    check_all_up(dockerd, wait=180)


def events(dockerd: Dockerd, since: float) -> list[tuple[str, str]]:
    """(action, container) of the engine's container events since `since`, in order."""
    lines = dockerd.docker(
        "events", "--since", f"{since:.3f}", "--until", f"{time.time():.3f}", "--filter", "type=container",
        "--format", "{{.Action}} {{.Actor.Attributes.name}}",
    ).stdout.splitlines()  # fmt: skip
    return [(action, name) for action, _, name in (line.partition(" ") for line in lines)]


def fewer_brokers(run: Run, dockerd: Dockerd) -> str:
    """Brokers 3 -> 1 on the marked volumes of replace_everything: the decommission container runs to its end
    before brokers 1 and 2 are removed, and no volume is deleted or loses its data. Then, as the runbook
    says, the leaving brokers' volumes go before the brokers grow back to 3."""
    kept, started = volumes(dockerd), time.time()
    with changed(run, "dev", {"eventBus": one_broker()}):
        if lost := preview(run, "dev").data_lost():
            raise StepFailedError(f"fewer brokers delete data on dev: {lost}")
        run.pulumi("up", "--yes", "--skip-preview", stack="dev")
        seen = events(dockerd, started)
        decommission = seen.index(("die", "dictamesh-dev-redpanda-decommission"))
        removed = [seen.index(("destroy", f"dictamesh-dev-redpanda-{n}")) for n in (1, 2)]
        if min(removed) < decommission:
            raise StepFailedError(f"a broker went before the decommission job had run: {seen}")
        lost = [v for v in kept if in_volume(dockerd, v, f"cat /v/{MARKER}").strip() != v]
        if volumes(dockerd) != kept or lost:
            raise StepFailedError(f"volumes {kept} -> {volumes(dockerd)}; markers lost: {lost}")
        check_all_up(dockerd)
    leftover = [v for v in kept if v.startswith(("dictamesh-dev-redpanda-1-", "dictamesh-dev-redpanda-2-"))]
    dockerd.docker("volume", "rm", *leftover)
    run.pulumi("up", "--yes", "--skip-preview", stack="dev")
    check_all_up(dockerd)
    return f"decommissioned before {len(removed)} brokers went, {len(kept)} volumes kept; then grown back to 3"
