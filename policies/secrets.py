"""Guardrails for generated credentials."""

import re
from typing import Any

from pulumi_policy import ReportViolation, ResourceValidationArgs

from policies.common import config, resource_policy

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
    resource_policy(
        "generated-password-strength",
        "Generated passwords are long enough and free of URL-breaking characters.",
        _password_strength,
        DEFAULTS,
    ),
]
