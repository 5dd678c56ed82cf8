"""Runs the Pulumi program under the mock engine and records every resource it registers.

No Pulumi CLI, engine or cloud: `pulumi.runtime.set_mocks` stands in for the engine, a recording
monitor keeps each registration (type, name, inputs, parent and options), and the stack's real
config file supplies the config. Inputs keep the engine's view, so integers arrive as floats.
"""

import base64
import contextlib
import hashlib
import json
import runpy
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import pulumi
import yaml
from google.protobuf import json_format
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.sync_await import _sync_await

from components.deployed import READ_STACK_OUTPUTS
from components.model import Workload
from components.runtime.docker import DockerRuntime
from components.runtime.kubernetes.runtime import KubernetesRuntime
from scripts.local_cluster import EDGE_GATEWAY

ROOT = Path(__file__).resolve().parent.parent
SECRET_SIG = rpc._special_sig_key
SECRET_VALUE = rpc._special_secret_sig


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    raw: dict[str, Any]  # the wire form: secrets still wrapped
    parent: str
    urn: str
    protect: bool
    delete_before_replace: bool
    depends_on: list[str]
    ignore_changes: list[str]
    retain_on_delete: bool

    @property
    def custom(self) -> bool:
        return not self.type.startswith("dictamesh:")

    def secret_paths(self) -> list[str]:
        return _secret_paths(self.raw, "")

    def is_secret(self, path: str) -> bool:
        """Whether the input at `path` (as in `stringData.password`) travels inside a secret."""
        return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in self.secret_paths())


@dataclass
class Recording:
    stack: str
    resources: list[Registered] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    generated: dict[str, str] = field(default_factory=dict)  # "<resource>.<field>" -> a generated secret value
    ids: dict[str, str] = field(default_factory=dict)  # resource name -> the ID its provider gave it
    workloads: list[Workload] = field(default_factory=list)  # what the components handed to the runtime
    reads: dict[str, list[str]] = field(default_factory=dict)  # a read's name -> the URNs it waits on

    def leaks(self, value: Any) -> list[str]:
        """The generated secrets whose value appears in `value`'s text."""
        text = str(value)
        return sorted(key for key, secret in self.generated.items() if secret in text)

    def image_of(self, container: Registered) -> str:
        """The image a container runs, by name: containers refer to their RemoteImage by its ID."""
        image_ids = {
            hashlib.sha256(r.inputs["name"].encode()).hexdigest(): r.inputs["name"]
            for r in self.of_type("docker:index/remoteImage:RemoteImage")
        }
        return str(image_ids[str(container.inputs["image"]).removeprefix("sha256:")])

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str) -> Registered:
        found = [r for r in self.resources if r.type == type_ and r.name == name]
        assert len(found) == 1, f"expected one {type_} named {name}, found {len(found)}"
        return found[0]

    def children_of(self, urn: str) -> list[Registered]:
        return [r for r in self.resources if r.parent == urn]


def _secret_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return [path]
        return [p for k, v in value.items() for p in _secret_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _secret_paths(v, f"{path}[{i}]")]
    return []


def _reveal(value: Any) -> Any:
    """The wire form with every secret unwrapped to its value."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE:
            return _reveal(value.get("value"))
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(item) for item in value]
    return value


def _stream(seed: str, length: int) -> bytes:
    """`length` bytes that depend on `seed` only: the mock's stand-in for the provider's randomness."""
    out = b""
    while len(out) < length:
        out += hashlib.sha256(f"{seed}:{len(out)}".encode()).digest()
    return out[:length]


SPECIALS = "!@#$%&*()-_=+[]{}<>:?"  # terraform-provider-random's default special characters


def _password(name: str, inputs: Mapping[str, Any]) -> str:
    """A RandomPassword's result as the real provider draws it: only the classes its arguments allow, each
    class at least its minimum (terraform-provider-random's CreateString)."""
    classes = [
        (string.ascii_lowercase, inputs.get("lower", True), inputs.get("minLower", 0)),
        (string.ascii_uppercase, inputs.get("upper", True), inputs.get("minUpper", 0)),
        (string.digits, inputs.get("numeric", True), inputs.get("minNumeric", 0)),
        (inputs.get("overrideSpecial", SPECIALS), inputs.get("special", True), inputs.get("minSpecial", 0)),
    ]
    allowed = [(chars, int(minimum)) for chars, on, minimum in classes if on and chars]
    length = int(inputs["length"])
    noise = _stream(name, length)
    required = [chars[noise[i] % len(chars)] for chars, minimum in allowed for i in range(minimum)]
    pool = "".join(chars for chars, _ in allowed)
    rest = [pool[byte % len(pool)] for byte in noise[len(required) :]]
    return "".join(required + rest)[:length]


def _bcrypt_salt(name: str) -> bytes:
    """A `$2a$10$` salt, as the provider's hash has, drawn per name so that every run is the same."""
    alphabet = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    drawn = bytes(alphabet[byte % 64] for byte in _stream(f"{name}:salt", 21))
    return b"$2a$10$" + drawn + b"e"  # the 22nd character carries 2 bits only: one of .Oeu


# What the cluster holds before the stack does: the objects a program may read (`<type>`, `<namespace>/<name>`),
# as applied (the API server adds metadata and a status that the program does not read)
CLUSTER: dict[tuple[str, str], dict[str, Any]] = {
    (
        f"kubernetes:{live['apiVersion']}:{live['kind']}",
        f"{live['metadata']['namespace']}/{live['metadata']['name']}",
    ): live
    for live in (EDGE_GATEWAY,)
}


class _Mocks(pulumi.runtime.Mocks):
    """Resource state and IDs as the real providers return them, for the outputs the program reads.

    Values are stable per resource name, as the real ones are per state. The random provider's IDs are
    part of its contract with the state: a RandomBytes' ID is its base64 value, a RandomUuid's its result,
    a RandomPassword's the word "none". A RandomUuid is 16 random bytes printed as hex: no version bits.
    `outcomes` adds provider-computed state by resource name, e.g. a job container's exit code.
    """

    def __init__(
        self, outcomes: Mapping[str, Mapping[str, Any]] | None = None, previous: "Recording | None" = None
    ) -> None:
        self.outcomes = outcomes or {}
        self.previous = previous  # the recording of the stack's last update
        self.generated: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.resource_id:  # a read: the live object, or the provider's refusal
            # pulumi-kubernetes 4.32.0 (Read): inputs that name the kind name the object too, by their metadata;
            # the ID says which object only when they name no kind
            meta = args.inputs.get("metadata") or {}
            key = f"{meta.get('namespace', '')}/{meta.get('name', '')}" if args.inputs.get("kind") else args.resource_id
            live = CLUSTER.get((args.typ, key))
            if live is None:
                raise RuntimeError(f"resource {key!r} does not exist")
            return args.resource_id, live
        state = {**args.inputs, **self.outcomes.get(args.name, {})}
        resource_id = f"{args.name}-id"
        if args.typ == "random:index/randomPassword:RandomPassword":
            result = _password(args.name, args.inputs)
            hashed = bcrypt.hashpw(result.encode(), _bcrypt_salt(args.name)).decode()
            state |= {"result": result, "bcryptHash": hashed}
            self.generated |= {f"{args.name}.result": result, f"{args.name}.bcryptHash": hashed}
            resource_id = "none"
        if args.typ == "random:index/randomBytes:RandomBytes":
            raw = _stream(args.name, int(args.inputs["length"]))
            state |= {"base64": base64.b64encode(raw).decode(), "hex": raw.hex()}
            self.generated |= {f"{args.name}.base64": state["base64"], f"{args.name}.hex": state["hex"]}
            resource_id = state["base64"]
        if args.typ == "random:index/randomUuid:RandomUuid":
            digits = _stream(args.name, 16).hex()
            state["result"] = resource_id = "-".join(
                digits[a:b] for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))
            )
        if args.typ == "docker:index/remoteImage:RemoteImage":
            state["imageId"] = "sha256:" + hashlib.sha256(args.inputs["name"].encode()).hexdigest()
            resource_id = state["imageId"] + args.inputs["name"]
        if args.typ == "docker:index/network:Network":
            state.setdefault("name", args.name)
        self.ids[args.name] = resource_id
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """The built-in provider's readStackOutputs as the engine answers it: the outputs of the stack's last
        update (none for a new stack), and the names of the secret ones."""
        if args.token == READ_STACK_OUTPUTS:
            outputs = self.previous.outputs if self.previous else {}
            secret = sorted(self.previous.secret_outputs) if self.previous else []
            return {"name": args.args["name"], "outputs": outputs, "secretOutputNames": secret}, []
        raise NotImplementedError(f"the mock engine has no answer for {args.token}")


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, recording: Recording, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.recording = recording

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the engine's RPC name)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            raw = json_format.MessageToDict(request.object)
            self.recording.resources.append(
                Registered(
                    type=request.type,
                    name=request.name,
                    inputs=_reveal(raw),
                    raw=raw,
                    parent=request.parent,
                    urn=response.urn,
                    protect=request.protect,
                    delete_before_replace=request.deleteBeforeReplace,
                    depends_on=list(request.dependencies),
                    ignore_changes=list(request.ignoreChanges),
                    retain_on_delete=request.retainOnDelete,
                )
            )
        return response

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (the engine's RPC name)
        self.recording.reads[request.name] = list(request.dependencies)
        return super().ReadResource(request)  # type: ignore[no-untyped-call]


class _WarningLog:
    def __init__(self, recording: Recording) -> None:
        self.recording = recording

    def warning(self, message: str, *args: Any) -> None:
        self.recording.warnings.append(message % args if args else message)

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def stack_config(stack: str) -> dict[str, str]:
    """The stack file's config as the CLI hands it to the program: structured values as JSON."""
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {key: _as_config_value(value) for key, value in config.items()}


def _as_config_value(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@contextlib.contextmanager
def _capturing_workloads(recording: Recording) -> Iterator[None]:
    """Keeps every Workload a component deploys, on either runtime, as it was handed over."""
    originals = {runtime: runtime.deploy for runtime in (DockerRuntime, KubernetesRuntime)}

    def capture(original: Callable[..., list[pulumi.Resource]]) -> Callable[..., list[pulumi.Resource]]:
        def deploy(self: object, workload: Workload, *args: Any, **kwargs: Any) -> list[pulumi.Resource]:
            recording.workloads.append(workload)
            return original(self, workload, *args, **kwargs)

        return deploy

    try:
        for runtime, original in originals.items():
            runtime.deploy = capture(original)  # type: ignore[method-assign]
        yield
    finally:
        for runtime, original in originals.items():
            runtime.deploy = original  # type: ignore[method-assign]


# the recordings of new stacks, shared like the session's `stacks`: tests read them and never change them
_RUNS: dict[str, Recording] = {}


def run_stack(
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    base: str | None = None,
    previous: Recording | None = None,
    recording: Recording | None = None,
) -> Recording:
    """Runs __main__.py as stack `stack`, with the config of Pulumi.<base or stack>.yaml plus overrides, on a
    stack whose last update is `previous` (its outputs are what the program reads back; none: a new stack)."""
    config = stack_config(base or stack)
    config.update({key: _as_config_value(value) for key, value in (overrides or {}).items()})
    program = lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")  # noqa: E731
    if previous is not None or recording is not None:
        return run_program(stack, program, config, previous=previous, recording=recording)
    # a new stack's run depends on its name and config alone (tests/test_determinism.py): one run per process
    key = json.dumps([stack, config], sort_keys=True)
    if key not in _RUNS:
        _RUNS[key] = run_program(stack, program, config)
    return _RUNS[key]


def refusal(stack: str, overrides: Mapping[str, Any], previous: Recording) -> tuple[str, Recording]:
    """The message with which the program refuses `overrides` on a stack whose last update is `previous`, and
    what it had registered by then."""
    recording = Recording(stack)
    try:
        run_stack(stack, overrides, previous=previous, recording=recording)
    except pulumi.RunError as refused:
        return str(refused), recording
    raise AssertionError(f"{stack}: {dict(overrides)} was not refused")


def run_program(
    stack: str,
    program: Callable[[], object],
    config: Mapping[str, str] | None = None,
    outcomes: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    previous: Recording | None = None,
    recording: Recording | None = None,
) -> Recording:
    """Runs `program` under the mock engine as stack `stack` and records what it registers and exports (into
    `recording`, which keeps what was registered when the program fails)."""
    recording = recording or Recording(stack)
    pulumi.runtime.set_all_config(dict(config or {}))
    settings.ROOT.set(None)
    engine = _Mocks(outcomes, previous)
    mocks.set_mocks(
        engine,
        project="dictamesh-infra",
        stack=stack,
        preview=False,
        monitor=_RecordingMonitor(recording, engine),
        logger=_WarningLog(recording),  # type: ignore[arg-type]
    )
    with _capturing_workloads(recording):
        pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    recording.generated = dict(sorted(engine.generated.items()))
    recording.ids = dict(sorted(engine.ids.items()))
    root = settings.get_root_resource()
    assert root is not None
    for key, output in root.outputs.items():  # type: ignore[attr-defined]
        value = pulumi.Output.from_input(output)
        recording.outputs[key] = _sync_await(value.future())
        if _sync_await(value.is_secret()):
            recording.secret_outputs.add(key)
    return recording
