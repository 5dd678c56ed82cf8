"""Runs the policy pack's validators directly, on hand-made resources or on a stack's recording."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies import docker, exposure, kubernetes, secrets, stack
from tests.harness import Recording, Registered

ROOT = Path(__file__).resolve().parent.parent
ALL_POLICIES: list[Policy] = [
    *kubernetes.POLICIES,
    *exposure.POLICIES,
    *docker.POLICIES,
    *secrets.POLICIES,
    *stack.POLICIES,
]


def options(protect: bool = False, parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent,
    )


def resource(type_: str, props: Mapping[str, Any], name: str = "subject", protect: bool = False) -> PolicyResource:
    return PolicyResource(
        type_, props, f"urn:pulumi:test::p::{type_}::{name}", name, options(protect), None, None, [], {}
    )


def from_recording(registered: Registered) -> PolicyResource:
    return PolicyResource(
        registered.type,
        registered.inputs,
        registered.urn,
        registered.name,
        options(registered.protect, registered.parent or None),
        None,
        None,
        [],
        {},
    )


def violations(
    policy: Policy, subject: PolicyResource | list[PolicyResource], config: Mapping[str, Any] | None = None
) -> list[str]:
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if isinstance(policy, ResourceValidationPolicy):
        for item in subject if isinstance(subject, list) else [subject]:
            args = ResourceValidationArgs(
                item.resource_type, item.props, item.urn, item.name, item.opts, None, dict(config) if config else None
            )
            policy.validate(args, report)
    else:
        assert isinstance(policy, StackValidationPolicy)
        resources = subject if isinstance(subject, list) else [subject]
        policy.validate(StackValidationArgs(resources, dict(config) if config else None), report)
    return found


def stack_policy_config(stack_name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "policies" / "config" / f"{stack_name}.json").read_text())
    return loaded


def level_and_config(policy: Policy, pack_config: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The enforcement level and properties a stack's config gives one policy, as the engine merges them."""
    default = policy.enforcement_level.value if policy.enforcement_level else "advisory"
    level = pack_config.get("all", default)
    entry = pack_config.get(policy.name)
    if isinstance(entry, str):
        return entry, {}
    if isinstance(entry, dict):
        properties = {key: value for key, value in entry.items() if key != "enforcementLevel"}
        return entry.get("enforcementLevel", level), properties
    return level, {}


def mandatory_violations(recording: Recording, pack_config: Mapping[str, Any]) -> list[str]:
    resources = [from_recording(r) for r in recording.resources]
    found = []
    for policy in ALL_POLICIES:
        level, config = level_and_config(policy, pack_config)
        if level == "mandatory":
            found += [f"{policy.name}: {message}" for message in violations(policy, resources, config)]
    return found
