"""alertmanager.yml: routes by severity to the configured receivers, whose secrets are mounted files."""

from urllib.parse import urlsplit

import yaml

from components.model import SECRETS_DIR
from components.observability.settings import Receiver

CONFIG_DIR = "/etc/alertmanager"
DATA_DIR = "/alertmanager"
PORT = 9093
NOWHERE = "nowhere"  # the receiver of alerts no configured receiver takes
# Alertmanager's Slack text is empty by default: say what is wrong and where the runbook is
SLACK_TEXT = (
    "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n"
    "<{{ .Annotations.runbook_url }}|Runbook>\n{{ end }}"
)


def secrets(receiver: Receiver) -> dict[str, str]:
    """Mounted path -> value of each secret a receiver reads from a file (its URL, its SMTP password)."""
    values = {
        f"{SECRETS_DIR}/{receiver.name}-url": receiver.url,
        f"{SECRETS_DIR}/{receiver.name}-password": receiver.password,
    }
    return {path: value for path, value in values.items() if value is not None}


def config(receivers: list[Receiver]) -> str:
    routes = [
        {
            "receiver": receiver.name,
            "matchers": [f'severity=~"{"|".join(receiver.severities)}"'],
            "continue": True,
        }
        for receiver in receivers
    ]
    document = {
        "route": {
            "receiver": NOWHERE,
            "group_by": ["alertname", "job"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "inhibit_rules": [
            {
                # a critical alert of a job silences that job's warnings: a broker down explains its
                # under-replicated partitions. Every rule keeps the job label (aggregations `by (job)`).
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["job"],
            }
        ],
        "receivers": [{"name": NOWHERE}, *(_receiver(r) for r in receivers)],
    }
    return yaml.safe_dump(document, sort_keys=False)


def _receiver(receiver: Receiver) -> dict[str, object]:
    url_file = f"{SECRETS_DIR}/{receiver.name}-url"
    if receiver.type == "webhook":
        return {"name": receiver.name, "webhook_configs": [{"url_file": url_file, "send_resolved": True}]}
    if receiver.type == "slack":
        slack: dict[str, object] = {"api_url_file": url_file, "send_resolved": True, "text": SLACK_TEXT}
        if receiver.channel:
            slack["channel"] = receiver.channel
        return {"name": receiver.name, "slack_configs": [slack]}
    email: dict[str, object] = {
        "to": receiver.to,
        "from": receiver.sender,
        "smarthost": receiver.smarthost,
        "send_resolved": True,
    }
    if receiver.username:
        email["auth_username"] = receiver.username
    if receiver.password:
        email["auth_password_file"] = f"{SECRETS_DIR}/{receiver.name}-password"
    return {"name": receiver.name, "email_configs": [email]}


def egress_ports(receivers: list[Receiver]) -> list[int]:
    """The ports Alertmanager connects to outside the platform."""
    ports = set()
    for receiver in receivers:
        if receiver.url:
            parts = urlsplit(receiver.url)
            ports.add(parts.port or (443 if parts.scheme == "https" else 80))
        if receiver.smarthost:
            ports.add(int(receiver.smarthost.rsplit(":", 1)[1]))
    return sorted(ports)


def args(external_url: str | None) -> list[str]:
    """`external_url` is where the links in notifications (silences, alert lists) point."""
    flags = [
        f"--config.file={CONFIG_DIR}/alertmanager.yml",
        f"--storage.path={DATA_DIR}",
        f"--web.listen-address=:{PORT}",
        "--cluster.listen-address=",  # one replica: no gossip port to open
    ]
    return [*flags, f"--web.external-url={external_url}"] if external_url else flags
