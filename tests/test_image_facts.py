"""Every workload of every stack held to the record of its image (components/*/images.py, issue 19).

The records say what the upstream sources at the pinned release say: the image's user, where it
writes, the tools it has. A workload that runs another user, leaves a written path on the read-only
root, or probes with a tool its image lacks fails here, before any cluster or engine would.
"""

import posixpath
import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from components.images import RECORDS
from components.model import Replica, Workload
from components.sentry import images as sentry
from tests.harness import Recording
from tests.test_exposure import INGRESS_MODE, exposed

# what a shell runs itself: no tool of the image needed
BUILTINS = {"exec", "test", "[", "printf", "echo", "export", "set", "read", "true", "false", "cd", "exit"}
# shell words after which a command comes, and those after which none does (a loop's variable, a case's word)
COMMAND_FOLLOWS = {"if", "then", "else", "elif", "while", "until", "do", "!", "{"}
NO_COMMAND = {"for", "case", "in", "done", "fi", "esac", "}"}
MINI_FLAGS = Path(__file__).parent / "upstream" / "seaweedfs-4.40-mini-flags.txt"


@pytest.fixture(scope="module")
def stacks(stacks: dict[str, Recording]) -> dict[str, Recording]:
    """Every stack, and prod with every UI exposed: the login proxies run only there."""
    return {**stacks, "prod exposed": exposed("prod", INGRESS_MODE)}


def workloads(stacks: dict[str, Recording]) -> Iterator[Workload]:
    for recording in stacks.values():
        yield from recording.workloads


def args(workload: Workload) -> list[str]:
    return workload.args_for(Replica(ordinal=0, host=workload.name, published={}))


def covered(path: str, mounts: Sequence[str]) -> bool:
    return any(path == mount or path.startswith(mount.rstrip("/") + "/") for mount in mounts)


def commands_of(argv: Sequence[str]) -> set[str]:
    """The programs a probe or stop command starts: argv[0], and in a `sh -c` script every command word."""
    if not argv:
        return set()
    program = argv[0]
    if posixpath.basename(program) not in ("sh", "bash") or argv[1:2] != ["-c"]:
        return {program}
    script = argv[2]
    found = {posixpath.basename(program)} | set(re.findall(r"\$\(\s*([\w./-]+)", script))
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    at_command, redirected = True, False
    for token in lexer:
        if redirected:  # the file or descriptor a redirection names
            redirected = False
        elif token in ("&&", "||", "|", ";", "(", ")"):
            at_command = True
        elif set(token) <= set("<>&"):
            redirected = True
        elif at_command and token in COMMAND_FOLLOWS:
            continue
        elif at_command and token in NO_COMMAND:
            at_command = False
        elif at_command and "=" not in token and not token.isdigit():
            if token not in BUILTINS:
                found.add(token)
            at_command = token == "exec"  # `exec cmd` runs cmd; `exec 3<>...` only redirects
    return found


def test_every_image_every_stack_runs_has_its_record(stacks: dict[str, Recording]) -> None:
    assert {w.image for w in workloads(stacks)} <= set(RECORDS)
    assert len(RECORDS) == 24


def test_every_workload_runs_as_its_images_user_or_says_why_not(stacks: dict[str, Recording]) -> None:
    for workload in workloads(stacks):
        record = RECORDS[workload.image]
        assert workload.run_as == record.runs_as, workload.name
    for record in RECORDS.values():
        assert bool(record.run_as) == bool(record.run_as_why), record.image
        assert record.runs_as.uid != 0, record.image  # every workload runs unprivileged


def test_every_path_a_service_writes_is_a_volume_or_scratch_or_moved(stacks: dict[str, Recording]) -> None:
    """One-shot jobs run other programs of the image (psql, rpk, kafka-topics); services run the image's own."""
    for workload in workloads(stacks):
        if workload.kind != "service":
            continue
        record = RECORDS[workload.image]
        mounts = [*workload.scratch, *(volume.path for volume in workload.volumes.values())]
        lines = {line.strip() for text in workload.files.values() for line in text.splitlines()}
        said = {*workload.env, *workload.command, *args(workload), *lines}
        for path in record.writes:
            if path in record.moved:
                missing = [setting for setting in record.moved[path] if setting not in said]
                assert not missing, f"{workload.name}: {path} is not moved away: it lacks {missing}"
            else:
                assert covered(path, mounts), f"{workload.name} writes {path} on its read-only root"


def test_probes_and_stop_commands_use_only_what_the_image_has(stacks: dict[str, Recording]) -> None:
    for workload in workloads(stacks):
        record = RECORDS[workload.image]
        for argv in (workload.probe.command if workload.probe else [], workload.stop_command):
            for program in commands_of(argv):
                assert program in record.tools or posixpath.basename(program) in record.tools, (
                    f"{workload.name} runs {program}, which {workload.image} does not have"
                )


def test_main_commands_use_only_what_the_image_has(stacks: dict[str, Recording]) -> None:
    """A command replaces the image's entrypoint: its program (and an inline script's) must be in the image."""
    for workload in workloads(stacks):
        record = RECORDS[workload.image]
        for program in commands_of(workload.command):
            assert program in record.tools or posixpath.basename(program) in record.tools, (
                f"{workload.name} runs {program}, which {workload.image} does not have"
            )


def test_every_container_docker_starts_is_held_to_its_images_record(stacks: dict[str, Recording]) -> None:
    """The volume hand-overs too: they run the workload's image as root with CHOWN alone, and its chown."""
    recording = stacks["dev"]
    containers = recording.of_type("docker:index/container:Container")
    owners = [c for c in containers if c.name.endswith("-owner")]
    assert owners, "the dev stack hands over no volume: nothing to check"
    for container in containers:
        record = RECORDS[recording.image_of(container)]
        entrypoint = container.inputs.get("entrypoints") or []
        if container in owners:
            assert entrypoint[0] == "chown" and "chown" in record.tools, (container.name, record.image)
            assert container.inputs["user"] == "0:0"
            assert container.inputs["capabilities"] == {"adds": ["CAP_CHOWN"], "drops": ["ALL"]}
            assert container.inputs["networkMode"] == "none"
        else:
            assert container.inputs["user"] == f"{record.runs_as.uid}:{record.runs_as.gid}", container.name


@pytest.mark.parametrize(
    ("argv", "programs"),
    [
        (["pg_isready", "-h", "127.0.0.1"], {"pg_isready"}),
        (["bash", "-c", 'test -n "$(find /tmp/health.txt -mmin -2 2>/dev/null)"'], {"bash", "find"}),
        (["sh", "-c", 'A="$(cat /f)" redis-cli ping | grep -q PONG'], {"sh", "cat", "redis-cli", "grep"}),
        (["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000 && printf x >&3 && grep -q ok <&3"], {"bash", "grep"}),
        (["sh", "-c", "exec curl -sf http://x"], {"sh", "curl"}),
        (
            ["bash", "-c", "for t in a b; do kafka-topics --create $t; done && if true; then cat f; fi"],
            {"bash", "kafka-topics", "cat"},
        ),
    ],
)
def test_the_programs_of_a_check_are_found(argv: list[str], programs: set[str]) -> None:
    assert commands_of(argv) == programs


def test_every_tag_names_the_release_its_record_was_read_at() -> None:
    for record in RECORDS.values():
        tag = record.image.rsplit("/", 1)[-1].split(":", 1)[1].split("@", 1)[0]
        assert tag == record.release or tag.startswith(
            (f"{record.release}-", f"{record.release}_", f"{record.release}.")
        ), record.image
        assert record.sources, record.image


def release_numbers(release: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"[0-9]+", release))


def test_every_image_names_the_newest_patch_release_read_and_why_it_is_not_pinned() -> None:
    """Issue 30, item 4: each pin is the newest patch of its line, or its record says what that patch fixes
    and what keeps it out."""
    behind = []
    for record in RECORDS.values():
        pinned, newest = release_numbers(record.release), release_numbers(record.newest)
        assert newest[:-1] == pinned[:-1], f"{record.image}: {record.newest} is not of the pinned line"
        assert newest >= pinned, f"{record.image}: {record.newest} is older than the pin"
        if newest == pinned:
            assert not record.newest_why, f"{record.image}: pinned at the newest, yet says why not"
        else:
            assert len(record.newest_why) > 40, f"{record.image}: {record.newest} is newer: say why it is not pinned"
            behind.append(record.image)
    assert "redis:7.4.11-bookworm" not in behind  # the cache's three security releases are taken


def test_the_objectstore_passes_only_flags_its_release_has(stacks: dict[str, Recording]) -> None:
    """At 4.40 weed stops reading at an unknown flag and drops the rest silently (-s3.port.lance came in 4.43)."""
    known = {line for line in MINI_FLAGS.read_text().splitlines() if line and not line.startswith("#")}
    objectstore = next(w for w in stacks["dev"].workloads if w.name == "sentry-objectstore")
    given = args(objectstore)
    assert given[0] == "mini"
    assert {arg.lstrip("-").split("=", 1)[0] for arg in given[1:]} <= known
    assert sentry.SEAWEEDFS.release == "4.40"
