"""Relay's credentials: Ed25519 keys in the encoding relay-auth reads, stable from the stack's state."""

import base64
import json
import re
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from components.sentry.relay_credentials import credentials_json, public_key, seed_of
from tests.harness import Recording, run_stack
from tests.sentry import uploads

# RFC 8032, section 7.1, test 1: a secret key and the public key it must give
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def relay_decode(text: str) -> bytes:
    """relay-auth's BASE64URL_NOPAD: URL-safe alphabet, no padding (a padded or standard string is refused)."""
    assert "=" not in text and "+" not in text and "/" not in text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_public_key_is_the_rfc_8032_one_for_the_seed() -> None:
    assert relay_decode(public_key(RFC_SECRET)) == RFC_PUBLIC


def test_credentials_hold_a_32_byte_secret_its_public_key_and_the_id() -> None:
    document = json.loads(credentials_json(RFC_SECRET, "7f2c6bd5-0c8e-4e1d-9d0e-2f6f4d1c8a11"))
    assert relay_decode(document["secret_key"]) == RFC_SECRET  # relay-auth accepts a 32-byte secret
    assert relay_decode(document["public_key"]) == RFC_PUBLIC
    assert document["id"] == "7f2c6bd5-0c8e-4e1d-9d0e-2f6f4d1c8a11"
    Ed25519PublicKey.from_public_bytes(RFC_PUBLIC)  # a valid curve point


def test_sentry_trusts_exactly_the_relay_it_deploys(stacks: dict[str, Recording]) -> None:
    relay = json.loads(uploads(stacks["dev"], "sentry-relay")["/etc/relay/credentials.json"])
    trusted = uploads(stacks["dev"], "sentry-web")["/run/secrets/dictamesh/relay-public-key"]
    assert relay["public_key"] == trusted
    assert public_key(relay_decode(relay["secret_key"])) == trusted


def test_credentials_are_stable_across_runs_and_secret(stacks: dict[str, Recording]) -> None:
    again = run_stack("dev")
    first, second = (uploads(r, "sentry-relay")["/etc/relay/credentials.json"] for r in (stacks["dev"], again))
    assert first == second  # the seed and the id live in the state: an `up` never regenerates them
    relay = again.one("docker:index/container:Container", "sentry-relay")
    index = [u["file"] for u in relay.inputs["uploads"]].index("/etc/relay/credentials.json")
    assert relay.is_secret(f"uploads[{index}].content")


def test_the_seed_comes_from_a_password_whose_id_is_not_its_value(stacks: dict[str, Recording]) -> None:
    """A RandomBytes' ID is its base64 value, and IDs sit in the state in plain text."""
    recording = stacks["dev"]
    assert recording.of_type("random:index/randomBytes:RandomBytes") == []
    seed = recording.one("random:index/randomPassword:RandomPassword", "sentry-relay-seed")
    assert seed.inputs["length"] == 64 and seed.inputs["special"] is False
    relay = json.loads(uploads(recording, "sentry-relay")["/etc/relay/credentials.json"])
    assert relay_decode(relay["secret_key"]) == seed_of(recording.generated["sentry-relay-seed.result"])
    assert recording.ids["sentry-relay-seed"] == "none"


def test_the_relay_id_is_a_version_4_uuid_though_the_provider_sets_no_version(stacks: dict[str, Recording]) -> None:
    """Sentry registers only relays whose id matches the version-4 pattern."""
    drawn = uuid.UUID(stacks["dev"].ids["sentry-relay-id"])  # what the random provider returned
    assert drawn.version != 4 or drawn.variant != uuid.RFC_4122  # the mock draws like the provider
    relay = json.loads(uploads(stacks["dev"], "sentry-relay")["/etc/relay/credentials.json"])
    given = uuid.UUID(relay["id"])
    assert given.version == 4 and given.variant == uuid.RFC_4122
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", relay["id"])
    assert given.int & ~((0xF << 76) | (0x3 << 62)) == drawn.int & ~((0xF << 76) | (0x3 << 62))  # its random bits
