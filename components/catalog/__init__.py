from components.catalog.component import CatalogDatabase

__all__ = ["CatalogDatabase"]
