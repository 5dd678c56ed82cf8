"""Field types every settings model shares: validated, with messages that say what is allowed."""

import re
from typing import Annotated

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator
from pydantic.alias_generators import to_camel

from components.change import CLAIM_SIZE, HOST_PORT
from components.quantity import CPU_PATTERN, MEMORY_PATTERN
from policies.images import image_problem


def _pinned_image(ref: str) -> str:
    """an image pinned to a version tag or a digest"""
    problem = image_problem(ref)
    if problem:
        raise ValueError(problem)
    return ref


def matching(pattern: str, allowed: str) -> AfterValidator:
    """A string field that must match `pattern`; `allowed` says what that means to a person."""

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"expected {allowed}")
        return value

    check.__doc__ = allowed  # what docs/configuration.md says is allowed
    return AfterValidator(check)


def _cron(schedule: str) -> str:
    """a cron schedule of five fields, or @hourly, @daily, @weekly, @monthly or @yearly"""
    field = r"(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*"
    macros = {"@hourly", "@daily", "@weekly", "@monthly", "@yearly"}
    if schedule in macros or re.fullmatch(rf"{field}( {field}){{4}}", schedule):
        return schedule
    raise ValueError(
        "expected a cron schedule of five fields, e.g. '0 2 * * *', or one of " + ", ".join(sorted(macros))
    )


Cron = Annotated[str, AfterValidator(_cron)]


def _secret(value: object) -> object:
    """a secret: encrypted in the stack's config (`pulumi config set --secret --path`), or an Output (secret or
    not) of a program that uses the package; it reaches the workload as a mounted secret file alone"""
    if isinstance(value, pulumi.Output) or (isinstance(value, str) and value):
        return value
    raise ValueError("expected a secret: a non-empty string, or an Output of one")


# An Output stays one: a consumer's secret arrives through the component provider as an Output of its own
# (nested in its argument, the rest plain), and the settings never need its text, only its place in a Secret.
SecretText = Annotated[str | pulumi.Output[str], PlainValidator(_secret)]
Image = Annotated[str, AfterValidator(_pinned_image)]
Memory = Annotated[str, matching(MEMORY_PATTERN, "a Kubernetes quantity such as 512Mi or 2Gi")]
ClaimSize = Annotated[Memory, CLAIM_SIZE]  # the size of a persistent claim
Cpu = Annotated[str, matching(CPU_PATTERN, "cores such as 250m, 1 or 1.5")]
HostPort = Annotated[int, Field(ge=1024, le=65535), HOST_PORT]
DnsLabel = Annotated[
    str, matching(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", "a DNS label: lower-case letters, digits and '-'")
]


class Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class Resources(Section):
    """Requests equal limits: the scheduler reserves what the container may use."""

    cpu: Cpu = Field(default="250m", description="CPU, requested and the limit")
    memory: Memory = Field(default="256Mi", description="memory, requested and the limit")
    ephemeral_storage: Memory = Field(
        default="1Gi", description="node disk for logs and scratch paths, requested and the limit"
    )


EXPORTER_RESOURCES = Resources(cpu="100m", memory="64Mi", ephemeral_storage="256Mi")  # Go exporters idle near 20Mi

# The DictaMesh services that use the platform (seed report: planned application charts).
APP_CLIENTS = ["metadata-catalog", "graphql-gateway", "event-router"]
