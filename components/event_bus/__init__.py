from components.event_bus.component import EventBus

__all__ = ["EventBus"]
