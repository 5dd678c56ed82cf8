from components.observability.component import Observability

__all__ = ["Observability"]
