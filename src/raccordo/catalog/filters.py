"""The one filter definition of each catalog list (products, price types, prices, warehouses, stock)."""

from __future__ import annotations

import django_filters

from raccordo.core.filters import FilterSet, chip, chip_on, uuid_filter

from .models import Price, PriceType, Product, StockLevel, Warehouse


def products_active(queryset):
    """Only the active products of `queryset`: the "active" chip, and the selector's `active_only`."""
    return queryset.filter(is_active=True)


class ProductFilter(FilterSet):
    """Products: by group, article, barcode, service or goods, active; the web list's chips."""

    KINDS = [("goods", "goods"), ("services", "services")]

    group = uuid_filter("group")
    active = chip("filter_active", "1: only active products (the web list's chip)")
    kind = django_filters.ChoiceFilter(choices=KINDS, method="filter_kind", label="goods or services")

    class Meta:
        model = Product
        fields = ["article", "barcode", "is_service", "is_active"]

    def filter_active(self, queryset, name, value):
        return products_active(queryset) if chip_on(value) else queryset

    def filter_kind(self, queryset, name, value):
        return queryset.filter(is_service=value == "services")


class PriceTypeFilter(FilterSet):
    """Price types: by currency and whether the default."""

    class Meta:
        model = PriceType
        fields = ["currency", "is_default"]


class PriceFilter(FilterSet):
    """Prices: by product and price type."""

    product = uuid_filter("product")
    price_type = uuid_filter("price_type")

    class Meta:
        model = Price
        fields = []


class WarehouseFilter(FilterSet):
    """Warehouses: whether active."""

    class Meta:
        model = Warehouse
        fields = ["is_active"]


class StockLevelFilter(FilterSet):
    """Stock levels: by product and warehouse."""

    product = uuid_filter("product")
    warehouse = uuid_filter("warehouse")

    class Meta:
        model = StockLevel
        fields = []
