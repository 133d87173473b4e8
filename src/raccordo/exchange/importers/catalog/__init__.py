"""CommerceML catalog import (see `importer.CatalogImporter`), and the object types its bindings carry."""

from .importer import CatalogImporter
from .kinds import (
    GROUP,
    OFFER_PRICES,
    OFFER_STOCK,
    OFFERS_SCOPE,
    PRICE_TYPE,
    PRODUCT,
    PROPERTY,
    TOTAL_WAREHOUSE_ID,
    WAREHOUSE,
    vat_rate_from,
)
from .lifecycle import products_of_node

__all__ = ["GROUP", "OFFERS_SCOPE", "OFFER_PRICES", "OFFER_STOCK", "PRICE_TYPE", "PRODUCT", "PROPERTY",
           "TOTAL_WAREHOUSE_ID", "WAREHOUSE", "CatalogImporter", "products_of_node", "vat_rate_from"]
