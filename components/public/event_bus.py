"""EventBus, as other programs use it: a Redpanda cluster with its Console and topics, on the target its arguments
name."""

import pulumi

from components.event_bus import component
from components.event_bus.settings import EventBusSettings
from components.public.args import EventBusArgs
from components.public.target import publish, runtime_of, settings_of


class EventBus(pulumi.ComponentResource):
    """Redpanda, the DictaMesh event bus, with its Console and topics; each broker's data outlives any replacement."""

    bootstrap_servers: pulumi.Output[str]
    """Kafka bootstrap servers for workloads on the target, comma-separated."""
    schema_registry_url: pulumi.Output[str]
    """The Schema Registry's URL."""
    http_proxy_url: pulumi.Output[str]
    """The HTTP Proxy's (pandaproxy) URL."""
    admin_urls: pulumi.Output[list[str]]
    """Each broker's Admin API URL."""
    console_url: pulumi.Output[str]
    """The Redpanda Console's URL."""
    host_bootstrap_servers: pulumi.Output[str]
    """Kafka bootstrap servers on 127.0.0.1 for the developer's machine: the docker target only."""
    sasl_username: pulumi.Output[str]
    """The SASL superuser, with `sasl` on."""
    sasl_password: pulumi.Output[str]
    """The SASL superuser's generated password, with `sasl` on; a secret."""

    def __init__(self, name: str, args: EventBusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = settings_of(EventBusSettings, EventBusArgs, args, "EventBus", name)
        runtime = runtime_of(args, "EventBus", name, opts)  # both refuse bad arguments before any resource
        super().__init__("dictamesh:index:EventBus", name, {}, opts)
        publish(self, component.EventBus(name, settings, runtime, pulumi.ResourceOptions(parent=self)))
