"""What several policies share: credential-like names and per-policy config with defaults."""

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidation,
    ResourceValidationPolicy,
    StackValidation,
    StackValidationPolicy,
)

# names that hold a credential; *_FILE names hold the path of a mounted secret instead
_CREDENTIAL = re.compile(r"(?i)(passw(or)?d|secret|token|api_?key|private_?key|credential|(^|_)pass($|_))")
_FILE_POINTER = re.compile(r"(?i)(_FILE|__FILE|_FILEPATH|_FILE_PATH|_PATH)$")


def is_credential_name(name: str) -> bool:
    return bool(_CREDENTIAL.search(name)) and not _FILE_POINTER.search(name)


def schema(defaults: Mapping[str, Any]) -> PolicyConfigSchema:
    """A config schema whose defaults are the same values the policy falls back on."""
    types = {bool: "boolean", int: "integer", list: "array", str: "string"}
    return PolicyConfigSchema(
        properties={key: {"type": types[type(value)], "default": value} for key, value in defaults.items()}
    )


def config(given: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's config: the engine fills schema defaults, hand-made args may not."""
    return {**defaults, **(given or {})}


def resource_policy(
    name: str, description: str, validate: ResourceValidation, defaults: Mapping[str, Any] | None = None
) -> ResourceValidationPolicy:
    """A policy on each resource: mandatory unless a stack's config says otherwise."""
    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=schema(defaults) if defaults else None,
    )


def stack_policy(
    name: str, description: str, validate: StackValidation, defaults: Mapping[str, Any] | None = None
) -> StackValidationPolicy:
    """A policy on the whole stack: mandatory unless a stack's config says otherwise."""
    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=schema(defaults) if defaults else None,
    )
