"""Serializers of the catalog: products, price types, prices, warehouses and stock."""

from __future__ import annotations

from rest_framework import serializers

from raccordo.catalog.models import Price, PriceType, Product, StockLevel, Warehouse

from .base import BaseModelSerializer


class ProductSerializer(BaseModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "article", "barcode", "name", "full_name", "group", "unit", "vat_rate", "is_service",
                  "is_active", "description", "variant_of", "properties", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class PriceTypeSerializer(BaseModelSerializer):
    class Meta:
        model = PriceType
        fields = ["id", "name", "currency", "vat_included", "is_default", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class PriceSerializer(BaseModelSerializer):
    currency = serializers.CharField(source="price_type.currency", read_only=True)

    class Meta:
        model = Price
        fields = ["id", "product", "price_type", "value", "currency", "created_at", "updated_at"]
        read_only_fields = fields


class WarehouseSerializer(BaseModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "name", "address", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class StockLevelSerializer(BaseModelSerializer):
    available = serializers.DecimalField(max_digits=18, decimal_places=3, read_only=True,
                                         help_text="Quantity minus reserved.")

    class Meta:
        model = StockLevel
        fields = ["id", "product", "warehouse", "quantity", "reserved", "available", "created_at", "updated_at"]
        read_only_fields = fields
