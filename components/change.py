"""What changing a setting does to a running stack, on each target: one source for the program's refusals,
docs/configuration.md and the day-2 tests.

Every setting's type carries an OnChange in its metadata (`Annotated[int, OnChange(...)]`), or takes the
one of the nearest section above it that does. A `refused` setting is recorded in the stack's `deployed`
output and a later change of it is refused before the plan (components/deployed.py); `remember` records
one that a section checks itself (a Redpanda upgrade that skips a feature release, a claim that shrinks).
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

Effect = Literal["none", "live", "rolling", "replaced", "refused"]
Target = Literal["docker", "kubernetes"]

MEANING: dict[Effect, str] = {
    "none": "nothing changes on a running stack (read once: on a first start, or when a claim is made)",
    "live": "applied without restarting a datastore: a job converges it, or a stateless workload rolls",
    "rolling": "the datastore restarts one replica at a time, each drained first; its data is kept",
    "replaced": "something is replaced and its data kept: a container and its volume, or a new claim beside "
    "the old one, which is kept",
    "refused": "refused before the plan, naming the setting, the deployed value and the way to get there",
}


@dataclass(frozen=True)
class OnChange:
    kubernetes: Effect
    docker: Effect
    why: str = ""
    remember: bool = False  # recorded in `deployed` for a section's own check of the change
    grows_only: bool = False  # a claim's size: a smaller one than deployed is refused on Kubernetes

    def on(self, target: Target) -> Effect:
        return self.kubernetes if target == "kubernetes" else self.docker

    @property
    def recorded(self) -> bool:
        return self.remember or self.grows_only or "refused" in (self.kubernetes, self.docker)


@dataclass
class Verdict:
    """What a section says of the changes from its deployed values: refusals, and warnings for the preview."""

    refused: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)

    def __iadd__(self, other: "Verdict") -> "Verdict":
        self.refused += other.refused
        self.warned += other.warned
        return self


# the effects most settings share
DATASTORE = OnChange("rolling", "replaced")  # what the server reads: its image, files, resources
STATELESS = OnChange("live", "live")  # an exporter, the Console, a job: rolled or run again
CONVERGED = OnChange("live", "live", "a job converges the running server on it")
SWITCHED = OnChange(  # a set of workloads that can be switched off and on again
    "live",
    "live",
    "switched off, its workloads go and their claims and volumes stay; switched on again, they come back with them",
)
CLIENTS = OnChange("live", "none", "who may connect: the NetworkPolicies, which the docker target has none of")
HOST_PORT = OnChange("none", "replaced", "published on the developer's machine by the docker target alone")
CLAIM_SIZE = OnChange(
    "live",
    "none",
    "the claims grow in place (their storage class must allow expansion); a smaller size is refused, since a "
    "claim never shrinks; Docker volumes have no size",
    grows_only=True,
)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def settings_effects(
    model: type[BaseModel], inherited: OnChange | None = None, prefix: str = ""
) -> Iterator[tuple[str, OnChange | None]]:
    """(key, effect) of every leaf setting, keys as in the stack files (`eventBus.brokers`); items of a list
    of sections are `list[].key` and take the list's effect."""
    for name, info in model.model_fields.items():
        key = f"{prefix}{info.alias or name}"
        # the outermost annotation wins: Annotated[HostPort, OnChange(...)] overrides HostPort's own
        own = next((item for item in reversed(info.metadata) if isinstance(item, OnChange)), None)
        effect = own or inherited
        nested = _model_of(info.annotation)
        if nested is None:
            yield key, effect
        elif get_origin(info.annotation) is list:
            yield key, effect
            yield from settings_effects(nested, effect, f"{key}[].")
        else:
            yield from settings_effects(nested, effect, f"{key}.")


def value_at(values: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted key in a model dump by alias (`values` of `model_dump(by_alias=True)`)."""
    found: Any = values
    for part in key.split("."):
        found = found.get(part) if isinstance(found, Mapping) else None
    return found
