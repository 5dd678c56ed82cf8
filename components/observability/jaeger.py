"""Jaeger v2's config: OTLP in, memory or badger storage, the UI, health and metrics.

Every listener binds 0.0.0.0 explicitly: the collector's defaults moved to localhost, which nothing
outside the container can reach.
"""

import yaml

from components.observability.settings import JaegerSettings

ANY = "0.0.0.0"  # noqa: S104 (a container's listeners, behind its ports and NetworkPolicy)

CONFIG = "/etc/jaeger/config.yaml"
DATA_DIR = "/badger"
OTLP_GRPC, OTLP_HTTP, UI, HEALTH, METRICS = 4317, 4318, 16686, 13133, 8888


def config(settings: JaegerSettings) -> str:
    if settings.storage == "badger":
        backend: dict[str, object] = {
            "badger": {
                "directories": {"keys": f"{DATA_DIR}/keys", "values": f"{DATA_DIR}/values"},
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
                    "readers": [{"pull": {"exporter": {"prometheus": {"host": ANY, "port": METRICS}}}}],
                },
                "logs": {"level": "info"},
            },
        },
        "extensions": {
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": f"{ANY}:{HEALTH}"}},
            "jaeger_query": {
                "storage": {"traces": "traces"},
                "http": {"endpoint": f"{ANY}:{UI}"},
                "grpc": {"endpoint": f"{ANY}:16685"},
            },
            "jaeger_storage": {"backends": {"traces": backend}},
        },
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"{ANY}:{OTLP_GRPC}"},
                    "http": {"endpoint": f"{ANY}:{OTLP_HTTP}"},
                }
            }
        },
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": "traces"}},
    }
    return yaml.safe_dump(document, sort_keys=False)
