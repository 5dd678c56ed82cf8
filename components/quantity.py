"""Kubernetes-style resource quantities, parsed once so both runtimes size containers alike."""

import re
from decimal import Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
MEMORY_PATTERN = r"^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$"
CPU_PATTERN = r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$"


def memory_bytes(quantity: str) -> int:
    """'512Mi' -> 536870912. The caller has checked the quantity against MEMORY_PATTERN."""
    match = re.fullmatch(r"([0-9]+)([A-Za-z]*)", quantity)
    if match is None:
        raise ValueError(f"not a memory quantity: {quantity!r}")
    number, unit = match.groups()
    return int(number) * (_BINARY.get(unit) or _DECIMAL.get(unit) or 1)


def cpu_cores(quantity: str) -> Decimal:
    """'500m' -> 0.5, '2' -> 2."""
    if quantity.endswith("m"):
        return Decimal(quantity[:-1]) / 1000
    return Decimal(quantity)


def mebibytes(quantity: str) -> int:
    return memory_bytes(quantity) // 2**20
