"""The catalog in the admin: products with their prices and stock, groups, units, price types, warehouses."""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin

from .models import Price, PriceType, Product, ProductGroup, StockLevel, Unit, Warehouse


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


class StockInline(admin.TabularInline):
    model = StockLevel
    extra = 0


@admin.register(Product)
class ProductAdmin(JournaledModelAdmin):
    list_display = ("name", "article", "group", "unit", "vat_rate", "is_service", "is_active")
    list_filter = ("is_service", "is_active", "group", "vat_rate")
    search_fields = ("name", "full_name", "article", "barcode")
    list_select_related = ("group", "unit")
    inlines = [PriceInline, StockInline]


@admin.register(ProductGroup)
class ProductGroupAdmin(JournaledModelAdmin):
    list_display = ("name", "parent", "is_active")
    search_fields = ("name",)
    list_select_related = ("parent",)


@admin.register(Unit)
class UnitAdmin(JournaledModelAdmin):
    list_display = ("name", "code", "full_name")
    search_fields = ("name", "code", "full_name")


@admin.register(PriceType)
class PriceTypeAdmin(JournaledModelAdmin):
    list_display = ("name", "currency", "vat_included", "is_default")
    search_fields = ("name",)


@admin.register(Price)
class PriceAdmin(JournaledModelAdmin):
    list_display = ("product", "price_type", "value")
    list_filter = ("price_type",)
    search_fields = ("product__name", "product__article")
    list_select_related = ("product", "price_type")
    raw_id_fields = ("product",)


@admin.register(Warehouse)
class WarehouseAdmin(JournaledModelAdmin):
    list_display = ("name", "address", "is_active")
    search_fields = ("name", "address")


@admin.register(StockLevel)
class StockLevelAdmin(JournaledModelAdmin):
    list_display = ("product", "warehouse", "quantity", "reserved")
    list_filter = ("warehouse",)
    search_fields = ("product__name", "product__article")
    list_select_related = ("product", "warehouse")
    raw_id_fields = ("product",)
