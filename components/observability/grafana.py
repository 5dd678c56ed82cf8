"""Grafana's provisioning: datasources with fixed uids, and the dashboards folder; how it starts."""

from importlib import resources

import yaml

PORT = 3000
DATA_DIR = "/var/lib/grafana"
PROVISIONING = "/etc/grafana/provisioning"
DASHBOARDS_DIR = "/etc/grafana/dashboards"
FOLDER = "DictaMesh"
START_SCRIPT = "/etc/dictamesh/grafana-start.sh"  # the admin password set, then the image's /run.sh
PROMETHEUS_UID, JAEGER_UID, ALERTMANAGER_UID = "prometheus", "jaeger", "alertmanager"


def datasources(prometheus: str, jaeger: str, alertmanager: str) -> str:
    """URLs as Grafana's server reaches them (proxy access): the browser never talks to the datasources."""
    document = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": PROMETHEUS_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": prometheus,
                "isDefault": True,
                "editable": False,
            },
            {
                "name": "Jaeger",
                "uid": JAEGER_UID,
                "type": "jaeger",
                "access": "proxy",
                "url": jaeger,
                "editable": False,
            },
            {
                "name": "Alertmanager",
                "uid": ALERTMANAGER_UID,
                "type": "alertmanager",
                "access": "proxy",
                "url": alertmanager,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
                "editable": False,
            },
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def dashboard_provider() -> str:
    document = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "dictamesh",
                "folder": FOLDER,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "options": {"path": DASHBOARDS_DIR},
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def environment(admin_user: str, password_file: str, secret_key_file: str, root_url: str | None) -> dict[str, str]:
    """`root_url` is the public URL, for Grafana's redirects and the links it writes; unset, Grafana
    assumes http://localhost:3000/, which suits a published or port-forwarded port. Its cookies are
    marked secure when that URL is https."""
    root = {"GF_SERVER_ROOT_URL": root_url} if root_url else {}
    return root | {
        "GF_SECURITY_ADMIN_USER": admin_user,
        "GF_SECURITY_ADMIN_PASSWORD__FILE": password_file,
        "GF_SECURITY_SECRET_KEY__FILE": secret_key_file,
        "GF_SECURITY_COOKIE_SECURE": "true" if (root_url or "").startswith("https://") else "false",
        "GF_AUTH_ANONYMOUS_ENABLED": "false",
        "GF_USERS_ALLOW_SIGN_UP": "false",
        "GF_PATHS_DATA": DATA_DIR,
        "GF_PATHS_PROVISIONING": PROVISIONING,
        "GF_LOG_MODE": "console",  # no log files under a read-only root
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        # these call grafana.com, which the egress policy denies: a failing call at every start and every hour;
        # signatures are checked against the key built into Grafana instead of one fetched from there
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_PLUGINS_PREINSTALL_DISABLED": "true",
        "GF_PLUGINS_PUBLIC_KEY_RETRIEVAL_DISABLED": "true",
    }


def start_script() -> str:
    return (resources.files("components.observability") / "grafana-start.sh").read_text()
