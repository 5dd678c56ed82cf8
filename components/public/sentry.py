"""Sentry, as other programs use it: self-hosted Sentry with its own datastores, on the target its arguments name."""

import pulumi

from components.public.args import SentryArgs
from components.public.target import ArgsError, expose, publish, runtime_of, settings_of
from components.sentry import component
from components.sentry.settings import SentrySettings


class Sentry(pulumi.ComponentResource):
    """Self-hosted Sentry 26.8.0 (getsentry/self-hosted's services) with datastores of its own: PostgreSQL, Valkey,
    Kafka, ClickHouse, Memcached and an object store; their data outlives any replacement."""

    url: pulumi.Output[str]
    """Where users open Sentry: `url_prefix`, else its public URL (`target.kubernetes.exposure` with `sentry` among
    its `uis`), else `http://127.0.0.1:<host_port>` on docker, else the in-cluster address of its nginx."""
    relay_endpoint: pulumi.Output[str]
    """Relay's URL, where SDKs send events from workloads on the target."""
    admin_email: pulumi.Output[str]
    """The first superuser's login."""
    admin_password: pulumi.Output[str]
    """The first superuser's generated password; a secret."""

    def __init__(self, name: str, args: SentryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = settings_of(SentrySettings, SentryArgs, args, "Sentry", name)
        runtime = runtime_of(args, "Sentry", name, opts)  # both refuse bad arguments before any resource
        if args["target"].get("docker") is not None:
            if "cleanup_schedule" not in args:  # the default is a CronJob's, which docker has not
                settings = settings.model_copy(update={"cleanup_schedule": None})
            elif settings.cleanup_schedule:
                raise ArgsError(
                    f"Sentry {name!r}: cleanup_schedule = {settings.cleanup_schedule!r}: the docker target runs no "
                    "scheduled jobs; leave it unset there, and run `sentry cleanup --days <n>` in its sentry-web "
                    "container"
                )
        super().__init__("dictamesh:index:Sentry", name, {}, opts)
        sentry = component.Sentry(name, settings, runtime, pulumi.ResourceOptions(parent=self))
        publish(self, sentry, expose(runtime, sentry.uis, self))
