"""Kubernetes objects as the program registered them, in manifest form for real tools to read."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.harness import Recording, Registered

KUBERNETES_VERSION = "1.30.0"


def plain(value: Any) -> Any:
    """Undo the engine's number encoding: the mock hands integers over as floats."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def kubernetes_objects(recording: Recording) -> list[Registered]:
    return [r for r in recording.resources if r.type.startswith("kubernetes:") and not r.type.startswith("pulumi:")]


def manifest(resource: Registered) -> dict[str, Any]:
    return {key: plain(value) for key, value in resource.inputs.items()}


def makes_its_object(resource: Registered) -> bool:
    """Whether an `up` makes this object: a plain object does, and so does a claim patch with access modes (a
    job's claim, which server-side apply creates). A patch without them changes an object that a controller
    makes (a StatefulSet's claim, resized)."""
    return not resource.type.endswith("Patch") or "accessModes" in resource.inputs.get("spec", {})


def created(recording: Recording) -> list[dict[str, Any]]:
    """The objects an `up` makes, as manifests, which an apply of manifests makes alike."""
    return [manifest(r) for r in kubernetes_objects(recording) if makes_its_object(r)]


def write_manifests(recording: Recording, directory: Path, builtin: bool = False) -> list[Path]:
    """Every Kubernetes object as a file; with `builtin`, only those of Kubernetes' own API groups."""
    paths = []
    for index, resource in enumerate(kubernetes_objects(recording)):
        if builtin and resource.type.startswith("kubernetes:cert-manager.io/"):
            continue
        path = directory / f"{index:03d}-{resource.inputs['kind'].lower()}-{resource.name}.yaml"
        path.write_text(yaml.safe_dump(manifest(resource), sort_keys=False))
        paths.append(path)
    return paths


def assert_valid(paths: list[Path]) -> None:
    """Every manifest passes `kubernetes-validate --strict`; a kind without a schema, only a warning to the tool,
    fails here."""
    result = subprocess.run(
        [Path(sys.executable).parent / "kubernetes-validate", "--strict", "-k", KUBERNETES_VERSION, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" passed for resource ") == len(paths), result.stdout
