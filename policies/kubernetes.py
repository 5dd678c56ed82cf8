"""Guardrails for Kubernetes objects: pod security, limits, probes, images, secrets, namespaces, labels."""

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)

from policies.common import config, is_credential_name, resource_policy
from policies.images import image_problem
from policies.pod_security import containers, pod_spec, restricted_violations

RECOMMENDED_LABELS = tuple(
    f"app.kubernetes.io/{key}" for key in ("name", "instance", "component", "part-of", "managed-by")
)
LONG_RUNNING = {
    "kubernetes:core/v1:Pod",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "PersistentVolume",
    "CustomResourceDefinition",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}

Validator = Callable[[ResourceValidationArgs, ReportViolation], None]


def _for_pods(check: Callable[[str, Mapping[str, Any], ResourceValidationArgs, ReportViolation], None]) -> Validator:
    """Runs `check` on the pod spec of every workload kind, whatever wraps it."""

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        spec = pod_spec(args.resource_type, args.props)
        if spec is not None:
            check(args.resource_type, spec, args, report)

    return validate


def _pod_security(kind: str, spec: Mapping[str, Any], args: ResourceValidationArgs, report: ReportViolation) -> None:
    for problem in restricted_violations(spec):
        report(
            f"{problem}. Pod Security `restricted` refuses this pod: run as the image's non-root user, "
            "drop ALL capabilities, set allowPrivilegeEscalation: false and seccompProfile RuntimeDefault.",
            None,
        )


def _resources(kind: str, spec: Mapping[str, Any], args: ResourceValidationArgs, report: ReportViolation) -> None:
    for container in containers(spec):
        resources = container.get("resources") or {}
        for bound in ("requests", "limits"):
            missing = [r for r in ("cpu", "memory", "ephemeral-storage") if not (resources.get(bound) or {}).get(r)]
            if missing:
                report(
                    f"container {container.get('name')} sets no {bound} for {', '.join(missing)}: "
                    "set them in the component's resources settings.",
                    None,
                )


def _probes(kind: str, spec: Mapping[str, Any], args: ResourceValidationArgs, report: ReportViolation) -> None:
    if kind not in LONG_RUNNING:
        return
    for container in spec.get("containers") or []:
        for probe in ("readinessProbe", "livenessProbe"):
            if not container.get(probe):
                report(f"container {container.get('name')} has no {probe}: give its workload a Probe.", None)


IMAGE_DEFAULTS = {"requireDigest": False}


def _images(kind: str, spec: Mapping[str, Any], args: ResourceValidationArgs, report: ReportViolation) -> None:
    require_digest = config(args.get_config(), IMAGE_DEFAULTS)["requireDigest"]
    for container in containers(spec):
        problem = image_problem(str(container.get("image", "")), require_digest)
        if problem:
            report(f"container {container.get('name')}: {problem}.", None)


def _no_secret_literals(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == "kubernetes:core/v1:ConfigMap":
        for key, value in {**(args.props.get("data") or {}), **(args.props.get("binaryData") or {})}.items():
            if is_credential_name(key) or "PRIVATE KEY-----" in str(value):
                report(f"ConfigMap key {key} looks like a credential: put it in a Secret mounted as a file.", None)
        return
    spec = pod_spec(args.resource_type, args.props)
    for container in containers(spec or {}):
        for env in container.get("env") or []:
            if "value" in env and is_credential_name(str(env.get("name"))):
                report(
                    f"container {container.get('name')} sets {env['name']} as a literal: read it from a Secret "
                    "(a mounted file and a *_FILE variable, or valueFrom.secretKeyRef).",
                    None,
                )


def _namespace(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("kubernetes:") or args.resource_type.startswith("pulumi:"):
        return
    kind = args.props.get("kind") or args.resource_type.rsplit(":", 1)[-1]
    if kind in CLUSTER_SCOPED:
        return
    namespace = (args.props.get("metadata") or {}).get("namespace")
    if namespace in (None, "", "default"):
        report(
            f"{kind} {args.name} lands in the `default` namespace: set metadata.namespace to the stack's namespace.",
            None,
        )


PSA_DEFAULTS = {"level": "restricted"}


def _namespace_label(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "kubernetes:core/v1:Namespace":
        return
    level = config(args.get_config(), PSA_DEFAULTS)["level"]
    labels = (args.props.get("metadata") or {}).get("labels") or {}
    if labels.get("pod-security.kubernetes.io/enforce") != level:
        report(f"namespace {args.name} must carry pod-security.kubernetes.io/enforce: {level}.", None)


SERVICE_DEFAULTS: dict[str, Any] = {"allowed": []}


def _service_type(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != "kubernetes:core/v1:Service":
        return
    kind = (args.props.get("spec") or {}).get("type", "ClusterIP")
    metadata = args.props.get("metadata") or {}
    name = f"{metadata.get('namespace')}/{metadata.get('name')}"
    if kind in ("LoadBalancer", "NodePort") and name not in config(args.get_config(), SERVICE_DEFAULTS)["allowed"]:
        report(
            f"Service {name} is of type {kind}: expose it through an ingress, or add {name} to this policy's "
            "`allowed` list in policies/config/<stack>.json.",
            None,
        )


TOKEN_DEFAULTS: dict[str, Any] = {"allowed": []}


def _service_account_token(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = config(args.get_config(), TOKEN_DEFAULTS)["allowed"]
    if args.resource_type == "kubernetes:core/v1:ServiceAccount":
        name = (args.props.get("metadata") or {}).get("name")
        if args.props.get("automountServiceAccountToken") is not False and name not in allowed:
            report(f"ServiceAccount {name} mounts its token by default: set automountServiceAccountToken: false.", None)
        return
    spec = pod_spec(args.resource_type, args.props)
    if spec is None or spec.get("automountServiceAccountToken") is False:
        return
    if spec.get("serviceAccountName", "default") not in allowed:
        report(
            "the pod mounts a service account token: set automountServiceAccountToken: false, or allow-list "
            f"{spec.get('serviceAccountName', 'default')} in this policy's config.",
            None,
        )


def _labels(args: ResourceValidationArgs, report: ReportViolation) -> None:
    spec = pod_spec(args.resource_type, args.props)
    if spec is None and args.resource_type != "kubernetes:core/v1:Service":
        return
    labels = (args.props.get("metadata") or {}).get("labels") or {}
    missing = [key for key in RECOMMENDED_LABELS if not labels.get(key)]
    if missing:
        report(
            f"{args.name} lacks the recommended labels {', '.join(missing)}: the runtime sets them on every object.",
            None,
        )


POLICIES = [
    resource_policy(
        "k8s-pod-security-restricted",
        "Pod templates pass Pod Security Standards `restricted`.",
        _for_pods(_pod_security),
    ),
    resource_policy(
        "k8s-resource-requests-and-limits",
        "Every container requests and limits cpu, memory and ephemeral-storage.",
        _for_pods(_resources),
    ),
    resource_policy(
        "k8s-health-probes", "Long-running containers have readiness and liveness probes.", _for_pods(_probes)
    ),
    resource_policy(
        "k8s-pinned-images",
        "Images are pinned to a version tag, never `latest` (to a digest where configured).",
        _for_pods(_images),
        IMAGE_DEFAULTS,
    ),
    resource_policy(
        "k8s-no-secret-literals", "No credential as an env literal or in a ConfigMap.", _no_secret_literals
    ),
    resource_policy(
        "k8s-no-default-namespace", "Namespaced objects live in the stack's namespace, never `default`.", _namespace
    ),
    resource_policy(
        "k8s-namespace-pod-security-label",
        "Namespaces enforce a Pod Security level through the admission label.",
        _namespace_label,
        PSA_DEFAULTS,
    ),
    resource_policy(
        "k8s-service-type-allowlist",
        "Services of type LoadBalancer or NodePort only from an allow-list of namespace/name.",
        _service_type,
        SERVICE_DEFAULTS,
    ),
    resource_policy(
        "k8s-no-service-account-token",
        "Pods and ServiceAccounts do not mount API tokens unless allow-listed.",
        _service_account_token,
        TOKEN_DEFAULTS,
    ),
    resource_policy(
        "k8s-recommended-labels", "Workloads and Services carry the app.kubernetes.io recommended labels.", _labels
    ),
]
