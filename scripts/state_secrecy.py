"""Finds secret values where they must never be: in a stack's export without secrets, in its state files.

Pulumi encrypts a value it knows is secret, and nothing else: not an ID, not a copy of the value that
reached another resource unmarked. So the values are collected from the export made with
--show-secrets (every place the other export marks secret), from the generated passwords and bytes,
and from the secret outputs, and then looked for as plain text.
"""

import json
from collections.abc import Mapping
from typing import Any

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # noqa: S105 (the key that marks a secret value in state)
GENERATED = {
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "random:index/randomBytes:RandomBytes": ("base64", "hex"),
}
SHORTEST = 12  # shorter values (a port, "true") would be found everywhere and prove nothing


def secret_values(
    shown: Any,
    hidden: Any,
    outputs_shown: Mapping[str, Any],
    outputs_hidden: Mapping[str, Any],
    *,
    marked: bool = True,
) -> dict[str, str]:
    """value -> where it is a secret (a resource's property, or an output), from `pulumi stack export`
    with and without --show-secrets and `pulumi stack output --json` with and without it.

    `marked=False` leaves out the properties the state marks secret, keeping the generated values and the secret
    outputs: pulumi-docker marks a container's whole `uploads` secret, file paths and plain configs too, which
    then appear, rightly, in its command and mounts."""
    shown = reveal(shown)
    found: dict[str, str] = {}

    def walk(plain: Any, secret: Any, where: str) -> None:
        if isinstance(secret, dict) and SECRET_SIG in secret:
            found.update(dict.fromkeys(leaves(plain), where))
        elif isinstance(secret, dict) and isinstance(plain, dict):
            for key in secret:
                walk(plain.get(key), secret[key], f"{where}.{key}")
        elif isinstance(secret, list) and isinstance(plain, list):
            for index, pair in enumerate(zip(plain, secret, strict=False)):
                walk(*pair, f"{where}[{index}]")

    pairs = zip(shown["deployment"].get("resources", []), hidden["deployment"].get("resources", []), strict=True)
    for plain, secret in pairs:
        name = plain["urn"].rsplit("::", 1)[-1]
        if marked:
            walk(plain, secret, name)
        for key in GENERATED.get(plain["type"], ()):
            found.update(dict.fromkeys(leaves((plain.get("outputs") or {}).get(key)), f"{name}.outputs.{key}"))
    for key, value in outputs_shown.items():
        if outputs_hidden.get(key) != value:  # shown as "[secret]" without --show-secrets
            found.update(dict.fromkeys(leaves(value), f"output {key}"))
    return {value: where for value, where in found.items() if len(value) >= SHORTEST}


def leaks(secrets: Mapping[str, str], places: Mapping[str, str]) -> list[str]:
    """Each place (a name and its text) where a secret appears, and where in it, with whose secret it is."""
    return sorted(
        f"{place}{found}: the secret of {where}"
        for secret, where in secrets.items()
        for place, text in places.items()
        if secret in text or json.dumps(secret)[1:-1] in text
        for found in locate(text, secret)
    )


def reveal(value: Any) -> Any:
    """An export made with --show-secrets, each secret replaced by its value: that export keeps the
    marker and gives the value, JSON-encoded, as "plaintext"."""
    if isinstance(value, dict):
        if SECRET_SIG in value and "plaintext" in value:
            return reveal(json.loads(value["plaintext"]))
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [str(value)] if value is not None else []


def locate(text: str, secret: str) -> list[str]:
    """Where in a JSON document a secret appears (" at <path>"), or [""] if the text is no JSON."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [""]
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        elif isinstance(value, str) and secret in value:
            found.append(f" at {path}")

    walk(document, "")
    return found or [""]
