"""Every stack evaluates, each on its own target, with its components and secret credentials."""

import re
import subprocess
from pathlib import Path

import pytest

from tests.harness import ROOT, Recording

COMPONENTS = {
    "dictamesh:catalog:CatalogDatabase",
    "dictamesh:cache:Cache",
    "dictamesh:eventbus:EventBus",
    "dictamesh:observability:Observability",
    "dictamesh:sentry:Sentry",
}


def providers(recording: Recording) -> set[str]:
    return {
        r.type.split(":")[0] for r in recording.resources if r.custom and not r.type.startswith("pulumi:providers:")
    }


def test_dev_registers_only_docker_and_random_resources(stacks: dict[str, Recording]) -> None:
    assert providers(stacks["dev"]) == {"docker", "random"}
    assert {r.type for r in stacks["dev"].resources if not r.custom} == COMPONENTS


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_clusters_register_only_kubernetes_and_random_resources(stacks: dict[str, Recording], stack: str) -> None:
    assert providers(stacks[stack]) == {"kubernetes", "random"}
    # the stack's own CA (kubernetes.tls.issuer: selfSigned) sits beside the components
    assert {r.type for r in stacks[stack].resources if not r.custom} == {
        *COMPONENTS,
        "dictamesh:platform:CertificateAuthority",
    }


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_components_own_their_resources(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    for component in (r for r in recording.resources if not r.custom):
        assert component.parent.endswith("::pulumi:pulumi:Stack::dictamesh-infra-" + stack)
        assert recording.children_of(component.urn), component.name
    shared = {"pulumi:providers:docker", "pulumi:providers:kubernetes", "docker:index/network:Network"}
    shared |= {"docker:index/remoteImage:RemoteImage", "kubernetes:core/v1:Namespace"}
    shared |= {"kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:core/v1:ResourceQuota"}
    shared |= {"kubernetes:core/v1:LimitRange"}
    for resource in recording.resources:
        if resource.custom and resource.type not in shared:
            assert "dictamesh:" in resource.urn, f"{resource.type} {resource.name} belongs to no component"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_generated_passwords_are_long_and_url_safe(stacks: dict[str, Recording], stack: str) -> None:
    passwords = stacks[stack].of_type("random:index/randomPassword:RandomPassword")
    assert len(passwords) >= 6
    for password in passwords:
        assert password.inputs["length"] >= 32
        assert password.inputs["special"] is False


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_credentials_are_exported_as_secrets_only(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    assert {"catalogDsn", "cacheUrl", "grafanaAdminPassword"} <= recording.secret_outputs
    password = recording.generated["catalog-app-password.result"]
    assert recording.outputs["catalogDsn"].startswith(f"postgresql://dictamesh:{password}@")
    plain = {key: value for key, value in recording.outputs.items() if key not in recording.secret_outputs}
    assert not recording.leaks(plain)
    assert plain["catalog"]["database"] == "dictamesh_catalog"


def test_dev_outputs_name_the_host_addresses(stacks: dict[str, Recording]) -> None:
    outputs = stacks["dev"].outputs
    assert outputs["catalog"]["hostAddress"] == "127.0.0.1:5432"
    assert outputs["cache"]["hostAddress"] == "127.0.0.1:6379"
    assert outputs["eventBus"]["hostBootstrapServers"] == "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094"
    assert outputs["eventBus"]["consoleUrl"] == "http://127.0.0.1:8080"


def test_cluster_outputs_name_service_addresses(stacks: dict[str, Recording]) -> None:
    outputs = stacks["prod"].outputs
    assert outputs["catalog"]["host"] == "postgres.dictamesh-prod.svc.cluster.local"
    assert outputs["catalog"]["hostAddress"] is None
    assert (
        outputs["eventBus"]["bootstrapServers"].split(",")[0]
        == "redpanda-0.redpanda.dictamesh-prod.svc.cluster.local:9092"
    )


def test_no_credential_literal_in_the_repository() -> None:
    root = Path(__file__).resolve().parent.parent
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "components/settings.py" in listed
    literal = re.compile(r"(?i)\b\w*(password|passwd|secret|token|pass)\s*[:=]\s*[\"'][A-Za-z0-9+_-]{8,}[\"']")
    assert literal.search("db_password = " + '"hunter2hunter2"') and literal.search("PASSWORD: " + "'dictamesh_dev'")
    for name in listed:
        path = root / name
        if path.is_file():
            found = literal.search(path.read_text(errors="ignore"))
            assert found is None, f"{name}: {found.group(0) if found else ''}"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_no_resource_id_holds_a_secret(stacks: dict[str, Recording], stack: str) -> None:
    """IDs are never encrypted in the state: a resource whose ID is its value (RandomBytes) leaks it."""
    recording = stacks[stack]
    assert recording.generated, "the mock engine generated no secret"
    assert not recording.leaks(list(recording.ids.values()))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_stack_files_hold_nothing_that_stack_init_drops(stack: str) -> None:
    """`pulumi stack init` rewrites the file to add `encryptionsalt`, and drops comments and the default
    `secretsprovider: passphrase` (make e2e checks the rewrite on the real CLI)."""
    lines = (ROOT / f"Pulumi.{stack}.yaml").read_text().splitlines()
    assert not [line for line in lines if line.lstrip().startswith("#")]
    assert "secretsprovider: passphrase" not in lines
