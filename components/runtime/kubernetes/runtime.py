"""Workloads on Kubernetes, in a namespace that exists (KubernetesTarget): one set of objects per workload.

Stateful services become a StatefulSet behind a headless Service, the rest a Deployment behind a
ClusterIP Service; jobs become a Job or a CronJob. Every workload gets its own ServiceAccount (no
token), its files in a ConfigMap, its secrets in a Secret mounted as files, a NetworkPolicy for its
clients, and, when replicated, a PodDisruptionBudget and anti-affinity.

Day 2: no change of the stack deletes a claim. StatefulSets retain theirs when scaled down or deleted;
the stack's own claims and claim patches are retain_on_delete (a claim a change drops stays in the
namespace); a claim keeps the class it was made in (pulumi-kubernetes 4.32.0 would replace a claim whose
storageClassName changed, deleting it first).
"""

import dataclasses
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.login import proxy as login
from components.model import CA_FILE, Exposed, Port, Route, WebUi, Workload
from components.runtime.kubernetes import certificates, exposure, gateway, network
from components.runtime.kubernetes.namespace import custom_object, platform_labels
from components.runtime.kubernetes.pod import keyed, pod_template
from components.runtime.kubernetes.target import KubernetesTarget
from components.secrets import as_secret, basic_auth_password, generated_password

Json = dict[str, Any]
TRUST_SOURCE = "postgres"  # under a cluster issuer, the TLS server whose Secret's ca.crt the outputs name
MANUAL_SCHEDULE = "0 0 1 1 *"  # a suspended CronJob never runs on it; the API server requires one


class KubernetesRuntime:
    def __init__(
        self,
        target: KubernetesTarget,
        namespace: Sequence[pulumi.Resource] = (),
        issuer: Sequence[pulumi.Resource] = (),
    ) -> None:
        """`namespace`: what creates the namespace, when this program does; `issuer`: the stack's own CA Issuer,
        which the servers' Certificates wait for (namespace.prepare)."""
        settings = target.settings
        if settings.tls.enabled and not settings.tls.cluster_issuer and not issuer:
            raise ValueError(
                "kubernetes.tls.issuer = 'selfSigned': a component deployed alone has no CA of its own; name the "
                "cluster's cert-manager ClusterIssuer, or set kubernetes.tls.enabled to false"
            )
        self._namespace = target.namespace
        self._protect = target.protect
        self._spread = "required" if target.strict_spread else "preferred"
        # with three zones or more, no zone may hold a quorum of a prod workload's replicas
        strict = target.strict_spread and len(settings.zones) >= 3
        self._zone_spread = "DoNotSchedule" if strict else "ScheduleAnyway"
        self._kubernetes = settings
        self._provider = target.provider
        self._platform_labels = platform_labels(target.instance)
        self._opts = pulumi.ResourceOptions(provider=self._provider, depends_on=list(namespace))
        self._tls = settings.tls
        self._issuer = list(issuer)

    @property
    def encrypts(self) -> bool:
        return self._tls.enabled

    @property
    def has_api(self) -> bool:
        return True

    def _network_policies(self, workload: Workload, labels: Json, selector: Json, opts: pulumi.ResourceOptions) -> None:
        api_server = self._kubernetes.api_server_ip_blocks if workload.watches else []
        for policy in (
            network.allow_clients(workload, self._namespace, labels, selector, self._kubernetes.client_namespaces),
            network.allow_egress(workload, self._namespace, labels, selector, api_server),
        ):
            if policy:
                k8s.networking.v1.NetworkPolicy(policy["metadata"]["name"], **policy, opts=opts)

    def _watch_access(self, workload: Workload, meta: Json, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """A Role that may list and watch `workload.watches` in the namespace, bound to the workload's account."""
        rule = {"apiGroups": ["batch"], "resources": sorted(workload.watches), "verbs": ["list", "watch"]}
        role = k8s.rbac.v1.Role(meta["name"], metadata=meta, rules=[rule], opts=opts)
        binding = k8s.rbac.v1.RoleBinding(
            meta["name"],
            metadata=meta,
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": meta["name"]},
            subjects=[{"kind": "ServiceAccount", "name": workload.name, "namespace": self._namespace}],
            opts=opts,
        )
        return [role, binding]

    def _custom(self, name: str, manifest: Json, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        return custom_object(name, manifest, pulumi.ResourceOptions.merge(self._opts, opts))

    def trust(self) -> dict[str, str] | None:
        """cert-manager writes the CA after the program runs: its place, and how to read it, not its text."""
        if not self.encrypts:
            return None
        # the stack's own CA, or any certificate the cluster issuer signed: each Secret carries its CA as ca.crt
        secret = certificates.secret_name(TRUST_SOURCE) if self._tls.cluster_issuer else certificates.CA
        read = f"kubectl -n {self._namespace} get secret {secret} -o jsonpath='{{.data.ca\\.crt}}' | base64 -d"
        return {"namespace": self._namespace, "secret": secret, "key": "ca.crt", "mountedAt": CA_FILE, "read": read}

    def address(self, workload: str, ordinal: int | None = None) -> str:
        service = f"{workload}.{self._namespace}.svc.cluster.local"
        return service if ordinal is None else f"{workload}-{ordinal}.{service}"

    def endpoint(self, workload: str, port: int, ordinal: int | None = None) -> str:
        return f"{self.address(workload, ordinal)}:{port}"

    def published(self, port: Port, ordinal: int = 0) -> str | None:
        return None

    def public_url(self, ui: str) -> str | None:
        settings = self._kubernetes.exposure
        exposed = settings.mode != "none" and ui in settings.uis
        return exposure.url(ui, settings) if exposed else None

    def expose(self, uis: Sequence[WebUi], owner: pulumi.Resource | None = None) -> Exposed:
        settings = self._kubernetes.exposure
        urls = {ui.name: url for ui in uis if (url := self.public_url(ui.name))}
        chosen = [ui for ui in uis if ui.name in urls]
        if not chosen:
            return Exposed()
        parent = pulumi.ComponentResource(
            "dictamesh:platform:Exposure", "exposure", opts=pulumi.ResourceOptions(parent=owner)
        )
        opts = pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(parent=parent))
        labels = {"app.kubernetes.io/component": "exposure", **self._platform_labels}
        instance = self._platform_labels["app.kubernetes.io/instance"]
        user, password, callbacks = None, None, []
        protocol = None
        if settings.mode == "gateway" and settings.gateway:
            # not after the namespace: the engine skips a read that waits on a resource this preview creates
            read_opts = pulumi.ResourceOptions(parent=parent, provider=self._provider)
            protocol = gateway.served_protocol(settings.gateway, read_opts)
        if any(not ui.login for ui in chosen):
            # the generated user of the login: API clients and emergencies with a provider, everyone without one
            user = "admin"
            password, bcrypt = basic_auth_password("ui-basic-auth-password", parent)
            htpasswd = pulumi.Output.concat(user, ":", bcrypt, "\n")
            cookie_secret = generated_password("ui-login-cookie-secret", parent)
        for ui in chosen:
            served, route_opts = ui, opts
            if not ui.login:
                host = settings.host(ui.name)
                gate = login.proxy(
                    ui,
                    host=host,
                    cookie_domain=settings.cookie_domain(ui.name),
                    cookie_name=f"_login_{self._namespace}",
                    login=settings.login,
                    trusted_proxies=settings.controller_ip_blocks,
                    address=self.address,
                    cookie_secret=cookie_secret,
                    htpasswd=htpasswd,
                )
                # the route moves to the proxy once it is ready: no window of errors when a stack gains it
                ready = self.deploy(gate, parent)
                route_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=ready))
                for policy in exposure.admit_login(ui, gate.name, self._namespace, labels, instance):
                    k8s.networking.v1.NetworkPolicy(policy["metadata"]["name"], **policy, opts=opts)
                callbacks.append(f"https://{host}{login.PREFIX}/callback")
                served = WebUi(ui.name, [Route("/", gate.name, login.PORT)], login=True)
            if settings.mode == "ingress":
                route = exposure.ingress(served, settings, self._namespace, labels)
                k8s.networking.v1.Ingress(route["metadata"]["name"], **route, opts=route_opts)
            elif settings.gateway and protocol is not None:
                route = exposure.http_route(
                    served, settings, settings.gateway, self._namespace, labels, protocol=protocol
                )
                self._custom(route["metadata"]["name"], route, route_opts)
            for policy in exposure.admit_controller(served, settings, self._namespace, labels, instance):
                k8s.networking.v1.NetworkPolicy(policy["metadata"]["name"], **policy, opts=opts)
        if settings.http01_solver_admitted:
            solver = exposure.admit_http01_solver(settings, self._namespace, labels)
            k8s.networking.v1.NetworkPolicy(solver["metadata"]["name"], **solver, opts=opts)
        return Exposed(urls=urls, callbacks=callbacks, basic_auth_user=user, basic_auth_password=password)

    def labels(self, workload: Workload) -> Json:
        """The recommended app.kubernetes.io labels of a workload's objects."""
        return {
            "app.kubernetes.io/name": workload.name,
            "app.kubernetes.io/component": workload.component,
            **self._platform_labels,
        }

    def deploy(
        self, workload: Workload, parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] = ()
    ) -> list[pulumi.Resource]:
        # the cluster publishes nothing to a developer's machine: no external listeners
        workload = dataclasses.replace(workload, ports=[port for port in workload.ports if not port.external])
        if workload.retire:  # before the StatefulSet changes: a lower replica count deletes pods at once
            depends_on = [*depends_on, *self.deploy(workload.retire, parent, depends_on)]
        labels = self.labels(workload)
        selector = {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}
        opts = pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(parent=parent))
        name = workload.name

        def meta(object_name: str = name) -> Json:
            return {"name": object_name, "namespace": self._namespace, "labels": labels}

        # the pods' admission needs their ServiceAccount: created first, no FailedCreate while it is missing
        inputs: list[pulumi.Resource] = [
            k8s.core.v1.ServiceAccount(name, metadata=meta(), automount_service_account_token=False, opts=opts)
        ]
        if workload.files or workload.init_files:
            data = keyed(name, {**workload.files, **workload.init_files})
            inputs.append(k8s.core.v1.ConfigMap(f"{name}-files", metadata=meta(f"{name}-files"), data=data, opts=opts))
        if (workload.tls_server or workload.tls_trust) and not self.encrypts:
            raise ValueError(f"{name}: asks for TLS, and kubernetes.tls.enabled is false")
        if workload.tls_server:
            certificate = certificates.server_certificate(workload, self._namespace, labels, self._tls)
            certificate_opts = pulumi.ResourceOptions(parent=parent, depends_on=self._issuer)
            inputs.append(self._custom(f"certificate-{certificate['metadata']['name']}", certificate, certificate_opts))
        secret_data = keyed(name, {**workload.secrets, **workload.secret_env})
        if secret_data:
            inputs.append(
                k8s.core.v1.Secret(
                    f"{name}-secrets",
                    metadata=meta(f"{name}-secrets"),
                    type="Opaque",
                    string_data={key: as_secret(value) for key, value in secret_data.items()},
                    opts=opts,
                )
            )
        if workload.watches:
            inputs += self._watch_access(workload, meta(f"{name}-watch"), opts)
        self._network_policies(workload, labels, selector, opts)

        replicated = workload.kind == "service" and workload.replicas > 1
        host = f"$(POD_NAME).{self.address(name)}"
        template = pod_template(workload, labels, host, self._spread if replicated else None, self._zone_spread)
        ready_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[*inputs, *depends_on]))
        if workload.kind != "service":
            if workload.deadline_seconds:  # Pulumi waits for a job as long as the job may run
                wait = f"{workload.deadline_seconds + 120}s"
                timeouts = pulumi.CustomTimeouts(create=wait, update=wait)
                ready_opts = pulumi.ResourceOptions.merge(ready_opts, pulumi.ResourceOptions(custom_timeouts=timeouts))
            return [self._job(workload, meta(), template, ready_opts)]
        if workload.ports:
            self._service(workload, meta(), selector, opts)
        if replicated:
            k8s.policy.v1.PodDisruptionBudget(
                name,
                metadata=meta(),
                spec={"maxUnavailable": 1, "selector": {"matchLabels": selector}},
                opts=opts,
            )
        spec: Json = {"replicas": workload.replicas, "selector": {"matchLabels": selector}, "template": template}
        if not workload.stateful:
            return [k8s.apps.v1.Deployment(name, metadata=meta(), spec=spec, opts=ready_opts)]
        spec |= {
            "serviceName": name,
            "podManagementPolicy": "Parallel",
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "volumeClaimTemplates": [
                {"metadata": {"name": key, "labels": labels}, "spec": self._claim(volume.size, name)}
                for key, volume in workload.volumes.items()
            ],
        }
        stateful_opts = pulumi.ResourceOptions.merge(
            ready_opts,
            # claim templates cannot change in place: a new size reaches the claims below, and the class stays
            # the claims' own; a new template (a new volume) replaces the StatefulSet, and its claims stay
            pulumi.ResourceOptions(protect=self._protect, ignore_changes=["spec.volumeClaimTemplates[*].spec"]),
        )
        statefulset = k8s.apps.v1.StatefulSet(name, metadata=meta(), spec=spec, opts=stateful_opts)
        self._resize_claims(
            workload, labels, pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[statefulset]))
        )
        return [statefulset]

    def _resize_claims(self, workload: Workload, labels: Json, opts: pulumi.ResourceOptions) -> None:
        """Holds every replica's claim at the configured size, growing it in place (the class must allow expansion).

        The StatefulSet keeps its first claim templates, so a new size never replaces it; the claims
        its controller made are patched instead. A smaller size is refused by the API server.
        """
        for key, volume in workload.volumes.items():
            for ordinal in range(workload.replicas):
                claim = f"{key}-{workload.name}-{ordinal}"
                k8s.core.v1.PersistentVolumeClaimPatch(
                    claim,
                    metadata={
                        "name": claim,
                        "namespace": self._namespace,
                        "labels": labels,
                        # the controller created the claim: take the size field over from it
                        "annotations": {"pulumi.com/patchForce": "true"},
                    },
                    spec={"resources": {"requests": {"storage": volume.size}}},
                    # a leaving broker's patch is forgotten, not relinquished: that would take the claim's size away
                    opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(retain_on_delete=True)),
                )

    def _service(self, workload: Workload, metadata: Json, selector: Json, opts: pulumi.ResourceOptions) -> None:
        spec: Json = {
            "selector": selector,
            "ports": [{"name": port.name, "port": port.port, "targetPort": port.name} for port in workload.ports],
        }
        if workload.stateful:
            spec["clusterIP"] = "None"  # headless: every replica gets a stable DNS name
        if workload.peer_discovery:
            spec["publishNotReadyAddresses"] = True  # peers must find each other before they are ready
        k8s.core.v1.Service(workload.name, metadata=metadata, spec=spec, opts=opts)

    def _job(self, workload: Workload, metadata: Json, template: Json, opts: pulumi.ResourceOptions) -> pulumi.Resource:
        for key, volume in workload.volumes.items():
            if volume.borrowed_from:
                continue  # the other job's claim
            # A patch, which server-side apply creates when missing and adopts when a change left it behind
            # (backups off, then on again): pulumi-kubernetes 4.32.0 creates a plain claim client-side, and the
            # retained one would fail that with AlreadyExists. The alias keeps a claim made as a plain one.
            claim = k8s.core.v1.PersistentVolumeClaimPatch(
                f"{workload.name}-{key}",
                metadata={
                    **metadata,
                    "name": f"{workload.name}-{key}",
                    "annotations": {"pulumi.com/patchForce": "true"},  # the stack's claim: its fields are ours
                },
                spec=self._claim(volume.size, workload.name),
                opts=pulumi.ResourceOptions.merge(
                    opts,
                    pulumi.ResourceOptions(
                        protect=self._protect,
                        retain_on_delete=True,
                        ignore_changes=["spec.storageClassName"],
                        aliases=[pulumi.Alias(type_="kubernetes:core/v1:PersistentVolumeClaim")],
                    ),
                ),
            )
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[claim]))
        job: Json = {"backoffLimit": 3, "template": template}
        if workload.deadline_seconds:
            job["activeDeadlineSeconds"] = workload.deadline_seconds
        if workload.kind == "job":
            # a changed job is a new run: its name is fixed, so the old one goes first
            job_opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True))
            # a job that failed is run again by the next `pulumi up`, not kept as a failure
            retried = {**metadata, "annotations": {"pulumi.com/replaceUnready": "true"}}
            return k8s.batch.v1.Job(workload.name, metadata=retried, spec=job, opts=job_opts)
        manual = workload.kind == "manual"  # kept suspended: `kubectl create job --from=cronjob/<name>` runs it
        return k8s.batch.v1.CronJob(
            workload.name,
            metadata=metadata,
            spec={
                "schedule": MANUAL_SCHEDULE if manual else workload.schedule,
                **({"suspend": True} if manual else {}),
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {"metadata": {"labels": metadata["labels"]}, "spec": job},
            },
            opts=opts,
        )

    def _claim(self, size: str, workload: str) -> Json:
        claim: Json = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
        if storage_class := self._kubernetes.storage_class_of(workload):
            claim["storageClassName"] = storage_class
        return claim
