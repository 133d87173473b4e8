"""The catalog: products and services, their groups and units, price types, prices, warehouses and stock.

Accounting usually owns all of it; the exchange keeps it in step.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel
from raccordo.core.money import default_currency, validate_currency
from raccordo.core.trees import refuse_cycle


class Unit(BaseModel):
    """A unit of measure, with its OKEI code where it has one (796 = piece, 166 = kilogram)."""

    code = models.CharField(_("code"), max_length=10, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductGroup(BaseModel):
    """A folder of the catalog tree."""

    name = models.CharField(_("name"), max_length=255)
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children",
                               verbose_name=_("parent group"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        refuse_cycle(self, _("A group cannot be inside itself."))


class Product(BaseModel):
    """A product or service we sell (1C: nomenclature)."""

    article = models.CharField(_("article"), max_length=64, blank=True, db_index=True)
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=500, db_index=True)
    full_name = models.CharField(_("full name"), max_length=1000, blank=True)
    group = models.ForeignKey(ProductGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="products",
                              verbose_name=_("group"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("unit"))
    vat_rate = models.DecimalField(_("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True,
                                   validators=[MinValueValidator(Decimal("0"))],
                                   help_text=_("Empty means “without VAT”."))
    is_service = models.BooleanField(_("service"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)
    variant_of = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="variants",
                                   verbose_name=_("variant of"),
                                   help_text=_("For a characteristic (size, colour) of another product."))
    properties = models.JSONField(_("properties"), default=dict, blank=True,
                                  help_text=_("Property name -> value, as accounting describes the product."))

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.article})" if self.article else self.name


class Property(BaseModel):
    """A product property accounting describes products with (colour, material), with its value list."""

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("value type"), max_length=32, blank=True)
    values = models.JSONField(_("values"), default=dict, blank=True, help_text=_("Value id -> text."))

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PriceType(BaseModel):
    """A price list: wholesale, retail, dealer...; its currency and whether prices include VAT."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency, validators=[validate_currency])
    vat_included = models.BooleanField(_("VAT included"), default=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("price type")
        verbose_name_plural = _("price types")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class Price(BaseModel):
    """The price of one product in one price type."""

    # No index of their own: the unique (product, price type) constraint leads with the product, and lists
    # page by the time-ordered key (UUIDv7) instead of created_at. Every index costs on each imported row.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product"),
                                db_index=False)
    price_type = models.ForeignKey(PriceType, on_delete=models.CASCADE, related_name="prices",
                                   verbose_name=_("price type"))
    value = models.DecimalField(_("price"), max_digits=18, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [models.UniqueConstraint(fields=["product", "price_type"], name="price_unique_per_type")]

    def __str__(self) -> str:
        return f"{self.product}: {self.value}"


class Warehouse(BaseModel):
    """A place where stock is kept."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    address = models.CharField(_("address"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Whose stock this is: an invoice of one own company offers only that company's stock. Empty is a warehouse
    # every company sells from (as all were before companies were linked).
    own_company = models.ForeignKey("parties.OwnCompany", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="warehouses", verbose_name=_("own company"))

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StockLevel(BaseModel):
    """How much of a product a warehouse holds, as accounting last reported it."""

    # As for Price: the unique (product, warehouse) constraint serves lookups by product; lists page by the key.
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock", verbose_name=_("product"),
                                db_index=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock",
                                  verbose_name=_("warehouse"))
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=3, default=Decimal("0"))
    reserved = models.DecimalField(_("reserved"), max_digits=18, decimal_places=3, default=Decimal("0"),
                                   validators=[MinValueValidator(Decimal("0"))])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [models.UniqueConstraint(fields=["product", "warehouse"], name="stock_unique_per_warehouse")]

    def __str__(self) -> str:
        return f"{self.product} @ {self.warehouse}: {self.quantity}"

    @property
    def available(self) -> Decimal:
        return self.quantity - self.reserved


class ProductImage(BaseModel):
    """A picture of a product as accounting sends it (1C: `Картинка`), stored once per content.

    Files live in Django's default storage (VAR_DIR/media), named by their SHA-1, and are served only
    to signed-in users through a view: the media directory is never public.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("product"))
    file = models.FileField(_("file"), max_length=200)
    sha1 = models.CharField(_("SHA-1 of the content"), max_length=40, db_index=True)
    content_type = models.CharField(_("content type"), max_length=32)
    size = models.PositiveIntegerField(_("size (bytes)"))
    position = models.PositiveIntegerField(_("position"), default=0)
    source_name = models.CharField(_("name in the exchange"), max_length=500, blank=True,
                                   help_text=_("The picture's path as accounting named it (import_files/…)."))

    class Meta:
        verbose_name = _("product picture")
        verbose_name_plural = _("product pictures")
        ordering = ["product", "position"]
        constraints = [models.UniqueConstraint(fields=["product", "sha1"], name="product_image_unique_content")]

    def __str__(self) -> str:
        return f"{self.product_id} #{self.position}"
