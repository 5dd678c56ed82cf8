from components.sentry.component import Sentry

__all__ = ["Sentry"]
