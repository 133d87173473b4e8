"""The catalog exchange's object types, scopes and small readings shared by its parts."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from raccordo.exchange.models import Binding, ExchangeNode

PRODUCT = "catalog.product"
GROUP = "catalog.productgroup"
PROPERTY = "catalog.property"
PRICE_TYPE = "catalog.pricetype"
WAREHOUSE = "catalog.warehouse"
OFFER_PRICES = "catalog.offer.prices"
OFFER_STOCK = "catalog.offer.stock"
TOTAL_WAREHOUSE_ID = "__total__"
# The scope of the products born of a catalog's offers (variants, named offers without a good): its Ид + this.
OFFERS_SCOPE = "/offers"

_RATE = re.compile(r"(\d+(?:[.,]\d+)?)")


def vat_rate_from(tax_rates: dict[str, str]) -> Decimal | None:
    """The VAT rate among a product's tax rates ("НДС": "20" / "20%" / "Без налога")."""
    for name, value in tax_rates.items():
        if "НДС" in name.upper() or "VAT" in name.upper() or "IVA" in name.upper() or len(tax_rates) == 1:
            match = _RATE.search(value or "")
            if match is None:
                return None
            try:
                return Decimal(match.group(1).replace(",", "."))
            except InvalidOperation:
                return None
    return None


def bound_ids(node: ExchangeNode, object_type: str, external_ids) -> dict[str, Any]:
    """Our ids of these external ids of the node (those bound)."""
    return dict(Binding.objects.filter(node=node, object_type=object_type, external_id__in=list(external_ids))
                .values_list("external_id", "object_id"))
