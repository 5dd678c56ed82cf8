"""Generated credentials: long, URL-safe and secret from the moment they exist."""

import pulumi
import pulumi_random as random

PASSWORD_LENGTH = 32


def generated_password(name: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """Letters and digits only, so the password fits unquoted in URLs, DSNs and config files.

    Its resource name is its identity: renaming it generates a new password.
    """
    password = random.RandomPassword(
        name,
        length=PASSWORD_LENGTH,
        special=False,
        min_lower=4,
        min_upper=4,
        min_numeric=4,
        opts=pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["result"]),
    )
    return pulumi.Output.secret(password.result)


def as_secret(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """Marks a value secret, whoever made it: the runtimes pass every secret through here."""
    secret: pulumi.Output[str] = pulumi.Output.secret(value)
    return secret
