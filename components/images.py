"""Every image record (components/image_facts.py) of every component, by the reference it pins."""

from components.cache import images as cache
from components.catalog import images as catalog
from components.event_bus import images as event_bus
from components.image_facts import ImageFacts
from components.login import images as login
from components.observability import images as observability
from components.sentry import images as sentry

RECORDS: dict[str, ImageFacts] = {
    record.image: record
    for module in (cache, catalog, event_bus, login, observability, sentry)
    for record in vars(module).values()
    if isinstance(record, ImageFacts)
}
