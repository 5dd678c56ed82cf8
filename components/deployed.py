"""What the stack last deployed, read back from its own `deployed` output at the start of every run.

The engine's built-in `readStackOutputs` returns the stack's outputs as its last update left them (none for
a stack never deployed), in a preview as in an update. The settings are judged against them before any
resource is registered: a change that a running system cannot take is refused with nothing planned.
"""

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.change import Verdict, settings_effects, value_at
from components.quantity import memory_bytes
from components.settings import Settings

OUTPUT = "deployed"
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"


@dataclass(frozen=True)
class Deployed:
    """The stack's last update: its record of settings, and its outputs (a previous credential, say)."""

    record: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.outputs)

    def secret(self, name: str) -> pulumi.Output[str] | None:
        value = self.outputs.get(name)
        return pulumi.Output.secret(value) if isinstance(value, str) else None


def read() -> Deployed:
    """What the stack's last update exported; empty for a stack never deployed."""
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    outputs = _outputs(name)
    text = outputs.get(OUTPUT)
    return Deployed(record=json.loads(text) if isinstance(text, str) else {}, outputs=dict(outputs))


def _outputs(name: str, attempts: int = 10) -> dict[str, Any]:
    """The engine's answer. A file backend rewrites the stack's checkpoint as an update starts, and a read in
    between finds it empty or cut ("failed to load checkpoint: EOF", seen on a new stack's first `up`): read again."""

    def ask() -> dict[str, Any]:
        return dict((pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": name}).value or {}).get("outputs") or {})

    for attempt in range(1, attempts):
        try:
            return ask()
        except Exception as error:  # the SDK raises a bare Exception with the engine's words
            if "failed to load checkpoint" not in str(error):
                raise
            time.sleep(0.2 * attempt)
    return ask()


def record(settings: Settings) -> str:
    """The deployed values of every setting whose change is judged, as JSON text (nulls survive the engine)."""
    values = settings.model_dump(by_alias=True, mode="json")
    values["kubernetes"]["namespace"] = settings.namespace  # the effective name, set or not
    other = "docker." if settings.target == "kubernetes" else "kubernetes."  # the other target's section
    recorded = {
        key: value_at(values, key)
        for key, effect in settings_effects(Settings)
        if effect is not None and effect.recorded and "[]" not in key and not key.startswith(other)
    }
    return json.dumps(recorded, sort_keys=True, separators=(",", ":"))


def judge(settings: Settings, before: Mapping[str, Any]) -> Verdict:
    """The changes from `before` (read()) that are refused, and those the preview should warn about."""
    verdict = Verdict()
    if not before:
        return verdict
    now = json.loads(record(settings))
    effects = {key: effect for key, effect in settings_effects(Settings) if effect is not None}
    for key, value in now.items():
        if key not in before or before[key] == value:
            continue
        effect = effects[key]  # recorded keys have one
        if effect.on(settings.target) == "refused":
            verdict.refused.append(f"{key} = {value!r}: the stack runs with {before[key]!r}; {effect.why}")
        elif effect.grows_only and settings.target == "kubernetes" and memory_bytes(value) < memory_bytes(before[key]):
            verdict.refused.append(
                f"{key} = {value!r}: the claims hold {before[key]}, and a claim never shrinks; set {before[key]} back"
            )
        elif effect.on(settings.target) == "none" and not effect.grows_only:
            verdict.warned.append(f"{key} {before[key]!r} -> {value!r}: {effect.why}")
    for prefix, section in (
        ("catalog", settings.catalog),
        ("eventBus", settings.event_bus),
        ("sentry", settings.sentry),
    ):
        scoped = {
            key.removeprefix(f"{prefix}."): value for key, value in before.items() if key.startswith(f"{prefix}.")
        }
        verdict += section.judge_change(scoped)
    return verdict
