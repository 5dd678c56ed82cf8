"""alertmanager.yml: routes by severity to the configured receivers, whose secrets are mounted files."""

from collections.abc import Sequence
from urllib.parse import urlsplit

import yaml

from components.model import SECRETS_DIR, Inhibit
from components.observability.settings import Heartbeat, Receiver

CONFIG_DIR = "/etc/alertmanager"
DATA_DIR = "/alertmanager"
PORT = 9093
NOWHERE = "nowhere"  # the receiver of alerts no configured receiver takes
HEARTBEAT = "heartbeat"  # the receiver of the Watchdog alert
HEARTBEAT_URL_FILE = f"{SECRETS_DIR}/heartbeat-url"
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


def config(receivers: list[Receiver], inhibits: Sequence[Inhibit] = (), heartbeat: Heartbeat | None = None) -> str:
    """Severity routes to the receivers; the Watchdog to the heartbeat alone, as often as it is to post; an
    inhibit rule per pair a component published (a critical alert silences only the warnings it explains)."""
    watchdog = {
        "receiver": HEARTBEAT if heartbeat else NOWHERE,
        "matchers": ['alertname="Watchdog"'],
        "group_wait": "0s",
        "group_interval": heartbeat.interval if heartbeat else "5m",
        "repeat_interval": heartbeat.interval if heartbeat else "4h",
    }
    routes = [watchdog] + [
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
                "source_matchers": [f'alertname="{inhibit.source}"'],
                "target_matchers": [f'alertname=~"{"|".join(inhibit.targets)}"'],
                "equal": list(inhibit.equal),
            }
            for inhibit in inhibits
        ],
        "receivers": [
            {"name": NOWHERE},
            *(_receiver(r) for r in receivers),
            *([{"name": HEARTBEAT, "webhook_configs": [{"url_file": HEARTBEAT_URL_FILE}]}] if heartbeat else []),
        ],
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


def egress_ports(receivers: list[Receiver], heartbeat: Heartbeat | None = None) -> list[int]:
    """The ports Alertmanager connects to outside the platform."""
    ports = set()
    for url in [*(r.url for r in receivers), heartbeat.url if heartbeat else None]:
        if url:
            parts = urlsplit(url)
            ports.add(parts.port or (443 if parts.scheme == "https" else 80))
    for receiver in receivers:
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
