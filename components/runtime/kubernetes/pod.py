"""The pod template of a workload: containers, mounts, probes, limits and the `restricted` security context."""

import hashlib
import posixpath
from collections.abc import Mapping
from typing import Any, TypeVar

import pulumi

from components.model import CA_FILE, SERVER_CERT_FILE, TLS_DIR, Probe, Replica, Volume, Workload
from components.quantity import mebibytes
from components.runtime.kubernetes.certificates import secret_name

Json = dict[str, Any]
T = TypeVar("T")

RESTRICTED_CONTAINER: Json = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def file_key(path: str) -> str:
    """The ConfigMap or Secret key of a mounted file: its base name."""
    return posixpath.basename(path)


def keyed(workload: str, entries: Mapping[str, T]) -> dict[str, T]:
    """Entries by ConfigMap or Secret key; two entries under one key would silently overwrite each other."""
    found: dict[str, T] = {}
    for name, value in entries.items():
        key = file_key(name)
        if key in found:
            raise ValueError(f"{workload}: {name} shares the key {key!r} with another file or secret; rename one")
        found[key] = value
    return found


def pod_template(workload: Workload, labels: Json, host: str, spread: str | None, zone_spread: str) -> Json:
    """`host` is how a replica names itself; `spread` is "required", "preferred" or None for one replica;
    `zone_spread` is the topology constraint's whenUnsatisfiable over zones."""
    replica = Replica(ordinal=None, host=host, published={})
    container: Json = {
        "name": workload.name,
        "image": workload.image,
        "env": _env(workload),
        "ports": [{"name": port.name, "containerPort": port.port} for port in workload.ports],
        "resources": _resources(workload),
        "securityContext": {
            **RESTRICTED_CONTAINER,
            "runAsUser": workload.run_as.uid,
            "runAsGroup": workload.run_as.gid,
        },
        "volumeMounts": _mounts(workload),
    }
    if workload.command:
        container["command"] = list(workload.command)
    if args := workload.args_for(replica):
        container["args"] = args
    if workload.probe and workload.kind == "service":
        container.update(_probes(workload.probe))
    if workload.stop_command:
        container["lifecycle"] = {"preStop": {"exec": {"command": list(workload.stop_command)}}}
    spec: Json = {
        "serviceAccountName": workload.name,
        "automountServiceAccountToken": bool(workload.watches),  # its token, for the Role it watches with
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": workload.run_as.uid,
            "runAsGroup": workload.run_as.gid,
            "fsGroup": workload.run_as.gid,
            "fsGroupChangePolicy": "OnRootMismatch",
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": _volumes(workload),
        "terminationGracePeriodSeconds": workload.stop_grace_seconds,
    }
    if workload.kind != "service":
        spec["restartPolicy"] = "Never"
    if spread:
        selector = {"matchLabels": {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}}
        spec["affinity"] = _anti_affinity(selector, spread)
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": zone_spread,
                "labelSelector": selector,
            }
        ]
    annotations: Json = {"dictamesh.dev/files-sha256": _files_hash(workload)}
    secrets = {**workload.secrets, **workload.secret_env}
    if restarting := {key: value for key, value in secrets.items() if key not in workload.no_restart}:
        annotations["dictamesh.dev/secrets-sha256"] = _secrets_hash(restarting)
    return {"metadata": {"labels": labels, "annotations": annotations}, "spec": spec}


def _env(workload: Workload) -> list[Json]:
    env: list[Json] = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    if workload.watches:
        env.append({"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}})
    env += [{"name": key, "value": value} for key, value in workload.env.items()]
    env += [
        {"name": key, "valueFrom": {"secretKeyRef": {"name": f"{workload.name}-secrets", "key": key}}}
        for key in workload.secret_env
    ]
    return env


def _resources(workload: Workload) -> Json:
    quantities = {
        "cpu": workload.resources.cpu,
        "memory": workload.resources.memory,
        "ephemeral-storage": workload.resources.ephemeral_storage,
    }
    return {"requests": quantities, "limits": dict(quantities)}


def _mounts(workload: Workload) -> list[Json]:
    mounts: list[Json] = [{"name": f"scratch-{i}", "mountPath": path} for i, path in enumerate(workload.scratch)]
    mounts += [
        {"name": key, "mountPath": volume.path, **({"readOnly": True} if volume.borrowed_from else {})}
        for key, volume in workload.volumes.items()
    ]
    if workload.shm_size:
        mounts.append({"name": "shm", "mountPath": "/dev/shm"})
    mounts += [
        {"name": "files", "mountPath": path, "subPath": file_key(path), "readOnly": True}
        for path in {**workload.files, **workload.init_files}
    ]
    mounts += [
        {"name": "secrets", "mountPath": path, "subPath": file_key(path), "readOnly": True} for path in workload.secrets
    ]
    # whole directories, never subPath: the kubelet swaps renewed certificates in only there
    if workload.tls_server:
        mounts.append({"name": "tls", "mountPath": TLS_DIR, "readOnly": True})
    if workload.tls_trust:
        mounts.append({"name": "tls-ca", "mountPath": posixpath.dirname(CA_FILE), "readOnly": True})
    return mounts


def _volumes(workload: Workload) -> list[Json]:
    volumes: list[Json] = [
        {"name": f"scratch-{i}", "emptyDir": {"sizeLimit": workload.scratch_size(path)}}
        for i, path in enumerate(workload.scratch)
    ]
    if workload.shm_size:
        volumes.append(
            {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{mebibytes(workload.shm_size)}Mi"}}
        )
    if workload.files or workload.init_files:
        volumes.append({"name": "files", "configMap": {"name": f"{workload.name}-files", "defaultMode": 0o444}})
    if workload.secrets:
        # 0440: readable by the owner and by fsGroup (the workload's group), by no one else
        volumes.append({"name": "secrets", "secret": {"secretName": f"{workload.name}-secrets", "defaultMode": 0o440}})
    if workload.tls_server:
        # 0440 as every secret: PostgreSQL takes a root-owned key only at 0640 or less
        volumes.append({"name": "tls", "secret": {"secretName": secret_name(workload.name), "defaultMode": 0o440}})
    if workload.tls_trust:
        # the CA (and the certificate, where compared), never the server's key beside them in the same Secret
        items = [{"key": "ca.crt", "path": posixpath.basename(CA_FILE)}]
        if workload.tls_compare:
            items.append({"key": "tls.crt", "path": posixpath.basename(SERVER_CERT_FILE)})
        volumes.append(
            {
                "name": "tls-ca",
                "secret": {"secretName": secret_name(workload.tls_trust), "defaultMode": 0o444, "items": items},
            }
        )
    if workload.kind != "service":
        volumes += [
            {"name": key, "persistentVolumeClaim": _job_claim(workload.name, key, volume)}
            for key, volume in workload.volumes.items()
        ]
    return volumes


def _job_claim(job: str, key: str, volume: Volume) -> Json:
    """A job's own claim, `<job>-<key>`, or the one it borrows from another job, read-only."""
    if volume.borrowed_from:
        return {"claimName": f"{volume.borrowed_from}-{key}", "readOnly": True}
    return {"claimName": f"{job}-{key}"}


def _probes(probe: Probe) -> Json:
    if probe.http_path and probe.http_port:
        check: Json = {"httpGet": {"path": probe.http_path, "port": probe.http_port}}
    else:
        check = {"exec": {"command": list(probe.command)}}
    timing = {"periodSeconds": probe.period_seconds, "timeoutSeconds": probe.timeout_seconds}
    ready = {"exec": {"command": list(probe.ready_command)}} if probe.ready_command else check
    alive = {"tcpSocket": {"port": probe.liveness_tcp_port}} if probe.liveness_tcp_port else check
    if probe.liveness_http_path and probe.http_port:
        alive = {"httpGet": {"path": probe.liveness_http_path, "port": probe.http_port}}
    return {
        "startupProbe": {**check, **timing, "failureThreshold": max(1, probe.startup_seconds // probe.period_seconds)},
        "readinessProbe": {**ready, **timing, "failureThreshold": 3},
        "livenessProbe": {**alive, **timing, "failureThreshold": probe.failure_threshold},
    }


def _anti_affinity(selector: Json, spread: str) -> Json:
    term = {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}
    if spread == "required":
        return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]
        }
    }


def _files_hash(workload: Workload) -> str:
    """Changes when a config file changes, so the pods roll (subPath mounts never see updates).

    Init files are left out: they are read on an empty data directory only, so a change needs no restart.
    """
    return digest(workload.files)


def _secrets_hash(secrets: Mapping[str, pulumi.Output[str]]) -> pulumi.Output[str]:
    """Changes when a mounted secret changes, so the pods roll; a digest of random values reveals none of them."""
    names = sorted(secrets)
    values = pulumi.Output.all(*(secrets[name] for name in names))
    hashed = values.apply(lambda contents: digest(dict(zip(names, contents, strict=True))))
    return pulumi.Output.unsecret(hashed)


def digest(entries: Mapping[str, str]) -> str:
    """SHA-256 over names and contents, in name order."""
    sha = hashlib.sha256()
    for name, content in sorted(entries.items()):
        sha.update(f"{name}\0{content}\0".encode())
    return sha.hexdigest()
