"""Every rpk command the runbook gives an operator, and every one the event bus's jobs, their messages and the
Makefile name, exists in rpk's command tree with the flags it passes.

The tree (tests/upstream/rpk-v26.2.1-commands.json) was dumped from the real rpk v26.2.1 binary by Redpanda's
docs. No rpk binary can be built here (the Go module proxy refuses github.com/redpanda-data/redpanda/src/go/rpk),
so these commands are checked against it, not run; the `rpk:` section they rely on inside a broker's container is
held to rpk's YAML in tests/test_tls.py.
"""

import json
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TREE = json.loads((Path(__file__).parent / "upstream" / "rpk-v26.2.1-commands.json").read_text())
COMMANDS: dict[str, dict[str, list[str]]] = TREE["commands"]
SCRIPTS = [*sorted((ROOT / "components" / "event_bus").glob("*.sh")), ROOT / "Makefile"]  # make kafka-*
# `rpk` followed by a subcommand word, up to what ends a shell command or a sentence's code
INVOCATION = re.compile(r"(?:^|[\s(`])rpk\s+([a-z][^`|;&)#\n]*)")


def resolve(words: list[str]) -> tuple[str, list[str]]:
    """The command `words` name, aliases followed, and the words after it."""
    path, rest = "rpk", words
    while rest and not rest[0].startswith("-"):
        word = rest[0]
        subcommands = COMMANDS[path]["subcommands"]
        found = [name for name in subcommands if word in (name, *COMMANDS[f"{path} {name}"]["aliases"])]
        if not found:
            break
        path, rest = f"{path} {found[0]}", rest[1:]
    return path, rest


def problems(invocation: str) -> list[str]:
    """What rpk v26.2.1 would refuse or merely print help for in `rpk <invocation>`."""
    try:
        words = shlex.split(invocation)
    except ValueError:  # a quote the cut at `)` left open: make's `-X brokers="$$($(OUTPUT) ...)"`
        words = invocation.split()
    path, rest = resolve(words)
    node = COMMANDS[path]
    found = []
    positional = [word for word in rest if not word.startswith("-")]
    if node["subcommands"] and (not positional or positional[0] not in node["subcommands"]):
        after = f"{positional[0]!r}" if positional else "nothing"
        found.append(f"`{path}` takes a subcommand ({', '.join(node['subcommands'])}), not {after}")
    ancestors = [" ".join(path.split()[:n]) for n in range(1, len(path.split()) + 1)]
    allowed = {*TREE["global_flags"], *(flag for name in ancestors for flag in COMMANDS[name]["flags"])}
    for word in rest:
        flag = word.split("=", 1)[0]
        if word.startswith("-") and flag != "-" and flag not in allowed:
            found.append(f"`{path}` has no flag {flag}")
    return found


def invocations(text: str) -> list[str]:
    """The rpk commands in a text, each joined onto one line (inline code may wrap)."""
    return [" ".join(found.split()) for found in INVOCATION.findall(re.sub(r"\s+", " ", text))]


def runbook_commands() -> list[str]:
    text = (ROOT / "docs" / "runbook.md").read_text()
    code = [*re.findall(r"```bash\n(.*?)```", text, re.DOTALL), *re.findall(r"`([^`\n]*(?:\n[^`\n]*)?)`", text)]
    return [found for span in code for found in invocations(span)]


def script_commands() -> list[str]:
    """What the scripts run and what their messages tell an operator to run; not their comments' prose."""
    lines = [line for script in SCRIPTS for line in script.read_text().splitlines()]
    return [found for line in lines if not line.lstrip().startswith("#") for found in invocations(line)]


def test_the_runbook_names_only_commands_and_flags_that_rpk_has() -> None:
    commands = runbook_commands()
    assert "cluster brokers recommission <id>" in commands
    assert "cluster partitions balancer-status" in commands  # wrapped across two lines of the runbook
    assert len(commands) >= 7
    assert {command: found for command in commands if (found := problems(command))} == {}


def test_the_jobs_run_only_commands_and_flags_that_rpk_has() -> None:
    commands = script_commands()
    assert 'topic describe "$name" --print-summary' in commands
    assert "topic consume $(TOPIC" in commands  # make kafka-consume
    assert len(commands) >= 13
    assert {command: found for command in commands if (found := problems(command))} == {}


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("topic list --internals", "`rpk topic list` has no flag --internals"),
        ("cluster partitions balance-status", "`rpk cluster partitions` takes a subcommand"),
        ("redpanda admin brokers list", "`rpk redpanda` takes a subcommand"),  # removed in v26: `rpk cluster brokers`
        ("cluster", "`rpk cluster` takes a subcommand"),
    ],
)
def test_a_command_rpk_lacks_is_found(command: str, problem: str) -> None:
    assert any(problem in found for found in problems(command))


def test_aliases_and_inherited_flags_are_rpks_own() -> None:
    assert problems("topic ls -X admin.hosts=a:9644 --internal") == []
    assert problems("topic info t -c") == []
