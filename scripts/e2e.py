"""The real-engine tier: every stack on the real Pulumi engine, the policy pack and real providers.

staging and prod go to a local control plane (scripts/local_cluster.py: a real API server, controller
manager and scheduler, with KWOK's fake nodes), dev to a Docker engine of its own
(scripts/local_dockerd.py) with stand-in images (scripts/e2e_dev.py). Both are started here and always
stopped. State lives in a file backend in a scratch folder, with passphrase secrets. The program runs
from a copy of the checkout, since `pulumi stack init` writes into the stack files.

No real image runs: none can be pulled here. What this proves is the engine, the providers, the
policies, the secrecy of the state, idempotence, the API server's admission, and dev's containers as
the Docker engine runs them.

Usage: make e2e, or make e2e-dev for dev's stage alone (needs make test-deps and make e2e-deps; the
engine as scripts/engine.py finds it)
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.evaluate import measure
from scripts import local_cluster
from scripts.e2e_day2 import run_cluster_day2
from scripts.e2e_dev import run_dev
from scripts.e2e_package import run_package, run_python_on_docker
from scripts.e2e_run import Run, StepFailedError, change_count, check_idempotent, check_secrecy, up_with_policies
from scripts.engine import EngineMissingError, engine_env
from scripts.local_dockerd import Dockerd

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")
PASSPHRASE = "e2e-only-passphrase"  # noqa: S105 (guards a scratch state deleted at the end)
CANNOT_RUN = "can't run policy"  # the policy framework's note when a policy read an unknown value
# a container that breaks one rule only, privilege: docker-no-privilege must stop it before anything is created
KNOWN_BAD = """
import pulumi_docker as _docker

_docker.Container(
    "known-bad",
    name="known-bad",
    image="busybox:1.36.1",
    privileged=True,
    memory=64,
    restart="unless-stopped",
    healthcheck=_docker.ContainerHealthcheckArgs(tests=["CMD", "true"]),
)
"""


def copy_project(target: Path) -> None:
    """The checkout's files as git sees them (tracked and new, not ignored), without venvs or state."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in sorted(filter(None, listed.split("\0"))):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # the policy pack runs in its own venv, which the CLI expects beside it
    (target / "policies" / "venv").symlink_to(ROOT / "policies" / "venv")


def check_stack_file(run: Run, stack: str) -> None:
    """`stack init` adds the passphrase's salt: the committed stack file must keep everything else."""
    before = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    after = (run.project / f"Pulumi.{stack}.yaml").read_text()
    kept = [line for line in after.splitlines() if not line.startswith("encryptionsalt:")]
    if kept != before.splitlines() or len(kept) == len(after.splitlines()):
        raise StepFailedError(
            f"`pulumi stack init` rewrote Pulumi.{stack}.yaml beyond adding `encryptionsalt`:\n"
            f"--- committed\n{before}\n--- after stack init\n{after}"
        )


def evaluation_seconds(stack: str) -> float:
    """The program's own time under the mock engine, imports included: what the engine adds is the rest."""
    return measure(stack)["total"]


def run_all(run: Run, work: Path, dockerd: Dockerd, cluster: local_cluster.Cluster | None) -> None:
    state = work / "state"
    for stack in STACKS if cluster else ("dev",):
        with run.step(f"stack init {stack}"):
            run.pulumi("stack", "init", "--secrets-provider", "passphrase", stack=stack)
            check_stack_file(run, stack)
    if cluster:
        run_previews_and_cluster(run, state, cluster)
        run_package(run, cluster, work / "package", state)
    run_dev(run, dockerd, work / "standins", state)
    if cluster:  # the package's Python consumer, installed by run_package, on dev's stand-in images
        run_python_on_docker(run, dockerd, state)


def run_previews_and_cluster(run: Run, state: Path, cluster: local_cluster.Cluster) -> None:
    for stack in STACKS:
        with run.step(f"preview {stack} with the policy pack") as notes:
            output = run.pulumi("preview", *run.policy_args(stack), stack=stack)
            if CANNOT_RUN in output:
                raise StepFailedError(f"{stack}: a policy could not run during the preview:\n{output[-3000:]}")
            notes.append(f"{change_count(output)} resources")
            notes.append(f"program alone {evaluation_seconds(stack):.1f} s")

    with run.step("preview staging without the policy pack: what the pack adds"):
        run.pulumi("preview", stack="staging")

    with run.step("up staging") as notes:
        notes.append(f"{up_with_policies(run, 'staging')} resources")

    check_idempotent(run, "staging")

    with run.step("secrecy of staging's state") as notes:
        notes.append(f"{check_secrecy(run, 'staging', state)} secret values looked for")

    with run.step("day 2 on staging: each change's real plan held to the change table") as notes:
        notes.extend(run_cluster_day2(run, "staging", cluster))

    with run.step("up prod") as notes:
        notes.append(f"{up_with_policies(run, 'prod')} resources")

    with run.step("secrecy of prod's state") as notes:
        notes.append(f"{check_secrecy(run, 'prod', state)} secret values looked for")

    with run.step("destroy prod: refused by protection"):
        output = run.pulumi("destroy", "--yes", stack="prod", ok=False)
        if "protected" not in output:
            raise StepFailedError(f"prod's destroy failed, but not for protection:\n{output[-3000:]}")

    with run.step("destroy staging"):
        run.pulumi("destroy", "--yes", stack="staging")

    with run.step("a privileged container fails the real preview"):
        bad = run.project.parent / "known-bad"
        shutil.copytree(run.project, bad, symlinks=True)
        with (bad / "__main__.py").open("a") as main:
            main.write(KNOWN_BAD)
        output = Run(bad, run.env, run.logs).pulumi("preview", *run.policy_args("dev"), stack="dev", ok=False)
        mandatory = [line for line in output.splitlines() if "[mandatory]" in line]
        if not mandatory or any("docker-no-privilege" not in line for line in mandatory):
            raise StepFailedError(f"the known-bad preview did not fail on docker-no-privilege alone:\n{output}")

    with run.step("prod without TLS fails the real preview"):
        plain = run.project.parent / "plain-prod"
        shutil.copytree(run.project, plain, symlinks=True)
        copy = Run(plain, run.env, run.logs)
        copy.pulumi("config", "set", "--path", "dictamesh:kubernetes.tls.enabled", "false", stack="prod")
        output = copy.pulumi("preview", *run.policy_args("prod"), stack="prod", ok=False)
        mandatory = [line for line in output.splitlines() if "[mandatory]" in line]
        if len(mandatory) != 3 or any("datastores-encrypted-in-transit" not in line for line in mandatory):
            raise StepFailedError(f"prod without TLS did not fail on datastores-encrypted-in-transit alone:\n{output}")

    with run.step("prod on a Gateway: the listener's protocol read from the cluster, plain HTTP refused") as notes:
        notes.append(check_gateway_listener(run, cluster))


GATEWAY_EXPOSURE = {
    "mode": "gateway",
    "domain": "dictamesh.example.com",
    "gateway.name": "edge",
    "gateway.namespace": "gateways",
    "controllerNamespace": "envoy-gateway-system",
}


def check_gateway_listener(run: Run, cluster: local_cluster.Cluster) -> str:
    """The program reads the Gateway on the real engine: its HTTPS listener passes the pack, its plain one is
    refused by name, whatever the listener is called."""
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "gateways"}}, dry_run=False)
    cluster.apply(local_cluster.EDGE_GATEWAY, dry_run=False)
    routed = run.project.parent / "gateway-prod"
    shutil.copytree(run.project, routed, symlinks=True)
    copy = Run(routed, run.env, run.logs)
    for key, value in GATEWAY_EXPOSURE.items():
        copy.pulumi("config", "set", "--path", f"dictamesh:kubernetes.exposure.{key}", value, stack="prod")
    copy.pulumi("config", "set", "--path", "dictamesh:kubernetes.exposure.gateway.listener", "public", stack="prod")
    output = copy.pulumi("preview", "--diff", *run.policy_args("prod"), stack="prod")
    annotation = 'dictamesh.io/gateway-listener-protocol: "HTTPS"'  # the preview's diff of each route
    routes = output.count(annotation)
    if routes < 2 or "[mandatory]" in output:
        raise StepFailedError(f"the routes on the HTTPS listener did not pass as HTTPS:\n{output[-3000:]}")
    copy.pulumi("config", "set", "--path", "dictamesh:kubernetes.exposure.gateway.listener", "web", stack="prod")
    output = copy.pulumi("preview", *run.policy_args("prod"), stack="prod", ok=False)
    if "Gateway gateways/edge serves it over HTTP" not in output:
        raise StepFailedError(f"the plain listener was not refused by its protocol:\n{output[-3000:]}")
    return f"{routes} routes read HTTPS on listener 'public'; listener 'web' refused as HTTP"


def uv_dir() -> str:
    """uv's folder: the Python runtime's `toolchain: uv` runs it from PATH."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        raise SystemExit("e2e: uv is not on PATH: run it through `make e2e`")
    return str(Path(uv).parent)


def run_env(
    engine: dict[str, str], state: Path, dockerd: Dockerd, cluster: local_cluster.Cluster | None
) -> dict[str, str]:
    """The engine's environment for runs of the project copy: uv on PATH, a file backend in `state` with the
    passphrase, the checkout's venv (already synced), the private dockerd and, with a cluster, its kubeconfig."""
    env = engine | {
        "PATH": f"{uv_dir()}{os.pathsep}{engine['PATH']}",
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "UV_PROJECT_ENVIRONMENT": str(ROOT / ".venv"),
        "DOCKER_HOST": dockerd.host,
    }
    if cluster is not None:
        env["KUBECONFIG"] = str(cluster.kubeconfig)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description="the real-engine tier (make e2e)")
    parser.add_argument("--dev", action="store_true", help="dev's stage alone, on dockerd: no cluster")
    dev_only = parser.parse_args().dev
    try:
        env = engine_env()
    except EngineMissingError as missing:
        print(f"e2e: {missing}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dictamesh-e2e-") as scratch:
        work = Path(scratch)
        for folder in ("project", "state", "logs", "cluster", "dockerd", "standins", "package"):
            (work / folder).mkdir()
        copy_project(work / "project")
        cluster = None if dev_only else local_cluster.start(work / "cluster")
        dockerd: Dockerd | None = None
        try:
            dockerd = Dockerd(work / "dockerd")
            run = Run(work / "project", run_env(env, work / "state", dockerd, cluster), work / "logs")
            started = time.monotonic()
            try:
                run_all(run, work, dockerd, cluster)
            except StepFailedError as failure:
                print(f"e2e: FAILED: {failure}", file=sys.stderr)
                keep = Path(tempfile.mkdtemp(prefix="dictamesh-e2e-logs-"))
                shutil.copytree(work / "logs", keep, dirs_exist_ok=True)
                print(f"e2e: every command's output is in {keep}", file=sys.stderr)
                return 1
            print(f"\ne2e: passed in {time.monotonic() - started:.0f} s")
            print(f"{'step':<76} {'seconds':>8}  notes")
            for name, seconds, notes in run.timings:
                print(f"{name:<76} {seconds:>8.1f}  {notes}")
            return 0
        finally:
            if dockerd is not None:
                dockerd.stop()
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
