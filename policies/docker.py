"""Guardrails for containers on a Docker engine: loopback ports, no privilege, pinned images, hardening."""

from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from policies.common import config, is_credential_name, resource_policy
from policies.images import image_problem

CONTAINER = "docker:index/container:Container"
IMAGE = "docker:index/remoteImage:RemoteImage"
LOOPBACK = {"127.0.0.1", "::1"}

PORT_DEFAULTS: dict[str, Any] = {"allowed": []}
# containers whose image has no shell and no HTTP client to run a check with (a distroless relay)
HARDENING_DEFAULTS: dict[str, Any] = {"noHealthcheck": []}


def _loopback_ports(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    name = args.props.get("name")
    if name in config(args.get_config(), PORT_DEFAULTS)["allowed"]:
        return
    for port in args.props.get("ports") or []:
        ip = port.get("ip", "0.0.0.0")  # noqa: S104 (the engine's default we refuse)
        if ip not in LOOPBACK:
            external = port.get("external")  # numbers reach policies as floats
            shown = "a random port" if external is None else f"port {int(external)}"
            report(
                f"container {name} publishes {shown} on {ip}: bind it to 127.0.0.1, "
                "or add the container to this policy's `allowed` list.",
                None,
            )


def _no_privilege(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    name = args.props.get("name")
    if args.props.get("privileged"):
        report(f"container {name} is privileged: drop `privileged`; grant nothing beyond the image's needs.", None)
    for key in ("networkMode", "pidMode", "ipcMode"):
        if args.props.get(key) == "host":
            report(f"container {name} shares the host's {key.removesuffix('Mode')} namespace: remove {key}.", None)


def _pinned_images(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """A RemoteImage's name, and a container's image where it is a name.

    A container that runs a RemoteImage's `image_id` has an image unknown during a preview, and a digest
    after: the RemoteImage's own name is the one checked.
    """
    if args.resource_type == IMAGE:
        problem = image_problem(str(args.props.get("name", "")))
    elif args.resource_type == CONTAINER:
        try:
            image = str(args.props.get("image", ""))
        except UnknownValueError:
            return
        if image.startswith("sha256:"):
            return
        problem = image_problem(image)
    else:
        return
    if problem:
        report(f"{problem}.", None)


def _hardening(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    name = args.props.get("name")
    if not args.props.get("memory"):
        report(f"container {name} has no memory limit: set the workload's resources.memory.", None)
    if args.props.get("mustRun") is False:
        return  # a one-shot job: it ends, so it neither restarts nor reports health
    unprobed = name in config(args.get_config(), HARDENING_DEFAULTS)["noHealthcheck"]
    if not unprobed and not (args.props.get("healthcheck") or {}).get("tests"):
        report(f"container {name} has no healthcheck: give its workload a Probe so `pulumi up` waits for it.", None)
    if args.props.get("restart") in (None, "no"):
        report(f"container {name} has no restart policy: long-running containers restart `unless-stopped`.", None)


def _no_secret_env(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER:
        return
    for entry in args.props.get("envs") or []:
        key = str(entry).split("=", 1)[0]
        if is_credential_name(key):
            report(
                f"container {args.props.get('name')} sets {key} as an env literal: upload it as a 0400 file "
                "and pass its path in a *_FILE variable.",
                None,
            )


POLICIES = [
    resource_policy(
        "docker-loopback-ports",
        "Published ports bind to 127.0.0.1 unless the container is allow-listed.",
        _loopback_ports,
        PORT_DEFAULTS,
    ),
    resource_policy(
        "docker-no-privilege", "No privileged containers and no host network, PID or IPC namespace.", _no_privilege
    ),
    resource_policy(
        "docker-pinned-images", "Images are pinned to a version tag or digest, never `latest`.", _pinned_images
    ),
    resource_policy(
        "docker-container-hardening",
        "Containers have a memory limit; long-running ones a healthcheck (unless listed in `noHealthcheck`) "
        "and a restart policy.",
        _hardening,
        HARDENING_DEFAULTS,
    ),
    resource_policy(
        "docker-no-secret-env", "No credential-like environment variable with a literal value.", _no_secret_env
    ),
]
