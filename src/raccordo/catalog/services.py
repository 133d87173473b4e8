"""Write services for the catalog: products, groups, units, price types, prices, warehouses, stock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from raccordo.core.services import record_create, record_update

from .models import Price, PriceType, Product, ProductGroup, StockLevel, Unit, Warehouse


def product_create(*, user, data: dict[str, Any]) -> Product:
    """Create a product or service."""
    return record_create(Product, user=user, data=data)


def product_update(*, user, product: Product, data: dict[str, Any]) -> Product:
    """Change a product's fields."""
    return record_update(product, user=user, data=data)


def product_group_create(*, user, data: dict[str, Any]) -> ProductGroup:
    """Create a catalog folder."""
    return record_create(ProductGroup, user=user, data=data)


def unit_create(*, user, data: dict[str, Any]) -> Unit:
    """Create a unit of measure."""
    return record_create(Unit, user=user, data=data)


def price_type_create(*, user, data: dict[str, Any]) -> PriceType:
    """Create a price type (price list)."""
    return record_create(PriceType, user=user, data=data)


def warehouse_create(*, user, data: dict[str, Any]) -> Warehouse:
    """Create a warehouse."""
    return record_create(Warehouse, user=user, data=data)


def price_set(*, user, product: Product, price_type: PriceType, value: Decimal) -> Price:
    """Set a product's price in a price type; an unchanged price writes nothing."""
    existing = Price.objects.filter(product=product, price_type=price_type).first()
    if existing is None:
        return record_create(Price, user=user, data={"product": product, "price_type": price_type, "value": value})
    return record_update(existing, user=user, data={"value": value})


def stock_set(*, user, product: Product, warehouse: Warehouse, quantity: Decimal) -> StockLevel:
    """Record the quantity a warehouse holds, as accounting reports it."""
    existing = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    if existing is None:
        return record_create(StockLevel, user=user,
                             data={"product": product, "warehouse": warehouse, "quantity": quantity})
    return record_update(existing, user=user, data={"quantity": quantity})


def price_type_update(*, user, price_type: PriceType, data: dict[str, Any]) -> PriceType:
    """Change a price type's name, currency or VAT mode."""
    return record_update(price_type, user=user, data=data)
