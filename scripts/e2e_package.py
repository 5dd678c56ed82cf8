"""The component package's stage of the real-engine tier: the wheel installed into a fresh venv, the schema the
real engine reads from the provider, and the three consumers of examples/ on the local cluster, each with the
policy pack and the secrecy check on its state:

- Python installs the wheel and deploys the cache alone into an existing namespace: up, no-change preview, the
  plans of a new maxmemory (held to the change table) and of the target's protect, instance and strictSpread,
  destroy (which leaves the claim);
- TypeScript runs `pulumi package add` on the provider and deploys the event bus with its Console exposed through
  an Ingress and behind the login proxy: preview, up, no-change preview, then the plans of another domain and of
  no exposure, which touch the exposure's objects alone;
- Python again, once dev's stage has made the stand-in images: the cache on an existing Docker network of the
  private dockerd, healthy and published at its port plus the offset; no change, the plans of the target's
  protect and hostPortOffset, destroy keeping the volume;
- Pulumi YAML uses the cache, the catalog database with backups, and Sentry with an SMTP password from the
  consumer's secret config: a preview that passes the staging pack, and one that the prod pack refuses, since the
  consumer's Redis and PostgreSQL inside the components serve no TLS; then up, the secrecy check (the password
  among the secrets), destroy. That pack is the wheel's, in a pack folder of two files such as another program
  would keep.
"""

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml

from scripts.e2e_day2 import STATEFULSET, Plan, hold, kind
from scripts.e2e_run import (
    Run,
    StepFailedError,
    change_count,
    check_secrecy,
    count_resources,
    state_resources,
)
from scripts.local_cluster import Cluster
from scripts.local_dockerd import Dockerd

STACK = "e2e"
DOCKER_STACK = "e2e-docker"
# a target's own argument, a new value, and what its real plan must do to Redis's StatefulSet or container (README,
# "Using the components in another program"): the claims and volumes stay either way
TARGET_CHANGES = [
    ("protect", "true", ("same", "update")),  # the state alone
    ("instance", "team-cache", ("replace",)),  # in every selector, which the API server keeps
    ("strictSpread", "true", ("same",)),  # one replica has no spread rule to make strict: nothing changes
]
DOCKER_TARGET_CHANGES = [
    ("protect", "true", ("same", "update")),  # the volumes' state alone
    ("hostPortOffset", "2000", ("replace",)),  # a container's published ports are fixed at its creation
]
CONTAINER = "docker:index/container:Container"
NAMESPACES = {"python": "team-data", "typescript": "team-events", "yaml": "team-apps"}
CONSOLE_DOMAIN = "team.example.com"  # the TypeScript example's Console at console.<domain>
EXPOSURE_TYPE = "dictamesh:platform:Exposure"  # the component that holds a public component's exposed UIs
STORAGE_CLASS = "standard"  # one of the local cluster's (its claims bind at once)
# npm's downloads, kept between runs beside the engine's (content-addressed: the lock file's pins pick from it)
NPM_CACHE = Path(os.environ.get("DICTAMESH_NPM_CACHE", Path.home() / ".cache" / "dictamesh" / "npm"))


def run_package(run: Run, cluster: Cluster, scratch: Path, state: Path) -> None:
    with run.step("package: the wheel, installed into a fresh venv with no file of the checkout beside it") as notes:
        wheel = build_wheel(run, scratch)
        notes.append(wheel.name)
    with run.step("package: the provider's schema, as the real engine reads it, is the checked-in one"):
        install(run, run.project / "provider" / "venv", wheel)
        check_schema(run)
    for namespace in sorted(set(NAMESPACES.values())):
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}, dry_run=False)
    run_python(example(run, "python"), cluster, wheel, state, checkout_pack(run))
    run_typescript(example(run, "typescript"), cluster, state, checkout_pack(run))
    run_yaml(example(run, "yaml"), state, wheel_pack(scratch))


def example(run: Run, name: str, stack: str = STACK) -> Run:
    """A Run in an example's folder of the project copy, sharing the logs and the timings, with `stack` made."""
    consumer = Run(run.project / "examples" / name, run.env, run.logs, run.timings)
    consumer.pulumi("stack", "init", "--secrets-provider", "passphrase", stack=stack)
    if stack == STACK:
        consumer.pulumi("config", "set", "namespace", NAMESPACES[name], stack=stack)
    if stack == STACK and name != "yaml":  # whose claims take the cluster's default class
        consumer.pulumi("config", "set", "storageClass", STORAGE_CLASS, stack=stack)
    return consumer


@dataclass(frozen=True)
class Pack:
    """A policy pack: the folder `--policy-pack` names, and the folder of its configs, one per environment."""

    folder: Path
    configs: Path

    def args(self, environment: str) -> list[str]:
        return ["--policy-pack", str(self.folder), "--policy-pack-config", str(self.configs / f"{environment}.json")]


def checkout_pack(run: Run) -> Pack:
    """The project copy's pack, as this program's stacks run it."""
    return Pack(run.project / "policies", run.project / "policies" / "config")


def wheel_pack(scratch: Path) -> Pack:
    """A pack folder of a consumer's own, two files: the wheel's policies, served from the fresh venv."""
    folder = scratch / "guardrails"
    folder.mkdir()
    runtime = {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(scratch / "fresh")}}
    (folder / "PulumiPolicy.yaml").write_text(yaml.safe_dump({"description": "DictaMesh's", "runtime": runtime}))
    (folder / "__main__.py").write_text("import policies.__main__  # noqa: F401 (its import serves the pack)\n")
    (site,) = (scratch / "fresh" / "lib").glob("python3.*/site-packages")
    return Pack(folder, site / "policies" / "config")


def build_wheel(run: Run, scratch: Path) -> Path:
    run.command(["uv", "build", "--wheel", "--out-dir", str(scratch / "dist")], "uv-build")
    (wheel,) = (scratch / "dist").glob("dictamesh_infra-*.whl")
    fresh = scratch / "fresh"
    install(run, fresh, wheel)
    # from a folder of its own: only the venv can provide `components`
    probe = (
        "import json, components; from importlib.resources import files; "
        "print(json.dumps([components.__file__, components.__all__, "
        "(files('components.catalog') / 'sql' / '01-init-metadata-catalog.sql').is_file()]))"
    )
    where, exported, data = json.loads(
        Run(scratch, run.env, run.logs, run.timings).command([str(fresh / "bin" / "python"), "-c", probe], "import")
    )
    if not where.startswith(str(fresh)) or "Cache" not in exported or not data:
        raise StepFailedError(f"the wheel's package is not whole in a fresh venv: {where}, {exported}, sql {data}")
    return wheel


def install(run: Run, venv: Path, wheel: Path) -> None:
    """A venv with pip (the Python runtime lists packages with it) and the wheel, compiled as pip would."""
    run.command(["uv", "venv", "--quiet", "--seed", "--python", "3.11", str(venv)], f"venv-{venv.parent.name}")
    python = str(venv / "bin" / "python")
    run.command(["uv", "pip", "install", "--quiet", "--compile-bytecode", "--python", python, str(wheel)], "install")


def check_schema(run: Run) -> None:
    served = json.loads(run.command(["pulumi", "package", "get-schema", "./provider"], "get-schema", stdout=True))
    checked_in = json.loads((run.project / "provider" / "schema.json").read_text())
    if served != checked_in:
        raise StepFailedError("the provider serves a schema other than provider/schema.json: run `make docs`")


def run_python(run: Run, cluster: Cluster, wheel: Path, state: Path, pack: Pack) -> None:
    install(run, run.project / "venv", wheel)
    with run.step("package, Python: up of the cache alone in an existing namespace, with the pack") as notes:
        run.pulumi("up", "--yes", "--skip-preview", *pack.args("staging"), stack=STACK)
        notes.append(f"{count_resources(run, STACK)} resources")
    with run.step("package, Python: no-change preview"):
        run.pulumi("preview", "--expect-no-changes", *pack.args("staging"), stack=STACK)
    with run.step("package, Python: day 2, a new maxmemory: the plan the change table gives cache.maxmemory") as notes:
        run.pulumi("config", "set", "maxmemory", "384mb", stack=STACK)
        output = run.pulumi("preview", "--json", *pack.args("staging"), stack=STACK, stdout=True)
        notes.append(
            hold(Plan(json.loads(output).get("steps", []), output, failed=False), "cache.maxmemory", "kubernetes")
        )
        run.pulumi("config", "rm", "maxmemory", stack=STACK)
    target_changes(run, "Python", STACK, pack=pack.args("staging"), workload=STATEFULSET, changes=TARGET_CHANGES)
    with run.step("package, Python: secrecy of the state") as notes:
        notes.append(f"{check_secrecy(run, STACK, state)} secret values, none in plain text")
    with run.step("package, Python: destroy, which keeps the claim"):
        run.pulumi("destroy", "--yes", stack=STACK)
        claims = cluster.items(f"/api/v1/namespaces/{NAMESPACES['python']}/persistentvolumeclaims")
        if "data-redis-0" not in [claim["metadata"]["name"] for claim in claims]:
            raise StepFailedError("destroying the consumer's stack deleted Redis's claim")


def target_changes(
    run: Run,
    consumer: str,
    stack: str,
    *,
    pack: list[str],
    workload: str,
    changes: list[tuple[str, str, tuple[str, ...]]],
) -> None:
    """Each change's real plan, one at a time: Redis's `workload` does one of the ops given, and nothing that holds
    data is deleted."""
    held = [r["urn"] for r in state_resources(run, stack) if kind(r) == workload]
    if not any(urn.rsplit("::", 1)[-1] == "redis" for urn in held):
        # a plan reads an untouched resource as absent: absence only means "same" for one the stack holds
        raise StepFailedError(f"the {consumer} stack holds no {workload} named redis, only {held}")
    for key, value, ops in changes:
        with run.step(f"package, {consumer}: day 2, the target's {key} = {value}: Redis {' or '.join(ops)}") as notes:
            run.pulumi("config", "set", key, value, stack=stack)
            output = run.pulumi("preview", "--json", *pack, stack=stack, stdout=True)
            plan = Plan(json.loads(output).get("steps", []), output, failed=False)
            # the JSON leaves out a resource the plan does not touch
            op = next((step["op"] for step in plan.of(workload) if plan.name(step) == "redis"), "same")
            if lost := plan.data_lost():
                raise StepFailedError(f"{key}: the plan deletes data: {lost}")
            if op not in ops:
                raise StepFailedError(f"{key}: Redis's {workload} is {op}, not {' or '.join(ops)}")
            notes.append(f"{op}, {len(plan.changed())} steps, no claim or volume deleted")
            run.pulumi("config", "rm", key, stack=stack)


def run_typescript(run: Run, cluster: Cluster, state: Path, pack: Pack) -> None:
    npm = {"npm_config_cache": str(NPM_CACHE), "npm_config_audit": "false", "npm_config_fund": "false"}
    run = Run(run.project, {**run.env, **npm}, run.logs, run.timings)
    run.pulumi("config", "set", "domain", CONSOLE_DOMAIN, stack=STACK)  # the Console exposed, behind the login
    with run.step("package, TypeScript: `pulumi package add` on the provider, then npm install"):
        run.command(["pulumi", "package", "add", "../../provider"], "package-add")
        if not (run.project / "sdks" / "dictamesh" / "eventBus.ts").is_file():
            raise StepFailedError("`pulumi package add` generated no EventBus in sdks/dictamesh")
    with run.step("package, TypeScript: preview of the event bus, its Console exposed, with the pack") as notes:
        output = run.pulumi("preview", *pack.args("staging"), stack=STACK)
        notes.append(f"{change_count(output)} resources")
    with run.step("package, TypeScript: up with the pack, the Console behind its login proxy") as notes:
        run.pulumi("up", "--yes", "--skip-preview", *pack.args("staging"), stack=STACK)
        namespace = NAMESPACES["typescript"]
        routes = cluster.items(f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses")
        backends = {
            rule["host"]: path["backend"]["service"]["name"]
            for route in routes
            for rule in route["spec"]["rules"]
            for path in rule["http"]["paths"]
        }
        url = json.loads(run.pulumi("stack", "output", "--json", stack=STACK, stdout=True)).get("consoleUrl")
        if backends != {f"console.{CONSOLE_DOMAIN}": "console-login"} or url != f"https://console.{CONSOLE_DOMAIN}/":
            raise StepFailedError(f"the Console is not exposed through its login: ingresses {backends}, url {url}")
        notes.append(f"{count_resources(run, STACK)} resources, {url} through console-login")
    with run.step("package, TypeScript: no-change preview (the login's generated secrets stay as they are)"):
        run.pulumi("preview", "--expect-no-changes", stack=STACK)
    with run.step("package, TypeScript: secrecy of the state") as notes:
        notes.append(f"{check_secrecy(run, STACK, state)} secret values, none in plain text")
    for domain, change in ((f"events.{CONSOLE_DOMAIN}", "another domain"), ("", "no exposure")):
        with run.step(f"package, TypeScript: day 2, {change}: the exposure's objects alone change") as notes:
            run.pulumi("config", "set", "domain", domain, stack=STACK)
            output = run.pulumi("preview", "--json", stack=STACK, stdout=True)
            plan = Plan(json.loads(output).get("steps", []), output, failed=False)
            # the Ingress, the login proxy, its policies and generated secrets: all children of the exposure
            outside = [f"{s['op']} {plan.name(s)}" for s in plan.changed() if EXPOSURE_TYPE not in s["urn"]]
            if not plan.changed() or outside or plan.data_lost():
                raise StepFailedError(f"{change}: {len(plan.changed())} steps, beyond the exposure {outside}")
            notes.append(", ".join(sorted({f"{s['op']} {plan.name(s)}" for s in plan.changed()})))
    run.pulumi("config", "set", "domain", CONSOLE_DOMAIN, stack=STACK)


def run_yaml(run: Run, state: Path, pack: Pack) -> None:
    smtp_password = f"smtp-{secrets.token_hex(12)}"
    run.pulumi("config", "set", "--secret", "smtpPassword", stack=STACK, stdin=smtp_password)
    with run.step("package, YAML: preview of the cache, the catalog with backups and Sentry, with the pack") as notes:
        output = run.pulumi("preview", *pack.args("staging"), stack=STACK)
        for cronjob in ("postgres-backup", "postgres-restore", "sentry-cleanup"):
            if not re.search(rf"kubernetes:batch/v1:CronJob {cronjob} +create", output):
                raise StepFailedError(f"the example's arguments made no CronJob {cronjob}:\n{output[-3000:]}")
        notes.append(f"{change_count(output)} resources, the backups' and Sentry's CronJobs among them")
    with run.step("package, YAML: the prod pack refuses the consumer's plain-text datastores"):
        output = run.pulumi("preview", *pack.args("prod"), stack=STACK, ok=False)
        for workload in ("redis", "postgres"):
            if f"datastores-encrypted-in-transit  (kubernetes:apps/v1:StatefulSet: {workload})" not in output:
                raise StepFailedError(f"the prod pack did not stop the consumer's {workload}:\n{output[-3000:]}")
    with run.step("package, YAML: up with the pack, the claims in the cluster's default class") as notes:
        run.pulumi("up", "--yes", "--skip-preview", *pack.args("staging"), stack=STACK)
        notes.append(f"{count_resources(run, STACK)} resources")
    with run.step("package, YAML: secrecy of the state, the consumer's SMTP password among its secrets") as notes:
        # the password crosses the provider as an Output nested in `smtp`, and must reach Sentry's Secret
        given = {smtp_password: "the config's smtpPassword"}
        notes.append(f"{check_secrecy(run, STACK, state, given=given)} secret values, none in plain text")
    with run.step("package, YAML: destroy"):
        run.pulumi("destroy", "--yes", stack=STACK)


def run_python_on_docker(run: Run, dockerd: Dockerd, state: Path) -> None:
    """examples/python on dockerd's network `team-net`, once dev's stage has made the stand-in images: its venv
    and wheel are the Kubernetes run's (run_python)."""
    consumer = example(run, "python", DOCKER_STACK)
    pack = checkout_pack(run)
    consumer.pulumi("config", "set", "network", "team-net", stack=DOCKER_STACK)
    consumer.pulumi("config", "set", "hostPortOffset", "1000", stack=DOCKER_STACK)
    dockerd.docker("network", "create", "team-net")
    redis = f"dictamesh-{DOCKER_STACK}-redis"
    with run.step("package, Python on Docker: up of the cache on an existing network, with the pack") as notes:
        consumer.pulumi("up", "--yes", "--skip-preview", *pack.args("dev"), stack=DOCKER_STACK)
        state_of = json.loads(dockerd.docker("inspect", redis).stdout)[0]["State"]
        published = dockerd.docker("port", redis).stdout.split()
        if state_of.get("Health", {}).get("Status") != "healthy" or "127.0.0.1:7379" not in published:
            raise StepFailedError(f"{redis}: {state_of.get('Health')}, published at {published}, not 127.0.0.1:7379")
        notes.append(f"{count_resources(consumer, DOCKER_STACK)} resources, {redis} healthy on 127.0.0.1:7379")
    with run.step("package, Python on Docker: no-change preview"):
        consumer.pulumi("preview", "--expect-no-changes", stack=DOCKER_STACK)
    target_changes(
        consumer,
        "Python on Docker",
        DOCKER_STACK,
        pack=pack.args("dev"),
        workload=CONTAINER,
        changes=DOCKER_TARGET_CHANGES,
    )
    with run.step("package, Python on Docker: secrecy, destroy keeping the volume") as notes:
        # the generated passwords and secret outputs: the state marks every upload secret, paths and configs too
        notes.append(f"{check_secrecy(consumer, DOCKER_STACK, state, marked=False)} generated or output secrets")
        consumer.pulumi("destroy", "--yes", stack=DOCKER_STACK)
        volumes = dockerd.docker("volume", "ls", "--quiet").stdout.split()
        if f"{redis}-data" not in volumes:
            raise StepFailedError(f"destroying the consumer's stack deleted {redis}-data: {volumes}")
