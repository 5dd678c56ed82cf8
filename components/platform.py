"""The whole DictaMesh platform for one stack, and what it tells its users."""

from typing import Any

import pulumi

from components.cache import Cache
from components.catalog import CatalogDatabase
from components.event_bus import EventBus
from components.runtime import create_runtime
from components.settings import Settings


def build(settings: Settings) -> dict[str, Any]:
    """Creates every component; returns the stack outputs, credentials as secrets."""
    runtime = create_runtime(settings)
    catalog = CatalogDatabase("catalog", settings.catalog, runtime)
    cache = Cache("cache", settings.cache, runtime)
    bus = EventBus("event-bus", settings.event_bus, runtime)
    outputs: dict[str, Any] = {
        "target": settings.target,
        "catalog": {
            "host": catalog.host,
            "port": catalog.port,
            "database": catalog.database,
            "user": catalog.user,
            "hostAddress": catalog.host_address,
        },
        "catalogDsn": catalog.dsn,
        "cache": {"host": cache.host, "port": cache.port, "hostAddress": cache.host_address},
        "cacheUrl": cache.url,
        "eventBus": {
            "bootstrapServers": bus.bootstrap_servers,
            "hostBootstrapServers": bus.host_bootstrap_servers,
            "schemaRegistryUrl": bus.schema_registry_url,
            "httpProxyUrl": bus.http_proxy_url,
            "adminUrls": bus.admin_urls,
            "consoleUrl": bus.console_url,
            "saslUsername": bus.sasl_username,
        },
    }
    if bus.sasl_password is not None:
        outputs["eventBusSaslPassword"] = pulumi.Output.secret(bus.sasl_password)
    if settings.target == "kubernetes":
        outputs["namespace"] = settings.namespace
    return outputs
