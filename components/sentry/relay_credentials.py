"""Relay's identity: an Ed25519 key pair and a relay id, generated once and kept in the stack's state.

Upstream runs `relay credentials generate` in a container that writes credentials.json to a volume;
Kubernetes could not read that back, so the seed and the id come from pulumi-random resources here and
the key pair is derived from the seed. Relay reads keys as URL-safe base64 without padding: a secret
key of 32 bytes (the seed) or 64, a public key of 32 (relay-auth's FromStr for SecretKey and PublicKey).

The seed is the SHA-256 of a RandomPassword: a RandomBytes' (or RandomId's) resource ID is its value,
and IDs are stored in plain text in the state, while a RandomPassword's ID is "none". The id is a
RandomUuid with the version-4 bits set: the random provider's UUIDs are 16 random bytes with no version,
and Sentry registers only relays whose id matches the version-4 pattern.
"""

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass

import pulumi
import pulumi_random as random
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


@dataclass(frozen=True)
class RelayCredentials:
    credentials_json: pulumi.Output[str]  # secret: relay's credentials.json
    public_key: pulumi.Output[str]  # Sentry trusts the relay that signs with it


def _relay_base64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key(seed: bytes) -> str:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return _relay_base64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def seed_of(password: str) -> bytes:
    """32 bytes for the Ed25519 seed from a 64-character generated password (about 380 bits)."""
    return hashlib.sha256(password.encode()).digest()


def version_4(random_uuid: str) -> str:
    """A random UUID with the version (4) and RFC 4122 variant bits set, 122 random bits kept."""
    return str(uuid.UUID(random_uuid, version=4))


def credentials_json(seed: bytes, relay_id: str) -> str:
    return json.dumps({"secret_key": _relay_base64(seed), "public_key": public_key(seed), "id": relay_id})


def relay_credentials(name: str, parent: pulumi.Resource) -> RelayCredentials:
    """Stable across `pulumi up` runs: renaming either resource generates a new identity."""
    opts = pulumi.ResourceOptions(parent=parent)
    secret = random.RandomPassword(
        f"{name}-relay-seed",
        length=64,
        special=False,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["result"])),
    )
    relay_id = random.RandomUuid(f"{name}-relay-id", opts=opts)
    password: pulumi.Output[str] = pulumi.Output.secret(secret.result)
    seed_bytes = password.apply(seed_of)
    document = pulumi.Output.all(seed_bytes, relay_id.result).apply(
        lambda pair: credentials_json(pair[0], version_4(pair[1]))
    )
    return RelayCredentials(
        credentials_json=pulumi.Output.secret(document),
        public_key=pulumi.Output.unsecret(seed_bytes.apply(public_key)),
    )
