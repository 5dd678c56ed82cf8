"""What several policies share: credential-like names, image pins and per-policy config with defaults."""

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyConfigSchema

# names that hold a credential; *_FILE names hold the path of a mounted secret instead
_CREDENTIAL = re.compile(r"(?i)(passw(or)?d|secret|token|api_?key|private_?key|credential|(^|_)pass($|_))")
_FILE_POINTER = re.compile(r"(?i)(_FILE|__FILE|_FILEPATH|_FILE_PATH|_PATH)$")


def is_credential_name(name: str) -> bool:
    return bool(_CREDENTIAL.search(name)) and not _FILE_POINTER.search(name)


def image_problem(ref: str, require_digest: bool = False) -> str | None:
    """Why an image reference is not pinned, or None when it is."""
    name, _, digest = ref.partition("@")
    if digest:
        return None
    if require_digest:
        return f"image {ref} must be pinned by digest (name@sha256:...)"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {ref} has no tag: pin a version tag or a digest"
    if last.endswith(":latest"):
        return f"image {ref} uses 'latest': pin a version tag or a digest"
    return None


def schema(defaults: Mapping[str, Any]) -> PolicyConfigSchema:
    """A config schema whose defaults are the same values the policy falls back on."""
    types = {bool: "boolean", int: "integer", list: "array", str: "string"}
    return PolicyConfigSchema(
        properties={key: {"type": types[type(value)], "default": value} for key, value in defaults.items()}
    )


def config(given: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The policy's config: the engine fills schema defaults, hand-made args may not."""
    return {**defaults, **(given or {})}
