from components.cache.component import Cache

__all__ = ["Cache"]
