"""The whole DictaMesh platform for one stack, and what it tells its users."""

from typing import Any

import pulumi

from components import deployed
from components.cache import Cache
from components.catalog import CatalogDatabase
from components.event_bus import EventBus
from components.model import Runtime
from components.observability import Observability
from components.runtime import create_runtime
from components.sentry import Sentry
from components.settings import Settings

SASL_OUTPUT = "eventBusSaslPassword"


def build(
    settings: Settings, before: deployed.Deployed | None = None, runtime: Runtime | None = None
) -> dict[str, Any]:
    """Creates every component on the stack's runtime (or the one given); returns the stack outputs.

    `before`: what the stack's last update left (deployed.read()), if it was deployed before."""
    before = before or deployed.Deployed()
    runtime = runtime or create_runtime(settings, established=bool(before))
    catalog = CatalogDatabase("catalog", settings.catalog, runtime)
    cache = Cache("cache", settings.cache, runtime)
    # the superuser's password the cluster may still hold, while a rotation converges
    bus = EventBus("event-bus", settings.event_bus, runtime, previous_password=before.secret(SASL_OUTPUT))
    outputs: dict[str, Any] = {
        deployed.OUTPUT: deployed.record(settings),
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
            "hostAdminUrl": bus.host_admin_url,
            "hostSchemaRegistryUrl": bus.host_schema_registry_url,
            "consoleUrl": bus.console_url,
            "saslUsername": bus.sasl_username,
        },
    }
    uis = list(bus.uis)
    telemetry = [catalog.telemetry, cache.telemetry, bus.telemetry]
    if settings.sentry.enabled:
        sentry = Sentry("sentry", settings.sentry, runtime)
        uis += sentry.uis
        telemetry.append(sentry.telemetry)
        outputs["sentry"] = {
            "url": sentry.url,
            "adminEmail": sentry.admin_email,
            "relayEndpoint": sentry.relay_endpoint,
        }
        outputs["sentryAdminPassword"] = pulumi.Output.secret(sentry.admin_password)
    if settings.observability.enabled:
        observability = Observability("observability", settings.observability, runtime, telemetry)
        uis += observability.uis
        outputs["observability"] = {
            "prometheusUrl": observability.prometheus_url,
            "alertmanagerUrl": observability.alertmanager_url,
            "grafanaUrl": observability.grafana_url,
            "jaegerUrl": observability.jaeger_url,
            "otlpGrpcEndpoint": observability.otlp_grpc_endpoint,
            "otlpHttpEndpoint": observability.otlp_http_endpoint,
            "grafanaAdminUser": observability.grafana_admin_user,
        }
        outputs["grafanaAdminPassword"] = pulumi.Output.secret(observability.grafana_admin_password)
    if bus.sasl_password is not None:
        outputs[SASL_OUTPUT] = pulumi.Output.secret(bus.sasl_password)
    if settings.target == "kubernetes":
        outputs["namespace"] = settings.namespace
    if trust := runtime.trust():
        outputs["tlsCa"] = trust
    exposed = runtime.expose(uis)
    if exposed.urls:
        outputs["publicUrls"] = dict(exposed.urls)
    if exposed.callbacks:
        outputs["loginCallbacks"] = list(exposed.callbacks)  # the redirect URIs to register with the OIDC provider
    if exposed.basic_auth_password is not None:
        outputs["uiBasicAuthUser"] = exposed.basic_auth_user
        outputs["uiBasicAuthPassword"] = pulumi.Output.secret(exposed.basic_auth_password)
    return outputs
