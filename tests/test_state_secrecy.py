"""The e2e secrecy check on exports in the real engine's format: it finds a secret kept as an ID."""

import base64
import json
from typing import Any

from scripts.state_secrecy import SECRET_SIG, leaks, secret_values

SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"  # the engine's marker value for a secret


def shown(value: Any) -> dict[str, Any]:
    """A secret as `stack export --show-secrets` writes it."""
    return {SECRET_SIG: SIG_VALUE, "plaintext": json.dumps(value)}


def hidden() -> dict[str, Any]:
    """The same secret as `stack export` writes it: encrypted."""
    return {SECRET_SIG: SIG_VALUE, "ciphertext": "v1:abc"}


def export(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 3, "deployment": {"resources": resources}}


def random_bytes(show: bool) -> dict[str, Any]:
    """The real random provider's RandomBytes: its ID is its base64 value, in plain text."""
    value = base64.b64encode(bytes(range(32))).decode()
    secret = shown(value) if show else hidden()
    return {
        "urn": "urn:pulumi:s::p::random:index/randomBytes:RandomBytes::relay-key",
        "type": "random:index/randomBytes:RandomBytes",
        "id": value,
        "outputs": {"base64": secret, "hex": shown(bytes(range(32)).hex()) if show else hidden(), "length": 32},
    }


def random_password(show: bool) -> dict[str, Any]:
    secret = shown("N0tInTheStateAnywhere42") if show else hidden()
    return {
        "urn": "urn:pulumi:s::p::random:index/randomPassword:RandomPassword::app-password",
        "type": "random:index/randomPassword:RandomPassword",
        "id": "none",
        "outputs": {"result": secret, "length": 23},
    }


def test_a_secret_kept_as_an_id_is_found_and_named() -> None:
    plain, encrypted = export([random_bytes(True)]), export([random_bytes(False)])
    secrets = secret_values(plain, encrypted, {}, {})
    assert set(secrets.values()) == {"relay-key.outputs.base64", "relay-key.outputs.hex"}
    text = json.dumps(encrypted)
    assert leaks(secrets, {"stack export": text}) == [
        "stack export at .deployment.resources[0].id: the secret of relay-key.outputs.base64"
    ]


def test_a_password_whose_id_is_none_leaks_nothing() -> None:
    plain, encrypted = export([random_password(True)]), export([random_password(False)])
    secrets = secret_values(plain, encrypted, {"dsn": "postgresql://u:pw-of-the-dsn@h/db"}, {"dsn": "[secret]"})
    assert secrets == {
        "N0tInTheStateAnywhere42": "app-password.outputs.result",
        "postgresql://u:pw-of-the-dsn@h/db": "output dsn",
    }
    assert leaks(secrets, {"stack export": json.dumps(encrypted), "Pulumi.s.yaml": "config: {}"}) == []
    # the marker itself is never taken for a secret: it is in every export
    assert SIG_VALUE not in secrets


def container(show: bool) -> dict[str, Any]:
    """pulumi-docker's container: its whole `uploads` output marked secret, the file paths with the contents."""
    uploads = [{"file": "/etc/redis/redis.conf", "content": "maxmemory 256mb"}]
    return {
        "urn": "urn:pulumi:s::p::docker:index/container:Container::redis",
        "type": "docker:index/container:Container",
        "id": "c0ffee",
        "outputs": {
            "uploads": shown(uploads) if show else hidden(),
            "command": ["redis-server", "/etc/redis/redis.conf"],
        },
    }


def test_unmarked_the_check_looks_for_generated_values_and_secret_outputs_alone() -> None:
    resources = [container(True), random_password(True)]
    plain, encrypted = export(resources), export([container(False), random_password(False)])
    assert "/etc/redis/redis.conf" in secret_values(plain, encrypted, {}, {})  # marked: paths and configs too
    assert secret_values(plain, encrypted, {}, {}, marked=False) == {
        "N0tInTheStateAnywhere42": "app-password.outputs.result"
    }
