"""What several policies share: credential-like names and per-policy config with defaults."""

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema

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
