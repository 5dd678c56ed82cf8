"""Generated credentials: long, URL-safe and secret from the moment they exist."""

import base64
import hashlib
import hmac

import bcrypt
import pulumi
import pulumi_random as random

PASSWORD_LENGTH = 32
# A proxy checks basic auth on every request, and a UI sends dozens a page. The provider's bcryptHash costs
# 10 (about 50 ms of CPU each); against 32 random characters (about 190 bits) no cost makes guessing any
# harder, so the minimum, 4, is used (about 1 ms).
BASIC_AUTH_COST = 4
SCRAM_ITERATIONS = 4096  # PostgreSQL's scram_iterations default
SCRAM_SALT_BYTES = 16  # as PostgreSQL draws its own


def _random_password(name: str, parent: pulumi.Resource) -> random.RandomPassword:
    """Letters and digits only, so the password fits unquoted in URLs, DSNs and config files.

    Its resource name is its identity: renaming it generates a new password.
    """
    return random.RandomPassword(
        name,
        length=PASSWORD_LENGTH,
        special=False,
        min_lower=4,
        min_upper=4,
        min_numeric=4,
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result", "bcryptHash"]),
    )


def generated_password(name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    return pulumi.Output.secret(_random_password(name, parent).result)


def basic_auth_password(name: str, parent: pulumi.Resource) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """A generated password and its bcrypt hash at BASIC_AUTH_COST, for htpasswd files; both secret.

    The salt comes from a second generated password, so every `up` computes the same hash.
    """
    password = _random_password(name, parent)
    salt = _random_password(f"{name}-salt", parent)
    hashed = pulumi.Output.all(password.result, salt.result).apply(lambda pair: htpasswd_hash(pair[0], pair[1]))
    return pulumi.Output.secret(password.result), pulumi.Output.secret(hashed)


def password_verifier(name: str, password: pulumi.Output[str], parent: pulumi.Resource) -> pulumi.Output[str]:
    """The SCRAM-SHA-256 verifier of a generated password, which PostgreSQL stores as it is: the server is given
    this, never the password (its log and pg_stat_activity show statements). Its salt comes from a generated
    password of its own, so every `up` computes the same verifier."""
    salt = _random_password(f"{name}-scram-salt", parent)
    verifier = pulumi.Output.all(password, salt.result).apply(
        lambda pair: scram_verifier(pair[0], pair[1][:SCRAM_SALT_BYTES].encode())
    )
    return pulumi.Output.secret(verifier)


def scram_verifier(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802, RFC 7677). Generated
    passwords are letters and digits, which SASLprep leaves as they are."""
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()

    def text(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{text(salt)}${text(stored)}:{text(server)}"


def htpasswd_hash(password: str, salt_source: str) -> str:
    """bcrypt of `password`; its 22-character salt from `salt_source` (letters and digits, bcrypt's alphabet).

    The salt's last character holds 2 bits only: a fixed one keeps the hash in bcrypt's canonical form.
    """
    salt = f"$2a${BASIC_AUTH_COST:02d}${salt_source[:21]}e".encode()  # 2a: what htpasswd readers all take
    return bcrypt.hashpw(password.encode(), salt).decode()


def as_secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Marks a value secret, whoever made it: the runtimes pass every secret through here."""
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret
