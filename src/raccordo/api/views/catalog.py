"""API of the catalog: products, price types, prices, warehouses, stock (reference data every user sees)."""

from __future__ import annotations

from raccordo.api.serializers.catalog import (
    PriceSerializer,
    PriceTypeSerializer,
    ProductSerializer,
    StockLevelSerializer,
    WarehouseSerializer,
)
from raccordo.catalog import selectors, services
from raccordo.catalog.filters import (
    PriceFilter,
    PriceTypeFilter,
    ProductFilter,
    StockLevelFilter,
    WarehouseFilter,
)
from raccordo.catalog.models import Price, PriceType, StockLevel, Warehouse

from .base import CreateReadUpdateViewSet, ReadOnlyViewSet


class ProductViewSet(CreateReadUpdateViewSet):
    """Products and services. Everyone reads them; administrators change them (accounting usually owns them)."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["name", "article", "created_at", "updated_at"]
    search_description = "Name, article or barcode."

    def get_base_queryset(self):
        return selectors.product_list(user=self.request.user)

    def search_queryset(self, queryset, term):
        return queryset.filter(pk__in=selectors.product_list(user=self.request.user, search=term).values("pk"))

    def service_create(self, data):
        return services.product_create(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.product_update(user=self.request.user, product=instance, data=data)


class PriceTypeViewSet(CreateReadUpdateViewSet):
    """Price lists (wholesale, retail...) with their currency."""

    serializer_class = PriceTypeSerializer
    filterset_class = PriceTypeFilter
    ordering_fields = ["name", "created_at"]
    search_fields = ["name"]

    def get_base_queryset(self):
        return PriceType.objects.all()

    def service_create(self, data):
        return services.price_type_create(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.price_type_update(user=self.request.user, price_type=instance, data=data)


class PriceViewSet(ReadOnlyViewSet):
    """Prices of products per price type, as accounting last reported them."""

    serializer_class = PriceSerializer
    filterset_class = PriceFilter
    ordering_fields = ["value", "created_at", "updated_at"]
    # Pages by the time-ordered key (UUIDv7, the same order as created_at): created_at has no index here.
    ordering = ["-id"]

    def get_base_queryset(self):
        return Price.objects.select_related("price_type")


class WarehouseViewSet(ReadOnlyViewSet):
    """Warehouses."""

    serializer_class = WarehouseSerializer
    filterset_class = WarehouseFilter
    ordering_fields = ["name", "created_at"]
    search_fields = ["name", "address"]

    def get_base_queryset(self):
        return Warehouse.objects.all()


class StockLevelViewSet(ReadOnlyViewSet):
    """Stock per product and warehouse, as accounting last reported it."""

    serializer_class = StockLevelSerializer
    filterset_class = StockLevelFilter
    ordering_fields = ["quantity", "created_at", "updated_at"]
    # Pages by the time-ordered key, as prices do.
    ordering = ["-id"]

    def get_base_queryset(self):
        return StockLevel.objects.all()
