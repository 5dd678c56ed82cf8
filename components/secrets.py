"""Generated credentials: long, URL-safe and secret from the moment they exist."""

import bcrypt
import pulumi
import pulumi_random as random

PASSWORD_LENGTH = 32
# A proxy checks basic auth on every request, and a UI sends dozens a page. The provider's bcryptHash costs
# 10 (about 50 ms of CPU each); against 32 random characters (about 190 bits) no cost makes guessing any
# harder, so the minimum, 4, is used (about 1 ms).
BASIC_AUTH_COST = 4


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
