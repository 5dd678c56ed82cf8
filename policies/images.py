"""When an image reference is pinned. Pure, so the settings apply the same rule the policies enforce."""

import re


def image_problem(ref: str, require_digest: bool = False) -> str | None:
    """Why an image reference is not pinned, or None when it is."""
    name, _, digest = ref.partition("@")
    if digest:
        return None if re.fullmatch(r"sha256:[0-9a-f]{64}", digest) else f"image {ref}: a digest is sha256:<64 hex>"
    if require_digest:
        return f"image {ref} must be pinned by digest (name@sha256:...)"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {ref} has no tag: pin a version tag or a digest"
    if last.endswith(":latest"):
        return f"image {ref} uses 'latest': pin a version tag or a digest"
    return None
