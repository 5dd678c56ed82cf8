"""Container fields written exactly as the Docker provider reads them back from the engine.

The provider (kreuzwerker/terraform-provider-docker, under pulumi-docker) stores what the engine
reports, not what was sent. A field whose two forms differ shows a diff on every `pulumi up`, and
`cpus` and `healthcheck` force a new container: `cpus="1"` reads back as "1.0", a 120-second
interval as "2m0s".
"""

from decimal import ROUND_HALF_UP, Decimal


def cpus(cores: Decimal) -> str:
    """`nanoInt64ToDecimalString` of the provider: "1.0", "2.0", "0.5", "0.25", "1.5"."""
    nano = int(cores * 10**9)
    if nano == 0:
        return "0"
    whole, fraction = divmod(nano, 10**9)
    nine = f"{whole}.{fraction:09d}"
    if nine.count("0") == 9:
        # the provider's own shortcut for "round" values: one decimal place
        return str((Decimal(nano) / 10**9).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return nine.rstrip("0")


def duration(seconds: int) -> str:
    """Go's `time.Duration.String()` of whole seconds: "10s", "2m0s", "1h0m0s"."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def capability(name: str) -> str:
    """The engine's form since Docker 20.10, which prefixes capability names (CHOWN reads back as
    CAP_CHOWN; ALL stays ALL): the short form drifted on every `refresh` (found by make e2e)."""
    return name if name == "ALL" or name.startswith("CAP_") else f"CAP_{name}"
