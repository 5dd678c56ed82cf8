"""What a stack's own workloads take from their Kubernetes namespace: the figures of its ResourceQuota.

Read from the settings alone, so an explicit quota too small for the stack is refused at config
time, before anything exists. tests/test_quota.py checks these figures against the objects the
program really registers.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields

from components.fields import Resources
from components.quantity import cpu_cores, memory_bytes

MI = 2**20


@dataclass(frozen=True)
class Footprint:
    cpu_millis: int = 0
    memory_mib: int = 0
    ephemeral_mib: int = 0
    storage_mib: int = 0
    claims: int = 0
    pods: int = 0

    def __add__(self, other: "Footprint") -> "Footprint":
        return Footprint(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def scaled(self, percent: int) -> "Footprint":
        """Rounded up: a quota never lands below what it must hold."""
        return Footprint(*(-(-getattr(self, f.name) * (100 + percent) // 100) for f in fields(self)))


def pods(resources: Resources, count: int = 1, claims: Sequence[str] = (), surge: bool = False) -> Footprint:
    """`count` pods of one template, their claims, and one more pod where a Deployment rolls out by surge."""
    total = count + (1 if surge else 0)
    return Footprint(
        cpu_millis=int(cpu_cores(resources.cpu) * 1000) * total,
        memory_mib=memory_bytes(resources.memory) // MI * total,
        ephemeral_mib=memory_bytes(resources.ephemeral_storage) // MI * total,
        storage_mib=sum(memory_bytes(size) // MI for size in claims),
        claims=len(claims),
        pods=total,
    )
