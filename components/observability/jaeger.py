"""Jaeger v2's config: OTLP in, memory or badger storage, the UI, health and metrics.

Every listener binds 0.0.0.0 explicitly: the collector's defaults moved to localhost, which nothing
outside the container can reach.
"""

from collections.abc import Mapping

import yaml

from components.observability.settings import JaegerSettings

ANY = "0.0.0.0"  # noqa: S104 (a container's listeners, behind its ports and NetworkPolicy)

CONFIG = "/etc/jaeger/config.yaml"
DATA_DIR = "/badger"
OTLP_GRPC, OTLP_HTTP, UI, HEALTH, METRICS = 4317, 4318, 16686, 13133, 8888
PORTS = {
    "otlp_grpc": OTLP_GRPC,
    "otlp_http": OTLP_HTTP,
    "ui": UI,
    "query_grpc": 16685,
    "health": HEALTH,
    "metrics": METRICS,
}


def config(settings: JaegerSettings, ports: Mapping[str, int] = PORTS, data_dir: str = DATA_DIR) -> str:
    """`ports` and `data_dir` differ only where the tests run the real Jaeger on a free port and a temporary dir."""
    if settings.storage == "badger":
        backend: dict[str, object] = {
            "badger": {
                "directories": {"keys": f"{data_dir}/keys", "values": f"{data_dir}/values"},
                "ephemeral": False,
                "ttl": {"spans": settings.span_ttl},
            }
        }
    else:
        backend = {"memory": {"max_traces": settings.max_traces}}
    document = {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["jaeger_storage_exporter"]}
            },
            "telemetry": {
                "resource": {"service.name": "jaeger"},
                "metrics": {
                    "level": "detailed",
                    "readers": [{"pull": {"exporter": {"prometheus": {"host": ANY, "port": ports["metrics"]}}}}],
                },
                "logs": {"level": "info"},
            },
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"{ANY}:{ports['health']}"}},
            "jaeger_query": {
                "storage": {"traces": "traces"},
                "http": {"endpoint": f"{ANY}:{ports['ui']}"},
                "grpc": {"endpoint": f"{ANY}:{ports['query_grpc']}"},
            },
            "jaeger_storage": {"backends": {"traces": backend}},
        },
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"{ANY}:{ports['otlp_grpc']}"},
                    "http": {"endpoint": f"{ANY}:{ports['otlp_http']}"},
                }
            }
        },
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "traces"}},
    }
    return yaml.safe_dump(document, sort_keys=False)
