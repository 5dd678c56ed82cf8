"""What a pinned image is, as its upstream sources at the pinned release say: the contract a workload
is held to (issue 19). Each component keeps the records of its images in its own `images.py`, next to
the pins; tests/test_image_facts.py holds every workload of every stack to the record of its image.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from components.model import RunAs


@dataclass(frozen=True)
class Source:
    """An upstream file a fact comes from: repository, tag or commit, path."""

    repo: str
    ref: str
    path: str


@dataclass(frozen=True)
class ImageFacts:
    image: str  # the reference the settings pin by default
    release: str  # the upstream release the tag names
    newest: str  # the newest patch release of the pinned line that could be read here (issue 30, item 4)
    user: RunAs  # who its process runs as: the image's USER, or whom its entrypoint switches to as root
    writes: tuple[str, ...]  # where its process writes at run time, as the image configures it
    # what a probe or stop command may run there: its shells ("sh", "bash"; none where distroless), its
    # probe tools (wget, curl, nc) and its own CLIs
    tools: frozenset[str]
    sources: tuple[Source, ...]
    # a written path our workloads move elsewhere -> the settings that do it, each exactly as the workload
    # carries it: an env key, a command argument, or a whole line of a generated file
    moved: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    run_as: RunAs | None = None  # where our workloads run it as another user than `user`, and why
    run_as_why: str = ""
    newest_why: str = ""  # where `newest` is not the pin: what it fixes, and why it is not pinned

    @property
    def runs_as(self) -> RunAs:
        return self.run_as or self.user


def postgres_major(image: str) -> int | None:
    """The PostgreSQL major an image reference names: pgvector's `-pgNN` tags, or the official `postgres:NN...`."""
    name = image.split("@", 1)[0]
    repository, tag = name.rsplit(":", 1) if ":" in name.rsplit("/", 1)[-1] else (name, "")
    if found := re.search(r"-pg([0-9]+)(?:[-.]|$)", tag):
        return int(found.group(1))
    if repository.rsplit("/", 1)[-1] == "postgres" and (found := re.match(r"[0-9]+", tag)):
        return int(found.group(0))
    return None
