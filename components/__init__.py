"""DictaMesh's platform components, for this program and for others.

The public API is what this module exports: each component is `Component(name, args, opts)`, with typed
arguments that name the target it runs on (a Docker network or an existing Kubernetes namespace). Everything
else under `components` is this program's own and may change in any release.
"""

from importlib.metadata import version

from components.public.args import (
    CacheArgs,
    CatalogDatabaseArgs,
    DockerTargetArgs,
    EventBusArgs,
    KubernetesTargetArgs,
    SentryArgs,
    TargetArgs,
)
from components.public.cache import Cache
from components.public.catalog import CatalogDatabase
from components.public.event_bus import EventBus
from components.public.sentry import Sentry
from components.public.target import ArgsError

__version__ = version("dictamesh-infra")  # pyproject.toml's, of the installed distribution

__all__ = [
    "ArgsError",
    "Cache",
    "CacheArgs",
    "CatalogDatabase",
    "CatalogDatabaseArgs",
    "DockerTargetArgs",
    "EventBus",
    "EventBusArgs",
    "KubernetesTargetArgs",
    "Sentry",
    "SentryArgs",
    "TargetArgs",
]
