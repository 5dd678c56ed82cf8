"""Observability under the mock engine: what it scrapes, alerts on, shows and exposes, on both targets."""

import json
from typing import Any

import pytest
import yaml

from components.config import ConfigError, parse
from components.model import ScrapeTarget, Telemetry
from components.observability import prometheus
from components.observability.settings import PLATFORM_JOBS
from components.quantity import memory_bytes
from tests.harness import ROOT, Recording, run_stack, stack_config
from tests.observability import CONTAINER, alert_rules, files_of, prometheus_files

NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
WORKLOADS = ("prometheus", "alertmanager", "grafana", "jaeger")


def scrape_jobs(recording: Recording) -> dict[str, dict[str, Any]]:
    config, _ = prometheus_files(recording)
    return {job["job_name"]: job for job in yaml.safe_load(config)["scrape_configs"]}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_component_is_scraped_per_replica_under_a_stable_name(stacks: dict[str, Recording], stack: str) -> None:
    jobs = scrape_jobs(stacks[stack])
    assert set(jobs) == set(PLATFORM_JOBS) - ({"kube-state-metrics"} if stack == "dev" else set())
    brokers = jobs["redpanda"]
    assert brokers["metrics_path"] == "/public_metrics"
    instances = [(s["labels"]["instance"], s["targets"][0]) for s in brokers["static_configs"]]
    domain = "" if stack == "dev" else f".redpanda.dictamesh-{stack}.svc.cluster.local"
    assert instances == [(f"redpanda-{n}", f"redpanda-{n}{domain}:9644") for n in range(3)]
    exporter = jobs["postgres"]["static_configs"][0]
    assert exporter["labels"] == {"instance": "postgres-exporter"}
    config = yaml.safe_load(prometheus_files(stacks[stack])[0])
    assert config["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s"}
    assert config["rule_files"] == ["rules/*.yml"]


def test_a_new_component_adds_its_targets_without_touching_prometheus_code() -> None:
    settings = parse("dev", {}).observability
    extra = Telemetry(group="search", targets=[ScrapeTarget("search", "opensearch-exporter", 9114, replicas=2)])
    config = yaml.safe_load(prometheus.config(settings, [extra], lambda w, p, o: f"{w}-{o}:{p}", "am:9093"))
    assert config["scrape_configs"][0]["static_configs"][1] == {
        "targets": ["opensearch-exporter-1:9114"],
        "labels": {"instance": "opensearch-exporter-1"},
    }
    with pytest.raises(ValueError, match="scrape jobs published twice: search"):
        prometheus.config(settings, [extra, extra], lambda w, p, o: f"{w}:{p}", "am:9093")


def test_applications_add_their_own_targets_from_settings() -> None:
    targets = '{"extraTargets": [{"job": "graphql-gateway", "targets": ["graphql-gateway:8080"]}]}'
    recording = run_stack("dev", {"dictamesh:observability": targets})
    assert scrape_jobs(recording)["graphql-gateway"]["static_configs"] == [{"targets": ["graphql-gateway:8080"]}]
    with pytest.raises(ConfigError, match=r"extraTargets\[0\]\.job = 'redis': taken by the platform"):
        parse("dev", {"observability": '{"extraTargets": [{"job": "redis", "targets": ["x:1"]}]}'})


def test_prometheus_is_let_out_to_targets_in_other_namespaces_and_outside() -> None:
    targets = [
        "graphql-gateway:8080",  # the stack's own namespace: open already
        "event-router.apps:9100",
        "event-router.apps.svc.cluster.local:9101",
        "search.search.svc:9114",
        "dictamesh-staging-only.dictamesh-staging:8080",  # the stack's namespace, named in full
        "10.0.3.4:9100",
        "metrics.example.com:443",
    ]
    extra = {"extraTargets": [{"job": "apps", "targets": targets}]}
    kubernetes = yaml.safe_load(stack_config("staging")["dictamesh:kubernetes"])
    recording = run_stack("staging", {"dictamesh:observability": extra, "dictamesh:kubernetes": kubernetes})
    policy = recording.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "prometheus-egress").inputs["spec"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "prometheus"
    assert policy["egress"] == [
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
            "ports": [{"protocol": "TCP", "port": p} for p in (443.0, 9100.0)],
        },
        {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}}],
            "ports": [{"protocol": "TCP", "port": p} for p in (9100.0, 9101.0)],
        },
        {
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "search"}}}],
            "ports": [{"protocol": "TCP", "port": 9114.0}],
        },
    ]
    # a stack whose targets are its own needs no policy
    plain = run_stack("staging")
    assert "prometheus-egress" not in {r.name for r in plain.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_alert_has_a_severity_summary_description_and_runbook(stacks: dict[str, Recording], stack: str) -> None:
    _, rule_files = prometheus_files(stacks[stack])
    jobs = {"jobs.yml"} if stack != "dev" else set()  # the clusters' job watcher (tests/test_job_metrics.py)
    assert set(rule_files) == {"postgresql.yml", "redis.yml", "redpanda.yml", "observability.yml", *jobs}
    rules = alert_rules(stacks[stack])
    assert {
        "TargetDown",
        "RedpandaBrokerDown",
        "RedpandaUnderReplicatedPartitions",
        "RedpandaLeaderlessPartitions",
        "RedpandaLowFreeStorage",
        "PostgresDown",
        "PostgresTooManyConnections",
        "PostgresDeadlocks",
        "RedisDown",
        "RedisMemoryHigh",
        "RedisRejectedConnections",
        "RedisEvictions",
        "PrometheusRuleEvaluationFailures",
        "PrometheusTsdbCompactionsFailing",
        "AlertmanagerNotificationsFailing",
        "Watchdog",
    } <= set(rules)
    # Prometheus reloads only on SIGHUP or /-/reload, which nothing sends: a changed config rolls the pod instead
    assert "PrometheusConfigReloadFailed" not in rules
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    for name, rule in rules.items():
        labels, annotations = rule["labels"], rule["annotations"]
        # none: the Watchdog's, which only the heartbeat receiver takes
        assert isinstance(labels, dict) and labels["severity"] in ("critical", "warning", "info", "none"), name
        assert isinstance(annotations, dict) and annotations["summary"] and annotations["description"], name
        assert annotations["runbook_url"] == f"docs/runbook.md#{name.lower()}", name
        assert f"#### {name}\n" in runbook, f"docs/runbook.md has no section for {name}"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_prometheus_keeps_15_days_and_caps_its_size_on_clusters(stacks: dict[str, Recording], stack: str) -> None:
    recording = stacks[stack]
    if stack == "dev":
        args = recording.one(CONTAINER, "prometheus").inputs["command"]
    else:
        spec = recording.one("kubernetes:apps/v1:StatefulSet", "prometheus").inputs["spec"]
        args = spec["template"]["spec"]["containers"][0]["args"]
        claim = spec["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
        assert claim == {"staging": "10Gi", "prod": "50Gi"}[stack]
    assert args[:3] == [
        "--config.file=/etc/prometheus/prometheus.yml",
        "--storage.tsdb.path=/prometheus",
        "--storage.tsdb.retention.time=15d",
    ]
    size = [a for a in args if a.startswith("--storage.tsdb.retention.size=")]
    expected = {"dev": [], "staging": ["--storage.tsdb.retention.size=8192MB"]}
    expected["prod"] = ["--storage.tsdb.retention.size=40960MB"]
    assert size == expected[stack]


def test_alertmanager_routes_by_severity_with_secrets_in_files() -> None:
    receivers = [
        {"name": "oncall", "type": "slack", "url": "https://hooks.slack.example/T0/B0/secret-token", "channel": "#ops"},
        {"name": "hook", "type": "webhook", "url": "http://relay.internal:8080/alerts", "severities": ["critical"]},
        {
            "name": "mail",
            "type": "email",
            "to": "ops@example.com",
            "sender": "alerts@example.com",
            "smarthost": "smtp.example.com:587",
            "username": "alerts",
            "password": "smtp-secret-password",
        },
    ]
    runbook = "https://git.example.com/dictamesh/infra/blob/main/docs/runbook.md"
    recording = run_stack("staging", {"dictamesh:observability": {"receivers": receivers, "runbookUrl": runbook}})
    config = yaml.safe_load(files_of(recording, "alertmanager")["alertmanager.yml"])
    routes = {route["receiver"]: route for route in config["route"]["routes"]}
    assert routes["hook"]["matchers"] == ['severity=~"critical"']
    assert routes["oncall"]["matchers"] == ['severity=~"critical|warning"']
    assert config["route"]["receiver"] == "nowhere"
    by_name = {r["name"]: r for r in config["receivers"]}
    assert by_name["oncall"]["slack_configs"][0]["api_url_file"] == "/run/secrets/dictamesh/oncall-url"
    assert by_name["hook"]["webhook_configs"][0]["url_file"] == "/run/secrets/dictamesh/hook-url"
    assert by_name["mail"]["email_configs"][0]["auth_password_file"] == "/run/secrets/dictamesh/mail-password"
    secret = recording.one("kubernetes:core/v1:Secret", "alertmanager-secrets")
    assert set(secret.inputs["stringData"]) == {"oncall-url", "hook-url", "mail-password"}
    assert all(secret.is_secret(f"stringData.{key}") for key in secret.inputs["stringData"])
    for resource in recording.resources:
        if resource.type != "kubernetes:core/v1:Secret":
            assert "secret-token" not in str(resource.inputs), resource.name
            assert "smtp-secret-password" not in str(resource.inputs), resource.name
    egress = recording.one(NETWORK_POLICY, "alertmanager-egress").inputs["spec"]["egress"][0]
    assert [int(p["port"]) for p in egress["ports"]] == [443, 587, 8080]
    assert not [w for w in recording.warnings if "alerts go nowhere" in w or "sent nowhere" in w]


def test_clusters_without_receivers_warn_that_alerts_go_nowhere(stacks: dict[str, Recording]) -> None:
    for stack in ("staging", "prod"):
        assert any("observability.receivers is empty" in w for w in stacks[stack].warnings), stack
    assert not any("observability.receivers" in w for w in stacks["dev"].warnings)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"retention": "15 days"}', r"observability.retention = '15 days': expected a Prometheus duration"),
        ('{"scrapeInterval": "1x"}', r"observability.scrapeInterval = '1x': expected a Prometheus duration"),
        (
            '{"receivers": [{"name": "a", "type": "webhook", "url": "ftp://x"}]}',
            r"observability.receivers\[0\].url = 'ftp://x': expected an http:// or https:// URL",
        ),
        (
            '{"receivers": [{"name": "a", "type": "pager"}]}',
            r"observability.receivers\[0\].type = 'pager': Input should be 'webhook', 'slack' or 'email'",
        ),
        (
            '{"receivers": [{"name": "a", "type": "slack"}]}',
            r"receivers\[0\].url: required for a receiver of type slack",
        ),
        ('{"jaeger": {"spanTtl": "7d"}}', r"observability.jaeger.spanTtl = '7d': expected a duration in h, m and s"),
    ],
)
def test_bad_observability_settings_name_the_key(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse("staging", {"observability": value})


def test_grafana_logs_in_with_a_generated_password_and_provisions_its_sources(stacks: dict[str, Recording]) -> None:
    grafana = stacks["dev"].one(CONTAINER, "grafana").inputs
    env = dict(item.split("=", 1) for item in grafana["envs"])
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/dictamesh/grafana-admin-password"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert not stacks["dev"].leaks(grafana["envs"])
    files = files_of(stacks["dev"], "grafana")
    sources = yaml.safe_load(files["/etc/grafana/provisioning/datasources/datasources.yaml"])["datasources"]
    assert [(s["uid"], s["url"], s.get("isDefault", False)) for s in sources] == [
        ("prometheus", "http://prometheus:9090", True),
        ("jaeger", "http://jaeger:16686", False),
        ("alertmanager", "http://alertmanager:9093", False),
    ]
    provider = yaml.safe_load(files["/etc/grafana/provisioning/dashboards/dashboards.yaml"])["providers"][0]
    assert provider["folder"] == "DictaMesh" and provider["options"]["path"] == "/etc/grafana/dashboards"
    boards = sorted(path for path in files if path.startswith("/etc/grafana/dashboards/"))
    assert boards == [
        f"/etc/grafana/dashboards/dictamesh-{name}.json" for name in ("overview", "postgresql", "redis", "redpanda")
    ]
    for path in boards:
        assert "__inputs" not in files[path]
    assert stacks["dev"].outputs["observability"]["grafanaAdminUser"] == "admin"
    assert "grafanaAdminPassword" in stacks["dev"].secret_outputs


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_jaeger_keeps_spans_in_memory_in_dev_and_on_a_volume_with_a_ttl_on_clusters(
    stacks: dict[str, Recording], stack: str
) -> None:
    config = yaml.safe_load(next(iter(files_of(stacks[stack], "jaeger").values())))
    backend = config["extensions"]["jaeger_storage"]["backends"]["traces"]
    receivers = config["receivers"]["otlp"]["protocols"]
    assert receivers == {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}
    assert config["extensions"]["healthcheckv2"]["http"]["endpoint"] == "0.0.0.0:13133"
    if stack == "dev":
        assert backend == {"memory": {"max_traces": 10000}}
        return
    assert backend["badger"]["ttl"] == {"spans": "168h"} and backend["badger"]["ephemeral"] is False
    statefulset = stacks[stack].one("kubernetes:apps/v1:StatefulSet", "jaeger").inputs["spec"]
    assert statefulset["template"]["spec"]["containers"][0]["volumeMounts"][1] == {
        "name": "data",
        "mountPath": "/badger",
    }


def test_dev_publishes_the_seed_ports_on_loopback_and_stays_within_a_gibibyte(stacks: dict[str, Recording]) -> None:
    containers = {name: stacks["dev"].one(CONTAINER, name).inputs for name in WORKLOADS}
    published = sorted((p["external"], p["ip"]) for c in containers.values() for p in c.get("ports", []))
    assert published == [(port, "127.0.0.1") for port in (3000, 4317, 4318, 9090, 9093, 16686)]
    assert sum(c["memory"] for c in containers.values()) <= 1024  # MiB of container limits
    outputs = stacks["dev"].outputs["observability"]
    assert outputs["grafanaUrl"] == "http://127.0.0.1:3000"
    assert outputs["otlpGrpcEndpoint"] == "jaeger:4317" and outputs["otlpHttpEndpoint"] == "http://jaeger:4318"


def ingress_by_port(recording: Recording, workload: str) -> dict[int, list[dict[str, Any]]]:
    rules = recording.one(NETWORK_POLICY, f"{workload}-clients").inputs["spec"]["ingress"]
    return {int(port["port"]): rule["from"] for rule in rules for port in rule["ports"]}


def admitted(peers: list[dict[str, Any]]) -> set[str]:
    return {v for peer in peers for e in peer.get("podSelector", {}).get("matchExpressions", []) for v in e["values"]}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_network_policies_let_prometheus_scrape_grafana_query_and_workloads_send_traces(
    stacks: dict[str, Recording], stack: str
) -> None:
    recording = stacks[stack]
    for workload, port in (
        ("postgres-exporter", 9187),
        ("redis-exporter", 9121),
        ("redpanda", 9644),
        ("jaeger", 8888),
        ("grafana", 3000),
        ("alertmanager", 9093),
        ("prometheus", 9090),
    ):
        assert "prometheus" in admitted(ingress_by_port(recording, workload)[port]), workload
    for workload, port in (("prometheus", 9090), ("jaeger", 16686), ("alertmanager", 9093)):
        assert "grafana" in admitted(ingress_by_port(recording, workload)[port]), workload
    jaeger = ingress_by_port(recording, "jaeger")
    assert jaeger[4317] == jaeger[4318] == [{"podSelector": {}}]  # every workload of the namespace may send spans


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_observability_data_lives_on_claims(stacks: dict[str, Recording], stack: str) -> None:
    claims = {
        s.name: s.inputs["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
        for s in stacks[stack].of_type("kubernetes:apps/v1:StatefulSet")
    }
    assert {"prometheus", "alertmanager", "grafana", "jaeger"} <= set(claims)
    assert memory_bytes(claims["grafana"]) >= 2**30


def test_observability_can_be_switched_off() -> None:
    recording = run_stack("dev", {"dictamesh:observability": {"enabled": False}})
    assert not [r for r in recording.resources if r.type == "dictamesh:observability:Observability"]
    assert "observability" not in recording.outputs


def test_prometheus_is_restarted_only_when_it_stops_answering_not_while_it_replays(
    stacks: dict[str, Recording],
) -> None:
    """/-/ready fails while the write-ahead log replays; as liveness it would kill a busy server."""
    spec = stacks["prod"].one("kubernetes:apps/v1:StatefulSet", "prometheus").inputs["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/-/ready"
    assert container["livenessProbe"]["httpGet"] == {"path": "/-/healthy", "port": 9090}


def test_grafana_calls_no_one_outside_and_signs_with_its_own_key(stacks: dict[str, Recording]) -> None:
    grafana = stacks["dev"].one(CONTAINER, "grafana").inputs
    env = dict(item.split("=", 1) for item in grafana["envs"])
    assert env["GF_PLUGINS_PREINSTALL_DISABLED"] == "true"
    assert env["GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES"] == "false"
    assert env["GF_PLUGINS_PUBLIC_KEY_RETRIEVAL_DISABLED"] == "true"  # no fetch of signing keys from grafana.com
    assert env["GF_SECURITY_SECRET_KEY__FILE"] == "/run/secrets/dictamesh/grafana-secret-key"
    assert env["GF_SECURITY_COOKIE_SECURE"] == "false"  # dev serves plain http on the loopback
    files = [upload["file"] for upload in grafana["uploads"]]
    assert "/run/secrets/dictamesh/grafana-secret-key" in files


def test_badger_on_docker_gets_a_volume_the_jaeger_user_can_write() -> None:
    """jaeger 2.13's image (alpine, USER 10001) has no /badger: a fresh volume there belongs to root."""
    recording = run_stack("dev", {"dictamesh:observability": {"jaeger": {"storage": "badger"}}})
    owner = recording.one(CONTAINER, "jaeger-data-owner").inputs
    assert owner["entrypoints"] == ["chown", "10001:10001", "/badger"]
    assert owner["mounts"][0]["source"] == "dictamesh-dev-jaeger-data"
    jaeger_container = recording.one(CONTAINER, "jaeger")
    assert recording.one(CONTAINER, "jaeger-data-owner").urn in jaeger_container.depends_on


def test_an_email_receiver_logs_in_with_both_or_neither() -> None:
    receiver = {"name": "mail", "type": "email", "to": "a@x.io", "sender": "b@x.io", "smarthost": "smtp.x.io:587"}
    runbook = "https://git.example.com/dictamesh/infra/blob/main/docs/runbook.md"

    def observability(*receivers: dict[str, str]) -> dict[str, str]:
        return {"observability": json.dumps({"receivers": list(receivers), "runbookUrl": runbook})}

    with pytest.raises(ConfigError, match="username and password: set both"):
        parse("prod", observability({**receiver, "password": "p"}))
    both = parse("prod", observability({**receiver, "username": "u", "password": "p"}))
    assert both.observability.receivers[0].username == "u"


def test_alerts_that_leave_for_receivers_link_an_absolute_runbook() -> None:
    receiver = {"name": "hook", "type": "webhook", "url": "https://hooks.example.com/x"}
    with pytest.raises(ConfigError, match=r"runbookUrl = 'docs/runbook.md': alerts leave for receivers"):
        parse("prod", {"observability": json.dumps({"receivers": [receiver]})})
    runbook = "https://git.example.com/dictamesh/infra/blob/main/docs/runbook.md"
    settings = parse("prod", {"observability": json.dumps({"receivers": [receiver], "runbookUrl": runbook})})
    assert settings.observability.runbook_url == runbook


def test_applications_in_their_own_namespaces_may_send_traces() -> None:
    """OTLP is open to every workload of the namespace, and to the clients named in clientNamespaces."""
    kubernetes = yaml.safe_load(stack_config("staging")["dictamesh:kubernetes"])
    recording = run_stack(
        "staging", {"dictamesh:kubernetes": {**kubernetes, "clientNamespaces": {"graphql-gateway": "apps"}}}
    )
    policy = recording.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "jaeger-clients").inputs["spec"]
    otlp = [rule for rule in policy["ingress"] if {p["port"] for p in rule["ports"]} >= {4317, 4318}]
    assert len(otlp) == 1
    assert otlp[0]["from"] == [
        {"podSelector": {}},
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "graphql-gateway"}},
        },
    ]


def test_clusters_watch_their_jobs_with_a_role_that_lists_jobs_alone(stacks: dict[str, Recording]) -> None:
    """A failed run becomes a metric (tests/test_job_metrics.py runs it for real): the watcher's token may list
    and watch the namespace's Jobs and CronJobs, and reach the API server's addresses on its ports, no more."""
    assert not [r for r in stacks["dev"].resources if r.name.startswith("kube-state-metrics")]
    recording = stacks["staging"]
    pod = recording.one("kubernetes:apps/v1:Deployment", "kube-state-metrics").inputs["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is True and pod["serviceAccountName"] == "kube-state-metrics"
    env = pod["containers"][0]["env"]
    assert {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}} in env
    assert pod["containers"][0]["args"] == ["--namespaces=$(POD_NAMESPACE)", "--resources=cronjobs,jobs"]
    others = [r for r in recording.of_type("kubernetes:apps/v1:Deployment") if r.name != "kube-state-metrics"]
    assert all(o.inputs["spec"]["template"]["spec"]["automountServiceAccountToken"] is False for o in others)
    role = recording.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "kube-state-metrics-watch").inputs
    assert role["rules"] == [{"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": ["list", "watch"]}]
    binding = recording.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "kube-state-metrics-watch").inputs
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "kube-state-metrics", "namespace": "dictamesh-staging"}
    ]
    egress = recording.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "kube-state-metrics-egress").inputs
    assert egress["spec"]["egress"] == [
        {
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}],
            "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}],
        }
    ]
    config, rules = prometheus_files(recording)
    assert "JobFailed" in rules["jobs.yml"]
    assert "kube-state-metrics" in {job["job_name"] for job in yaml.safe_load(config)["scrape_configs"]}


def test_the_api_servers_addresses_narrow_the_watchers_egress() -> None:
    kubernetes = yaml.safe_load(stack_config("staging")["dictamesh:kubernetes"])
    narrowed = run_stack("staging", {"dictamesh:kubernetes": {**kubernetes, "apiServerIpBlocks": ["10.0.0.2/32"]}})
    egress = narrowed.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "kube-state-metrics-egress").inputs
    assert egress["spec"]["egress"][0]["to"] == [{"ipBlock": {"cidr": "10.0.0.2/32"}}]
