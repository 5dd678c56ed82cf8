"""CatalogDatabase under the mock engine, in every stack."""

import pytest

from components.config import parse
from tests.harness import Recording, run_stack

CONTAINER = "docker:index/container:Container"


def test_dev_runs_postgres_with_a_volume_a_health_check_and_file_secrets(stacks: dict[str, Recording]) -> None:
    postgres = stacks["dev"].one(CONTAINER, "postgres").inputs
    assert stacks["dev"].image_of(stacks["dev"].one(CONTAINER, "postgres")) == "pgvector/pgvector:0.8.6-pg16"
    assert postgres["ports"] == [{"ip": "127.0.0.1", "internal": 5432, "external": 5432}]
    assert postgres["healthcheck"]["tests"][:2] == ["CMD", "pg_isready"]
    assert postgres["mounts"][0]["source"] == "dictamesh-dev-postgres-data"
    uploaded = {upload["file"] for upload in postgres["uploads"]}
    # the server reads the superuser's password on its first start and no other credential: roles are the
    # converge job's, which sets them as verifiers
    assert uploaded == {
        "/etc/postgresql/postgresql.conf",
        "/docker-entrypoint-initdb.d/01-init-metadata-catalog.sql",
        "/docker-entrypoint-initdb.d/02-seed-data.sql",
        "/run/secrets/dictamesh/superuser-password",
    }
    converge = {upload["file"] for upload in stacks["dev"].one(CONTAINER, "postgres-converge").inputs["uploads"]}
    assert {f"/run/secrets/dictamesh/{role}-verifier" for role in ("app", "monitor", "backup")} <= converge
    assert not {f"/run/secrets/dictamesh/{role}-password" for role in ("app", "monitor", "backup")} & converge
    exporter = stacks["dev"].one(CONTAINER, "postgres-exporter").inputs
    assert "DATA_SOURCE_PASS_FILE=/run/secrets/dictamesh/monitor-password" in exporter["envs"]
    assert "DATA_SOURCE_USER=dictamesh_monitor" in exporter["envs"]
    assert not [r for r in stacks["dev"].of_type(CONTAINER) if "backup" in r.name]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_clusters_run_a_statefulset_with_claims_probes_and_config_maps(
    stacks: dict[str, Recording], stack: str
) -> None:
    recording = stacks[stack]
    spec = recording.one("kubernetes:apps/v1:StatefulSet", "postgres").inputs["spec"]
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == {"staging": "10Gi", "prod": "50Gi"}[stack]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["exec"]["command"][0] == "pg_isready"
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    assert mounts["/var/lib/postgresql/data"]["name"] == "data"
    assert (
        mounts["/docker-entrypoint-initdb.d/01-init-metadata-catalog.sql"]["subPath"] == "01-init-metadata-catalog.sql"
    )
    assert {"/tmp", "/var/run/postgresql"} <= set(mounts)
    assert pod["securityContext"]["runAsUser"] == 999 and pod["securityContext"]["fsGroup"] == 999
    config = recording.one("kubernetes:core/v1:ConfigMap", "postgres-files").inputs["data"]
    assert "CREATE TABLE IF NOT EXISTS dictamesh_entity_catalog" in config["01-init-metadata-catalog.sql"]
    shared_buffers = {"staging": "256MB", "prod": "1GB"}[stack]
    assert f"shared_buffers = {shared_buffers}" in config["postgresql.conf"]
    env = {item["name"]: item for item in container["env"]}
    assert env["POSTGRES_PASSWORD_FILE"]["value"] == "/run/secrets/dictamesh/superuser-password"
    assert not recording.leaks(container["env"])


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_backups_run_daily_to_their_own_claim(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    cron = recording.one("kubernetes:batch/v1:CronJob", "postgres-backup")
    assert cron.inputs["spec"]["schedule"] == "0 2 * * *"
    assert cron.inputs["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {item["name"]: item.get("value") for item in pod["containers"][0]["env"]}
    assert env["PGUSER"] == "dictamesh_backup"
    assert env["RETENTION_DAYS"] == {"staging": "7", "prod": "14"}[stack]
    assert env["PGHOST"] == f"postgres.dictamesh-{stack}.svc.cluster.local"
    claim = recording.one("kubernetes:core/v1:PersistentVolumeClaimPatch", "postgres-backup-backups")
    assert claim.protect is (stack == "prod")
    assert {"name": "backups", "persistentVolumeClaim": {"claimName": "postgres-backup-backups"}} in pod["volumes"]


def test_backups_are_on_by_default_in_prod_only() -> None:
    assert parse("prod", {}).catalog.backup.enabled
    assert not parse("staging", {}).catalog.backup.enabled
    assert not parse("dev", {}).catalog.backup.enabled


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_password_it_passes_is_a_secret(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    catalog = recording.one("dictamesh:catalog:CatalogDatabase", "catalog")
    passwords = [r for r in recording.children_of(catalog.urn) if r.type.startswith("random:")]
    assert sorted(p.name for p in passwords) == [
        "catalog-app-password",
        "catalog-app-password-scram-salt",
        "catalog-backup-password",
        "catalog-backup-password-scram-salt",
        "catalog-monitor-password",
        "catalog-monitor-password-scram-salt",
        "catalog-superuser-password",
        # TLS between pods (clusters): the reload job's role
        *(["catalog-tls-reload-password", "catalog-tls-reload-password-scram-salt"] if stack != "dev" else []),
    ]
    for resource in recording.children_of(catalog.urn):
        text = str(resource.inputs)
        if recording.leaks(text):
            assert resource.secret_paths(), f"{resource.type} {resource.name} holds a password outside a secret"
    assert "catalogDsn" in recording.secret_outputs


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_clusters_start_without_the_sample_data(stacks: dict[str, Recording], stack: str) -> None:
    """The sample event-log rows sit at real topic offsets, under a unique key: the first real events collide."""
    files = stacks[stack].one("kubernetes:core/v1:ConfigMap", "postgres-files").inputs["data"]
    assert sorted(files) == ["01-init-metadata-catalog.sql", "pg_hba.conf", "postgresql.conf"]


def test_sample_data_is_a_setting_on_by_default_in_dev_only() -> None:
    assert parse("dev", {}).catalog.sample_data
    assert not parse("prod", {}).catalog.sample_data
    assert parse("staging", {"catalog": '{"sampleData": true}'}).catalog.sample_data


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_postgres_stops_fast_before_kubernetes_kills_it(stacks: dict[str, Recording], stack: str) -> None:
    """SIGTERM is a smart shutdown that waits for pooled clients: the kill would come first, then recovery."""
    spec = stacks[stack].one("kubernetes:apps/v1:StatefulSet", "postgres").inputs["spec"]["template"]["spec"]
    container = spec["containers"][0]
    stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert stop == ["pg_ctl", "stop", "--mode=fast", "--wait", "--timeout=90"]
    assert spec["terminationGracePeriodSeconds"] > 90
    assert container["startupProbe"]["failureThreshold"] * container["startupProbe"]["periodSeconds"] == 600
    assert {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"} in container["env"]  # pg_ctl's -D


def test_a_converge_job_runs_the_idempotent_sql_again_whenever_it_changes(stacks: dict[str, Recording]) -> None:
    job = stacks["staging"].one("kubernetes:batch/v1:Job", "postgres-converge").inputs
    files = stacks["staging"].one("kubernetes:core/v1:ConfigMap", "postgres-converge-files").inputs["data"]
    assert sorted(files) == ["00-roles.sql", "01-init-metadata-catalog.sql", "03-privileges.sql", "catalog-converge.sh"]
    assert "ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public" in files["03-privileges.sql"]
    pod = job["spec"]["template"]
    assert pod["spec"]["containers"][0]["command"] == ["/bin/sh", "/opt/dictamesh/catalog-converge.sh"]
    changed = run_stack("staging", {"dictamesh:catalog": {"appUser": "catalog_app"}})
    again = changed.one("kubernetes:batch/v1:Job", "postgres-converge").inputs["spec"]["template"]
    # a new template replaces the Job: the change runs against the running server
    assert again["metadata"]["annotations"] != pod["metadata"]["annotations"]
    dev = stacks["dev"].one(CONTAINER, "postgres-converge").inputs
    assert dev["mustRun"] is False and "CATALOG_DATABASE=dictamesh_catalog" in dev["envs"]
