"""The day-2 stage of the real-engine tier: a deployed stack changed one setting at a time, each real plan
(`pulumi preview --json`) held to what the setting says a change does (components/change.py, the table of
docs/configuration.md). On every plan: no claim or volume is deleted. Refused changes fail before any resource;
fewer brokers wait for their decommission (the StatefulSet depends on the decommission job) and keep their
claims, on the cluster and on dockerd.
"""

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.change import Effect, settings_effects
from components.settings import Settings
from scripts.e2e_run import Run, StepFailedError
from scripts.local_cluster import Cluster

EFFECTS = {key: effect for key, effect in settings_effects(Settings) if effect is not None}
# what holds data: a change may drop one from the stack only with retainOnDelete
DATA_TYPES = (
    "kubernetes:core/v1:PersistentVolumeClaim",
    "kubernetes:core/v1:PersistentVolumeClaimPatch",
    "kubernetes:core/v1:Namespace",
    "docker:index/volume:Volume",
)
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
# sections whose settings restart stateless Deployments: their rolls are read besides the StatefulSets'. Elsewhere
# a Deployment's roll is no change of the table's (the login proxies roll on a login setting, which is live)
STATELESS_SECTIONS = ("sentry", "observability")
DELETES = ("delete", "delete-replaced", "replace", "discard", "discard-replaced")
# the datastore whose restart "live" rules out, by settings section (another's, Prometheus reading new targets, may)
OWNERS = {"eventBus": "redpanda", "catalog": "postgres", "cache": "redis"}


@dataclass
class Plan:
    """A real preview's steps, and its text (the warnings, or the refusal)."""

    steps: list[dict[str, Any]]
    text: str
    failed: bool

    def of(self, type_: str, op: str | None = None) -> list[dict[str, Any]]:
        return [s for s in self.steps if kind(s) == type_ and (op is None or s["op"] == op)]

    def changed(self) -> list[dict[str, Any]]:
        return [s for s in self.steps if s["op"] not in ("same", "read") and "pulumi:pulumi:Stack" not in s["urn"]]

    def name(self, step: dict[str, Any]) -> str:
        return str(step["urn"]).rsplit("::", 1)[-1]

    def data_lost(self) -> list[str]:
        """Claims and volumes the plan would delete from the engine: any delete not retained."""
        return [
            f"{step['op']} {self.name(step)}"
            for step in self.steps
            if step["op"] in DELETES
            and kind(step) in DATA_TYPES
            and not (step.get("oldState") or {}).get("retainOnDelete")
        ]

    def template_changed(self, step: dict[str, Any]) -> bool:
        """Whether a workload's pods change (a restart), not only its replica count."""
        return any(path.startswith("spec.template") for path in (step.get("detailedDiff") or {}))


def kind(step: dict[str, Any]) -> str:
    """A step's resource type: the last of the URN's type chain (`parent$child`)."""
    return str(step["urn"]).split("::")[2].rsplit("$", 1)[-1]


def edit(project: Path, stack: str, key: str, value: Any) -> None:
    """Sets `dictamesh:<key>` (dotted, `eventBus.brokers`) in the project copy's stack file."""
    path = project / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text())
    section, _, rest = key.partition(".")
    config = document["config"]
    if not rest:
        config[f"dictamesh:{section}"] = value
    else:
        node = config.setdefault(f"dictamesh:{section}", {})
        *parents, leaf = rest.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    path.write_text(yaml.safe_dump(document, sort_keys=False))


@contextmanager
def changed(run: Run, stack: str, changes: dict[str, Any]) -> Iterator[None]:
    """The stack file with `changes` ({key: value}); the committed file again afterwards."""
    path = run.project / f"Pulumi.{stack}.yaml"
    committed = path.read_text()
    for key, value in changes.items():
        edit(run.project, stack, key, value)
    try:
        yield
    finally:
        path.write_text(committed)


def preview(run: Run, stack: str) -> Plan:
    output = run.pulumi("preview", "--json", *run.policy_args(stack), stack=stack, ok=None, stdout=True)
    try:
        document = json.loads(output)
    except json.JSONDecodeError:
        document = {}
    messages = "\n".join(d.get("message", "") for d in document.get("diagnostics", []))
    failed = not document or any(d.get("severity") == "error" for d in document.get("diagnostics", []))
    return Plan(document.get("steps", []), f"{messages}\n{output}", failed)


def hold(plan: Plan, key: str, target: str, shrinks: bool = False) -> str:
    """Holds a plan to the effect the change table gives `key` on `target` (a claim size that `shrinks` is
    refused, whatever its effect when it grows); returns what it saw."""
    effect: Effect = EFFECTS[key].on("kubernetes" if target == "kubernetes" else "docker")
    if shrinks and EFFECTS[key].grows_only:
        effect = "refused"
    if effect == "refused":
        if not plan.failed or plan.changed() or "Refused change" not in plan.text:
            raise StepFailedError(f"{key}: refused by the table, but the plan is not a refusal:\n{plan.text[-3000:]}")
        return "refused before any resource"
    if lost := plan.data_lost():
        raise StepFailedError(f"{key}: the plan deletes data: {lost}")
    if plan.failed:
        raise StepFailedError(f"{key}: the preview failed:\n{plan.text[-3000:]}")
    section = key.split(".", maxsplit=1)[0]
    owner = OWNERS.get(section)  # the datastore a setting of its section changes
    kinds = (STATEFULSET, DEPLOYMENT) if section in STATELESS_SECTIONS else (STATEFULSET,)
    own = [s for t in kinds for s in plan.of(t) if owner is None or plan.name(s) == owner]
    rolled = [s for s in own if s["op"] == "update" and plan.template_changed(s)]
    replaced = plan.of(STATEFULSET, "replace") + plan.of("docker:index/container:Container", "replace")
    expected = {
        "none": not [s for s in own if s["op"] != "same"],
        "live": not rolled and not [s for s in own if s["op"] == "replace"],
        "rolling": bool(rolled) and not [s for s in own if s["op"] == "replace"],
        "replaced": bool(replaced) or bool(plan.of("docker:index/volume:Volume", "create")),
    }[effect]
    if effect == "none" and EFFECTS[key].remember and key not in plan.text:
        raise StepFailedError(f"{key}: a change the stack cannot apply to its claims, and the preview warns of none")
    if not expected:
        steps = [f"{s['op']} {plan.name(s)} {sorted(s.get('detailedDiff') or {})[:4]}" for s in plan.changed()]
        raise StepFailedError(f"{key}: the table says {effect}, the plan does not:\n" + "\n".join(steps))
    return f"{effect}: {len(plan.changed())} steps"


# one setting of each effect the cluster stacks know, with a value to change it to
REDPANDA = "docker.redpanda.com/redpandadata/redpanda"
CLUSTER_CHANGES: list[tuple[str, Any]] = [
    ("kubernetes.namespace", "dictamesh-elsewhere"),
    ("catalog.storage", "20Gi"),
    ("cache.maxmemory", "384mb"),
    ("eventBus.image", f"{REDPANDA}:v26.2.2"),
    ("eventBus.consoleImage", "docker.redpanda.com/redpandadata/console:v3.3.1"),
    ("kubernetes.storageClass", "ssd"),
    ("kubernetes.tls.renewBefore", "480h"),  # the Certificates alone: the reload jobs serve the renewal
    ("kubernetes.apiServerIpBlocks", ["10.96.0.1/32"]),  # the job watcher's NetworkPolicy alone
    ("sentry.cacheSize", "768Mi"),  # the Sentry processes' Deployments roll
    ("observability.kubeStateMetricsImage", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.19.1"),
]


def run_cluster_day2(run: Run, stack: str, cluster: Cluster) -> list[str]:
    """On a deployed cluster stack: each change's plan held to the table, then fewer brokers for real."""
    notes = []
    for key, value in CLUSTER_CHANGES:
        with changed(run, stack, {key: value}):
            notes.append(f"{key}: {hold(preview(run, stack), key, 'kubernetes')}")
    with changed(run, stack, {"catalog.storage": "5Gi"}):
        notes.append(f"catalog.storage smaller: {hold(preview(run, stack), 'catalog.storage', 'kubernetes', True)}")
    with changed(run, stack, {"eventBus.image": f"{REDPANDA}:v25.3.9"}):
        plan = preview(run, stack)
        if not plan.failed or plan.changed() or "cannot go back to an older feature release" not in plan.text:
            raise StepFailedError(f"a Redpanda downgrade was not refused:\n{plan.text[-3000:]}")
        notes.append("eventBus.image 26.2 -> 25.3: refused before any resource")
    major = {"catalog.majorVersion": 17, "catalog.image": "pgvector/pgvector:0.8.6-pg17"}
    with changed(run, stack, major):
        plan = preview(run, stack)
        notes.append(f"catalog.majorVersion: {hold(plan, 'catalog.majorVersion', 'kubernetes')}")
        claims = plan.of("kubernetes:core/v1:PersistentVolumeClaimPatch", "create")
        if not [s for s in claims if "data-pg17" in s["urn"]]:
            raise StepFailedError("a new major's claim is not in the plan")
    notes.append(fewer_brokers(run, stack, cluster))
    notes.append(login_proxies(run, stack, cluster))
    notes.append(backups_off_and_on(run, stack, cluster))
    return notes


def backups_off_and_on(run: Run, stack: str, cluster: Cluster) -> str:
    """Backups off, then on again, each for real: the claim that turning them off leaves behind is the one they take
    back, not a new one (and not an AlreadyExists)."""
    claim = "postgres-backup-backups"

    def uid() -> str | None:
        claims = cluster.items(f"/api/v1/namespaces/dictamesh-{stack}/persistentvolumeclaims")
        return next((c["metadata"]["uid"] for c in claims if c["metadata"]["name"] == claim), None)

    def up(enabled: bool) -> None:
        with changed(run, stack, {"catalog.backup.enabled": enabled}):
            run.pulumi("up", "--yes", "--skip-preview", *run.policy_args(stack), stack=stack)

    if uid() is None:  # staging's committed settings have backups on
        up(True)
    first = uid()
    up(False)
    cronjobs = cluster.items(f"/apis/batch/v1/namespaces/dictamesh-{stack}/cronjobs")
    if first is None or uid() != first or any(c["metadata"]["name"] == "postgres-backup" for c in cronjobs):
        raise StepFailedError(f"backups off: the CronJob must go and the claim stay ({first} -> {uid()})")
    up(True)
    if uid() != first:
        raise StepFailedError(f"backups on again: {claim} is {uid()}, not the claim kept ({first})")
    return "catalog.backup.enabled off, then on: the CronJobs went and came back, the same claim kept throughout"


# every UI exposed, those without a login behind the login proxies, signing in with an OIDC provider
IDP = "https://sso.example.com/realms/staff/protocol/openid-connect"
EXPOSURE = {
    "mode": "ingress",
    "domain": "dictamesh.example.com",
    "ingressClass": "traefik",
    "controllerNamespace": "kube-system",
    "tls": {"clusterIssuer": "letsencrypt"},
    "uis": ["grafana", "console", "jaeger", "prometheus", "alertmanager"],
    "login": {
        "oidc": {
            "issuerUrl": "https://sso.example.com/realms/staff",
            "clientId": "dictamesh-ui",
            "authorizationUrl": f"{IDP}/auth",
            "tokenUrl": f"{IDP}/token",
            "jwksUrl": f"{IDP}/certs",
        }
    },
}
CLIENT_SECRET = secrets.token_hex(16)  # looked for in the state, where it must not be in plain text


def login_proxies(run: Run, stack: str, cluster: Cluster) -> str:
    """The UIs exposed for real, behind their login proxies, with the client secret set as a secret; then a
    login setting's plan: the proxies roll, nothing else does."""
    with changed(run, stack, {"kubernetes.exposure": EXPOSURE}):
        key = "dictamesh:kubernetes.exposure.login.oidc.clientSecret"
        run.pulumi("config", "set", "--secret", "--path", key, stack=stack, stdin=CLIENT_SECRET)
        run.pulumi("up", "--yes", "--skip-preview", *run.policy_args(stack), stack=stack)
        deployments = {
            d["metadata"]["name"] for d in cluster.items(f"/apis/apps/v1/namespaces/dictamesh-{stack}/deployments")
        }
        proxies = {f"{ui}-login" for ui in ("console", "jaeger", "prometheus", "alertmanager")}
        if not proxies <= deployments:
            raise StepFailedError(f"login proxies missing: {sorted(proxies - deployments)}")
        state = run.pulumi("stack", "export", stack=stack, stdout=True)
        logged = "".join(log.read_text() for log in run.logs.iterdir())
        if CLIENT_SECRET in state or CLIENT_SECRET in logged:
            raise StepFailedError("the OIDC client secret is in plain text in the state or a command's log")
        with changed(run, stack, {"kubernetes.exposure.login.session": "8h"}):
            plan = preview(run, stack)
            seen = hold(plan, "kubernetes.exposure.login.session", "kubernetes")
            rolled = sorted(plan.name(s) for s in plan.changed())
            if rolled != sorted(proxies):
                raise StepFailedError(f"a login setting changed more than the login proxies: {rolled}")
    return f"login proxies up for {len(proxies)} UIs; kubernetes.exposure.login.session: {seen}, the proxies alone"


def fewer_brokers(run: Run, stack: str, cluster: Cluster) -> str:
    """5 brokers up, then 3: the StatefulSet waits on the decommission job, and the leaving claims stay."""
    with changed(run, stack, {"eventBus.brokers": 5}):
        run.pulumi("up", "--yes", "--skip-preview", *run.policy_args(stack), stack=stack)
    plan = preview(run, stack)
    hold(plan, "eventBus.brokers", "kubernetes")
    statefulset = next(s for s in plan.of(STATEFULSET) if s["urn"].endswith("::redpanda"))
    job = next(s for s in plan.steps if s["urn"].endswith("::redpanda-decommission"))
    if job["op"] not in ("replace", "create-replacement") or job["urn"] not in statefulset["newState"]["dependencies"]:
        raise StepFailedError(f"the StatefulSet does not wait on a new decommission run: {job['op']}")
    leaving = [plan.name(s) for s in plan.of("kubernetes:core/v1:PersistentVolumeClaimPatch") if s["op"] in DELETES]
    if sorted(leaving) != ["data-redpanda-3", "data-redpanda-4"]:
        raise StepFailedError(f"the leaving brokers' claim patches: {leaving}")
    run.pulumi("up", "--yes", "--skip-preview", *run.policy_args(stack), stack=stack)
    claims = cluster.items(f"/api/v1/namespaces/dictamesh-{stack}/persistentvolumeclaims")
    names = {item["metadata"]["name"] for item in claims}
    if not {"data-redpanda-3", "data-redpanda-4"} <= names:
        raise StepFailedError(f"the leaving brokers' claims are gone: {sorted(names)}")
    run.pulumi("preview", "--expect-no-changes", stack=stack)
    return "eventBus.brokers 5 -> 3: decommissioned first, claims of brokers 3 and 4 kept"
