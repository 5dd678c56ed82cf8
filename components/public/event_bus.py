"""EventBus, as other programs use it: a Redpanda cluster with its Console and topics, on the target its arguments
name."""

import pulumi

from components.event_bus import component
from components.event_bus.settings import EventBusSettings
from components.public.args import EventBusArgs
from components.public.target import expose, publish, runtime_of, settings_of


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
    """The Redpanda Console's URL on the target (on 127.0.0.1 with docker); exposed, its URL is in `public_urls`."""
    host_bootstrap_servers: pulumi.Output[str]
    """Kafka bootstrap servers on 127.0.0.1 for the developer's machine: the docker target only."""
    sasl_username: pulumi.Output[str]
    """The SASL superuser, with `sasl` on."""
    sasl_password: pulumi.Output[str]
    """The SASL superuser's generated password, with `sasl` on; a secret."""
    public_urls: pulumi.Output[dict[str, str]]
    """The URL of each of its UIs that `target.kubernetes.exposure` serves (`console`), by UI."""
    login_callbacks: pulumi.Output[list[str]]
    """The sign-in callbacks to register with the OIDC provider, one per exposed UI behind the login (the Console's)."""
    ui_basic_auth_user: pulumi.Output[str]
    """The generated user of that login, for API clients and emergencies (the Console's)."""
    ui_basic_auth_password: pulumi.Output[str]
    """That user's generated password; a secret."""

    def __init__(self, name: str, args: EventBusArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = settings_of(EventBusSettings, EventBusArgs, args, "EventBus", name)
        runtime = runtime_of(args, "EventBus", name, opts)  # both refuse bad arguments before any resource
        super().__init__("dictamesh:index:EventBus", name, {}, opts)
        bus = component.EventBus(name, settings, runtime, pulumi.ResourceOptions(parent=self))
        publish(self, bus, expose(runtime, bus.uis, self))
