"""Guardrails for generated credentials."""

import re
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from policies.common import config, schema

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"  # noqa: S105 (a type token)
URL_SAFE_SPECIALS = re.compile(r"[-_.~]*")
DEFAULTS: dict[str, Any] = {"minLength": 24}


def _password_strength(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != RANDOM_PASSWORD:
        return
    minimum = config(args.get_config(), DEFAULTS)["minLength"]
    length = args.props.get("length") or 0
    if length < minimum:
        report(f"password {args.name} has {int(length)} characters: generate at least {minimum}.", None)
    special = args.props.get("special", True)
    override = args.props.get("overrideSpecial")
    if special and (override is None or not URL_SAFE_SPECIALS.fullmatch(override)):
        report(
            f"password {args.name} may contain characters that break URLs and DSNs: set special=False or "
            "override_special to a subset of '-_.~'.",
            None,
        )


POLICIES = [
    ResourceValidationPolicy(
        name="generated-password-strength",
        description="Generated passwords are long enough and free of URL-breaking characters.",
        validate=_password_strength,
        enforcement_level=EnforcementLevel.MANDATORY,
        config_schema=schema(DEFAULTS),
    ),
]
