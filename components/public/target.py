"""How a public component turns its arguments into settings and a runtime, refusing bad ones by name."""

from collections.abc import Mapping, Sequence
from typing import Any, Required, TypeVar, get_args, get_origin, get_type_hints

import pulumi
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_snake

from components.config import describe
from components.model import Runtime, WebUi
from components.public.args import DockerTargetArgs, KubernetesTargetArgs
from components.runtime.kubernetes.settings import KubernetesSettings

Model = TypeVar("Model", bound=BaseModel)
KUBERNETES_ONLY = ("instance", "protect", "strict_spread")  # the target's own, beside KubernetesSettings'


class ArgsError(ValueError):
    """Arguments a component refuses before it creates anything."""


def settings_of(
    model: type[Model], accepted: type, args: Mapping[str, Any], component: str, name: str, *, prefix: str = ""
) -> Model:
    """Settings from the arguments of the TypedDict `accepted` (but `target`), with every problem named: a
    setting of `model` that the arguments leave out is refused too."""
    given = {key: value for key, value in args.items() if key != "target"}
    offered = accepted.__required_keys__ | accepted.__optional_keys__  # type: ignore[attr-defined]
    problems = [
        f"  {prefix}{key}: not an argument of {component} (a setting of this program's stacks alone)"
        for key in given
        if to_snake(key) in model.model_fields and to_snake(key) not in offered
    ]
    try:
        settings = model.model_validate(given)
    except ValidationError as error:
        problems += [f"  {describe(detail, prefix, model)}" for detail in error.errors()]
    if problems:
        raise ArgsError(f"{component} {name!r}: invalid arguments:\n" + "\n".join(problems))
    return settings


def publish(component: pulumi.ComponentResource, inner: object, extra: Mapping[str, Any] | None = None) -> None:
    """Sets each output the public class declares from `extra`, else from the attribute of that name of the
    component it wraps, and registers them; secret values stay secret."""
    extra = extra or {}
    outputs = {
        name: pulumi.Output.from_input(extra[name] if name in extra else getattr(inner, name))
        for name in type(component).__annotations__
    }
    for name, output in outputs.items():
        setattr(component, name, output)
    component.register_outputs(outputs)


def expose(runtime: Runtime, uis: Sequence[WebUi], owner: pulumi.Resource) -> dict[str, Any]:
    """The outputs of a component's UIs that the kubernetes target's `exposure` serves (none on docker)."""
    exposed = runtime.expose(uis, owner)
    password = exposed.basic_auth_password
    return {
        "public_urls": dict(exposed.urls),
        "login_callbacks": list(exposed.callbacks),
        "ui_basic_auth_user": exposed.basic_auth_user,
        "ui_basic_auth_password": None if password is None else pulumi.Output.secret(password),
    }


def runtime_of(args: Mapping[str, Any], component: str, name: str, opts: pulumi.ResourceOptions | None) -> Runtime:
    """The runtime for `args["target"]`: exactly one of docker and kubernetes, each with the provider of its
    package that `opts` gives (provider or providers), else the default one."""
    target: Mapping[str, Any] = args.get("target") or {}
    chosen = [key for key in ("docker", "kubernetes") if target.get(key) is not None]
    if len(chosen) != 1:
        raise ArgsError(f"{component} {name!r}: target = {dict(target)!r}: give exactly one of docker and kubernetes")
    if "docker" in chosen:
        return _docker(target["docker"], component, name, opts)
    return _kubernetes(target["kubernetes"], component, name, opts)


def _provider(opts: pulumi.ResourceOptions | None, package: str) -> pulumi.ProviderResource | None:
    if opts is None:
        return None
    if opts.provider is not None and opts.provider.package == package:
        return opts.provider
    providers = opts.providers or []
    if isinstance(providers, Mapping):
        return providers.get(package)
    return next((p for p in providers if p.package == package), None)


def _docker(target: DockerTargetArgs, component: str, name: str, opts: pulumi.ResourceOptions | None) -> Runtime:
    from components.runtime.docker import DockerRuntime, DockerTarget  # noqa: PLC0415 (the SDK a target needs)

    _check_target(target, DockerTargetArgs, "docker", component, name)
    if not target.get("network"):
        raise ArgsError(f"{component} {name!r}: target.docker.network: required (an existing network's name)")
    return DockerRuntime(
        DockerTarget(
            network=target["network"],
            instance=target.get("instance") or pulumi.get_stack(),
            provider=_provider(opts, "docker"),
            host_port_offset=target.get("host_port_offset", 0),
            protect=target.get("protect", False),
            established=target.get("established", False),
        )
    )


def _check_target(target: Mapping[str, Any], accepted: type, kind: str, component: str, name: str) -> None:
    """The target's own keys: known, and of their type (KubernetesSettings' keys are the model's to check)."""
    hints = get_type_hints(accepted)
    for key, value in target.items():
        if key not in hints:
            allowed = ", ".join(sorted(hints))
            raise ArgsError(
                f"{component} {name!r}: target.{kind}.{key}: unknown key (a typo?); allowed here: {allowed}"
            )
        expected = get_args(hints[key])[0] if get_origin(hints[key]) is Required else hints[key]
        if expected in (str, int, bool) and (type(value) is not expected or (expected is int and value < 0)):
            raise ArgsError(
                f"{component} {name!r}: target.{kind}.{key} = {value!r}: expected "
                + {str: "a string", int: "a whole number, 0 or more", bool: "true or false"}[expected]
            )


def _kubernetes(
    target: KubernetesTargetArgs, component: str, name: str, opts: pulumi.ResourceOptions | None
) -> Runtime:
    from components.runtime.kubernetes.runtime import KubernetesRuntime  # noqa: PLC0415
    from components.runtime.kubernetes.target import KubernetesTarget  # noqa: PLC0415

    _check_target(
        {k: v for k, v in target.items() if k in KUBERNETES_ONLY}, KubernetesTargetArgs, "kubernetes", component, name
    )
    given = {key: value for key, value in target.items() if key not in KUBERNETES_ONLY}
    settings = settings_of(
        KubernetesSettings, KubernetesTargetArgs, given, component, name, prefix="target.kubernetes."
    )
    if not settings.namespace:
        raise ArgsError(f"{component} {name!r}: target.kubernetes.namespace: required (an existing namespace)")
    try:
        return KubernetesRuntime(
            KubernetesTarget(
                namespace=settings.namespace,
                instance=target.get("instance") or f"dictamesh-{pulumi.get_stack()}",
                settings=settings,
                provider=_provider(opts, "kubernetes"),
                protect=target.get("protect", False),
                strict_spread=target.get("strict_spread", False),
            )
        )
    except ValueError as refused:
        raise ArgsError(f"{component} {name!r}: target.{refused}") from None
