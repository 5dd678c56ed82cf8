"""A local Kubernetes control plane on 127.0.0.1, for trying the cluster stacks without a cloud and for
the tests: etcd, kube-apiserver, kube-controller-manager and kube-scheduler, with KWOK playing the
kubelet of three fake nodes in three zones, and a volume pool for each storage class the stack files
name. `make test-deps` builds the binaries.

Objects are admitted, defaulted and validated by the real API server; the controller manager creates
pods (Pod Security and the ResourceQuota admit or refuse them) and binds claims; the scheduler places
the pods and KWOK reports them running and ready (a Job's pods complete), so Services get endpoints.
No container runs.

Usage: make local-cluster   (prints the KUBECONFIG to export; Ctrl-C stops it and deletes its data)
"""

import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from scripts.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES_SERVER_VERSION = "v1.37.2"
KWOK_VERSION = "v0.8.0"
# the cert-manager release whose CRDs the cluster serves: the stacks' Issuers and Certificates (scripts/test-deps.sh)
CERT_MANAGER_VERSION = "v1.21.1"
CERT_MANAGER_CRDS = ("certificates", "issuers")
# the Gateway API release whose CRDs the cluster serves: the Gateways routes attach to, the HTTPRoutes
GATEWAY_API_VERSION = "v1.4.0"
GATEWAY_API_CRDS = ("gateways", "httproutes")
DEFAULT_STORAGE_CLASS = "standard"  # staging's, and the class of claims that name none (the YAML example's)
# a Gateway as a platform team keeps it, whose listener names say nothing of their protocols: one HTTPS, one plain
# (no controller programs it here). make e2e puts it in this cluster; the mock engine's cluster holds it too.
EDGE_GATEWAY: dict[str, Any] = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "edge", "namespace": "gateways"},
    "spec": {
        "gatewayClassName": "envoy",
        "listeners": [
            {
                "name": "public",
                "protocol": "HTTPS",
                "port": 443,
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "edge-tls"}]},
                "allowedRoutes": {"namespaces": {"from": "All"}},
            },
            {"name": "web", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}},
        ],
    },
}
TOOLS = Path(os.environ.get("DICTAMESH_TOOLS", Path.home() / ".cache" / "dictamesh" / "tools"))
BINARIES = TOOLS / f"kubernetes-{KUBERNETES_SERVER_VERSION}"
KWOK = TOOLS / f"kwok-{KWOK_VERSION}" / "kwok"
FAKE_NODE = "kwok.x-k8s.io/node"  # the annotation of the nodes KWOK manages
# KWOK's own stages (from its module): nodes become ready, pods ready, a Job's pods complete
KWOK_STAGES = ("node/fast/node-initialize", "node/heartbeat/node-heartbeat", "pod/fast/pod-ready",
               "pod/fast/pod-complete", "pod/fast/pod-delete")  # fmt: skip

# apiVersion, kind -> the collection's path ({ns}: the namespace)
COLLECTIONS = {
    ("v1", "Namespace"): "/api/v1/namespaces",
    ("v1", "Node"): "/api/v1/nodes",
    ("v1", "PersistentVolume"): "/api/v1/persistentvolumes",
    ("storage.k8s.io/v1", "StorageClass"): "/apis/storage.k8s.io/v1/storageclasses",
    **{
        ("v1", kind): f"/api/v1/namespaces/{{ns}}/{plural}"
        for kind, plural in {
            "Pod": "pods",
            "ServiceAccount": "serviceaccounts",
            "ConfigMap": "configmaps",
            "Secret": "secrets",
            "Service": "services",
            "PersistentVolumeClaim": "persistentvolumeclaims",
            "ResourceQuota": "resourcequotas",
            "LimitRange": "limitranges",
        }.items()
    },
    ("apps/v1", "Deployment"): "/apis/apps/v1/namespaces/{ns}/deployments",
    ("apps/v1", "StatefulSet"): "/apis/apps/v1/namespaces/{ns}/statefulsets",
    ("rbac.authorization.k8s.io/v1", "Role"): "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
    ("batch/v1", "Job"): "/apis/batch/v1/namespaces/{ns}/jobs",
    ("batch/v1", "CronJob"): "/apis/batch/v1/namespaces/{ns}/cronjobs",
    ("networking.k8s.io/v1", "NetworkPolicy"): "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
    ("networking.k8s.io/v1", "Ingress"): "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
    ("policy/v1", "PodDisruptionBudget"): "/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/httproutes",
    ("gateway.networking.k8s.io/v1", "Gateway"): "/apis/gateway.networking.k8s.io/v1/namespaces/{ns}/gateways",
    ("cert-manager.io/v1", "Certificate"): "/apis/cert-manager.io/v1/namespaces/{ns}/certificates",
    ("cert-manager.io/v1", "Issuer"): "/apis/cert-manager.io/v1/namespaces/{ns}/issuers",
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
}


class RefusedError(Exception):
    """The API server answered with an error status."""


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _certificates(directory: Path) -> None:
    """A CA, the server's certificate for 127.0.0.1, an admin client in system:masters, a service-account key."""
    d = directory
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=dictamesh-local-ca",
             "-keyout", str(d / "ca.key"), "-out", str(d / "ca.crt"))  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n")
    for name, subject, extension in (
        ("server", "/CN=kube-apiserver", ["-extfile", str(d / "san.ext")]),
        ("admin", "/CN=admin/O=system:masters", []),
    ):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                 "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"))  # fmt: skip
        _openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.crt"), "-CAkey", str(d / "ca.key"),
                 "-CAcreateserial", "-days", "1", "-out", str(d / f"{name}.crt"), *extension)  # fmt: skip
    _openssl("genrsa", "-out", str(d / "sa.key"), "2048")
    _openssl("rsa", "-in", str(d / "sa.key"), "-pubout", "-out", str(d / "sa.pub"))


class Cluster:
    """The processes, started in `work` (certificates, etcd's data, each process's log)."""

    def __init__(self, work: Path) -> None:
        commands = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
        missing = [str(path) for path in (*(BINARIES / c for c in commands), KWOK) if not path.is_file()]
        if missing:
            raise SystemExit(f"not built: {', '.join(missing)} (make test-deps builds them)")
        work.mkdir(parents=True, exist_ok=True)
        _certificates(work)
        client, peer, self.port = free_port(), free_port(), free_port()
        self.etcd = subprocess.Popen(
            [
                str(BINARIES / "etcd"),
                f"--data-dir={work / 'etcd'}",
                f"--listen-client-urls=http://127.0.0.1:{client}",
                f"--advertise-client-urls=http://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=default=http://127.0.0.1:{peer}",
                "--log-level=error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.log = work / "kube-apiserver.log"
        self._log_file = self.log.open("w")  # a file: a pipe nobody reads would fill and stall the server
        self.process = subprocess.Popen(
            [
                str(BINARIES / "kube-apiserver"),
                f"--etcd-servers=http://127.0.0.1:{client}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={work / 'generated'}",
                "--service-cluster-ip-range=10.96.0.0/24",
                f"--client-ca-file={work / 'ca.crt'}",
                f"--tls-cert-file={work / 'server.crt'}",
                f"--tls-private-key-file={work / 'server.key'}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={work / 'sa.pub'}",
                f"--service-account-signing-key-file={work / 'sa.key'}",
                "--authorization-mode=RBAC",
                "--endpoint-reconciler-type=none",
                "--profiling=false",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )
        self.contexts = sorted(stack_settings("context")) or ["local"]
        self.kubeconfig = kubeconfig = work / "kubeconfig"
        kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "local",
                            "cluster": {
                                "server": f"https://127.0.0.1:{self.port}",
                                "certificate-authority": str(work / "ca.crt"),
                            },
                        }
                    ],
                    "users": [
                        {
                            "name": "admin",
                            "user": {
                                "client-certificate": str(work / "admin.crt"),
                                "client-key": str(work / "admin.key"),
                            },
                        }
                    ],
                    # one context per stack file's kubernetes.context, all on this cluster
                    "contexts": [
                        {"name": name, "context": {"cluster": "local", "user": "admin"}} for name in self.contexts
                    ],
                    "current-context": self.contexts[0],
                }
            )
        )
        stages = module_dir("sigs.k8s.io/kwok", KWOK_VERSION) / "kustomize" / "stage"
        self.agents: list[subprocess.Popen[bytes]] = [
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for command in (
                [
                    str(BINARIES / "kube-controller-manager"),
                    f"--kubeconfig={kubeconfig}",
                    "--secure-port=0",
                    f"--service-account-private-key-file={work / 'sa.key'}",
                    f"--root-ca-file={work / 'ca.crt'}",
                    "--leader-elect=false",
                    # a quota's usage is recounted in full at this period (5 minutes by default): a test cluster
                    # churning through dozens of pods in a minute would read a stale figure for that long
                    "--resource-quota-sync-period=10s",
                ],
                [
                    str(BINARIES / "kube-scheduler"),
                    f"--kubeconfig={kubeconfig}",
                    "--secure-port=0",
                    "--leader-elect=false",
                ],
                [
                    str(KWOK),
                    f"--kubeconfig={kubeconfig}",
                    f"--manage-nodes-with-annotation-selector={FAKE_NODE}=fake",
                    f"--server-address=127.0.0.1:{free_port()}",
                    *(f"--config={stages / stage}.yaml" for stage in KWOK_STAGES),
                ],
            )
        ]
        self.tls = ssl.create_default_context(cafile=str(work / "ca.crt"))
        self.tls.load_cert_chain(str(work / "admin.crt"), str(work / "admin.key"))
        deadline = time.monotonic() + 90
        while True:
            try:
                if self.call("GET", "/readyz")[1] == "ok":
                    return
            except (OSError, RefusedError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"kube-apiserver did not become ready:\n{self.log_tail()}") from None
            time.sleep(0.5)

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def call(
        self, method: str, path: str, body: str | None = None, content_type: str = "application/json"
    ) -> tuple[int, Any, list[str]]:
        request = urllib.request.Request(
            f"https://127.0.0.1:{self.port}{path}",
            data=body.encode() if body is not None else None,
            method=method,
            headers={"Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, context=self.tls, timeout=30) as response:  # noqa: S310 (loopback)
                text = response.read().decode()
                warnings = response.headers.get_all("Warning") or []
                return response.status, json.loads(text) if text.startswith("{") else text, warnings
        except urllib.error.HTTPError as error:
            raise RefusedError(f"{method} {path}: {error.code} {error.read().decode()}") from None

    def apply(self, manifest: dict[str, Any], dry_run: bool = True) -> list[str]:
        """Server-side apply with strict field validation; returns the server's warnings."""
        collection = COLLECTIONS[(manifest["apiVersion"], manifest["kind"])]
        path = collection.format(ns=manifest["metadata"].get("namespace", ""))
        query = "fieldManager=dictamesh-tests&fieldValidation=Strict&force=true" + ("&dryRun=All" if dry_run else "")
        name = manifest["metadata"]["name"]
        _, _, warnings = self.call(
            "PATCH", f"{path}/{name}?{query}", json.dumps(manifest), content_type="application/apply-patch+yaml"
        )
        return warnings

    def items(self, path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call("GET", path)[1]["items"]
        return found

    def add_nodes(self, zones: list[str]) -> None:
        """A fake node per zone, large enough for both cluster stacks at once."""
        size = {"cpu": "32", "memory": "128Gi", "ephemeral-storage": "1Ti", "pods": "110"}
        for zone in zones:
            name = f"fake-{zone}"
            labels = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone}
            self.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {"name": name, "labels": labels, "annotations": {FAKE_NODE: "fake"}},
                    "status": {"capacity": size, "allocatable": size},
                },
                dry_run=False,
            )

    def add_storage_class(self, name: str, volumes: int, default: bool = False) -> None:
        """A class without a provisioner and a pool of volumes the controller manager binds claims to; the
        `default` class is the one of claims that name none."""
        annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
        self.apply(
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": name, "annotations": annotations},
                "provisioner": "kubernetes.io/no-provisioner",
                "volumeBindingMode": "Immediate",
                "allowVolumeExpansion": True,
            },
            dry_run=False,
        )
        for number in range(volumes):
            self.apply(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": f"{name}-{number}"},
                    "spec": {
                        "capacity": {"storage": "2Ti"},
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": name,
                        "persistentVolumeReclaimPolicy": "Retain",
                        "hostPath": {"path": f"/nonexistent/{name}-{number}"},
                    },
                },
                dry_run=False,
            )

    def add_crds(self, crds: list[dict[str, Any]]) -> None:
        """Custom resource definitions, served once this returns."""
        for crd in crds:
            self.apply(crd, dry_run=False)
        for crd in crds:
            group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
            version = next(v["name"] for v in crd["spec"]["versions"] if v.get("served"))
            for _ in range(120):
                try:
                    self.call("GET", f"/apis/{group}/{version}/{plural}")
                    break
                except RefusedError:
                    time.sleep(0.25)
            else:
                raise RuntimeError(f"the API server does not serve {plural}.{group} a minute after its CRD")

    def stop(self) -> None:
        processes: list[subprocess.Popen[Any]] = [*self.agents, self.process, self.etcd]
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=20)
        self._log_file.close()


def stack_settings(key: str) -> set[str]:
    """A `dictamesh:kubernetes` setting's values across the stack files (storage classes: both keys)."""
    found: set[str] = set()
    for path in ROOT.glob("Pulumi.*.yaml"):
        kubernetes = (yaml.safe_load(path.read_text()).get("config") or {}).get("dictamesh:kubernetes") or {}
        if kubernetes.get(key):
            found.add(kubernetes[key])
        if key == "storageClass":
            found.update(kubernetes.get("storageClasses", {}).values())
    return found


def module_dir(module: str, version: str) -> Path:
    """Where `go mod download` (make test-deps) left a Go module's files."""
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    return Path(cache) / f"{module}@{version}"


def cert_manager_crds() -> list[dict[str, Any]]:
    """cert-manager's CRDs from its release's Go module (the files its repository keeps for testing)."""
    crds = module_dir("github.com/cert-manager/cert-manager", CERT_MANAGER_VERSION) / "deploy" / "crds"
    return [yaml.safe_load((crds / f"cert-manager.io_{name}.yaml").read_text()) for name in CERT_MANAGER_CRDS]


def gateway_api_crd(name: str) -> dict[str, Any]:
    """One of the Gateway API's standard CRDs, from its release's Go module."""
    crds = module_dir("sigs.k8s.io/gateway-api", GATEWAY_API_VERSION) / "config" / "crd" / "standard"
    crd: dict[str, Any] = yaml.safe_load((crds / f"gateway.networking.k8s.io_{name}.yaml").read_text())
    return crd


def start(work: Path) -> Cluster:
    """The cluster with its nodes, the stack files' storage classes, cert-manager's and the Gateway API's CRDs
    (no controllers: Certificates are accepted and never issued, Gateways never programmed)."""
    for attempt in range(1, 4):
        try:
            cluster = Cluster(work / f"attempt-{attempt}")
            break
        except RuntimeError as error:
            # another process bound a port between its pick and the server's bind: start afresh on others
            if "address already in use" not in str(error) or attempt == 3:
                raise
    try:
        cluster.add_nodes(["zone-a", "zone-b", "zone-c"])  # prod spreads its brokers over three
        # retained claims keep their volumes bound: staging's and prod's, and the package's consumers'
        for storage_class in sorted(stack_settings("storageClass")):
            cluster.add_storage_class(storage_class, volumes=48, default=storage_class == DEFAULT_STORAGE_CLASS)
        cluster.add_crds(cert_manager_crds() + [gateway_api_crd(name) for name in GATEWAY_API_CRDS])
    except BaseException:
        cluster.stop()
        raise
    return cluster


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dictamesh-cluster-") as work:
        cluster = start(Path(work))
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            print(f"export KUBECONFIG={cluster.kubeconfig}", flush=True)
            print(f"contexts: {', '.join(cluster.contexts)}; Ctrl-C stops the cluster and deletes it", file=sys.stderr)
            while cluster.process.poll() is None:
                time.sleep(1)
            sys.exit(f"kube-apiserver exited:\n{cluster.log_tail()}")
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
