"""The DictaMesh component provider: the public components, their schema inferred from the arguments' types."""

from pulumi.provider.experimental import component_provider_host

from components import Cache, CatalogDatabase, EventBus, Sentry, __version__

NAME = "dictamesh"  # the package's name: its resources' types are dictamesh:index:<Component>
COMPONENTS = [Cache, CatalogDatabase, EventBus, Sentry]

if __name__ == "__main__":
    component_provider_host(COMPONENTS, name=NAME, version=__version__)
