"""EventBus, as other programs use it: a Redpanda cluster with its Console and topics, on the target its arguments
name."""

import pulumi

from components.event_bus import component
from components.event_bus.settings import EventBusSettings
from components.public.args import EventBusArgs
from components.public.target import runtime_of, settings_of


class EventBus(pulumi.ComponentResource):
    """Redpanda, the DictaMesh event bus (Kafka API, Schema Registry, HTTP Proxy), with the Redpanda Console and
    the declared topics; each broker's data on a persistent volume that outlives any replacement."""

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
        bus = component.EventBus(name, settings, runtime, pulumi.ResourceOptions(parent=self))
        self.bootstrap_servers = pulumi.Output.from_input(bus.bootstrap_servers)
        self.schema_registry_url = pulumi.Output.from_input(bus.schema_registry_url)
        self.http_proxy_url = pulumi.Output.from_input(bus.http_proxy_url)
        self.admin_urls = pulumi.Output.from_input(bus.admin_urls)
        self.console_url = pulumi.Output.from_input(bus.console_url)
        self.host_bootstrap_servers = pulumi.Output.from_input(bus.host_bootstrap_servers)  # type: ignore[arg-type]
        self.sasl_username = pulumi.Output.from_input(bus.sasl_username)  # type: ignore[arg-type]
        self.sasl_password = pulumi.Output.secret(bus.sasl_password)  # type: ignore[arg-type]
        self.register_outputs({key: getattr(self, key) for key in self.__annotations__})
