"""Generated credentials: long, URL-safe and secret from the moment they exist."""

import pulumi
import pulumi_random as random

PASSWORD_LENGTH = 32


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
    """A generated password and its bcrypt hash, for htpasswd files; both secret."""
    password = _random_password(name, parent)
    return pulumi.Output.secret(password.result), pulumi.Output.secret(password.bcrypt_hash)


def as_secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Marks a value secret, whoever made it: the runtimes pass every secret through here."""
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret
