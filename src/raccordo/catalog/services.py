"""Write services for the catalog: products, groups, units, price types, prices, warehouses, stock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from raccordo.access.records import record_create, record_delete, record_update

from .models import Price, PriceType, Product, ProductGroup, ProductImage, StockLevel, Unit, Warehouse

# The fields each single-record service lets its callers set; anything else is refused by record_create/update.
PRODUCT_FIELDS = ("article", "barcode", "name", "full_name", "group", "unit", "vat_rate", "is_service", "is_active",
                  "description", "variant_of", "properties")
PRODUCT_GROUP_FIELDS = ("name", "parent", "is_active")
UNIT_FIELDS = ("code", "name", "full_name")
PRICE_TYPE_FIELDS = ("name", "currency", "vat_included", "is_default")
WAREHOUSE_FIELDS = ("name", "address", "is_active", "own_company")
PRODUCT_IMAGE_FIELDS = ("product", "file", "sha1", "content_type", "size", "position", "source_name")


def product_create(*, user, data: dict[str, Any]) -> Product:
    """Create a product or service."""
    return record_create(Product, user=user, data=data, fields=PRODUCT_FIELDS)


def product_update(*, user, product: Product, data: dict[str, Any]) -> Product:
    """Change a product's fields."""
    return record_update(product, user=user, data=data, fields=PRODUCT_FIELDS)


def product_group_create(*, user, data: dict[str, Any]) -> ProductGroup:
    """Create a catalog folder."""
    return record_create(ProductGroup, user=user, data=data, fields=PRODUCT_GROUP_FIELDS)


def unit_create(*, user, data: dict[str, Any]) -> Unit:
    """Create a unit of measure."""
    return record_create(Unit, user=user, data=data, fields=UNIT_FIELDS)


def unit_ensure(*, code: str, name: str, full_name: str = "") -> Unit:
    """The unit with this OKEI code, else with this name; created (validated, journaled) when there is none.

    For the exchange, which names units as accounting does: no user, so no access check (the node's
    right to write the catalog was checked when its run began). Texts are cut to the fields' lengths.
    """
    unit = (Unit.objects.filter(code=code).first() if code else None) or Unit.objects.filter(name=name[:64]).first()
    if unit is None:
        unit = unit_create(user=None, data={"code": code[:10], "name": name[:64], "full_name": full_name[:150]})
    return unit


def price_type_create(*, user, data: dict[str, Any]) -> PriceType:
    """Create a price type (price list)."""
    return record_create(PriceType, user=user, data=data, fields=PRICE_TYPE_FIELDS)


def warehouse_create(*, user, data: dict[str, Any]) -> Warehouse:
    """Create a warehouse."""
    return record_create(Warehouse, user=user, data=data, fields=WAREHOUSE_FIELDS)


def warehouse_update(*, user, warehouse: Warehouse, data: dict[str, Any]) -> Warehouse:
    """Rename a warehouse, change its address, or take it out of use (its stock rows stay)."""
    return record_update(warehouse, user=user, data=data, fields=WAREHOUSE_FIELDS)


def price_set(*, user, product: Product, price_type: PriceType, value: Decimal) -> Price:
    """Set a product's price in a price type; an unchanged price writes nothing."""
    existing = Price.objects.filter(product=product, price_type=price_type).first()
    if existing is None:
        return record_create(Price, user=user, data={"product": product, "price_type": price_type, "value": value},
                             fields=("product", "price_type", "value"))
    return record_update(existing, user=user, data={"value": value}, fields=("value",))


def stock_set(*, user, product: Product, warehouse: Warehouse, quantity: Decimal) -> StockLevel:
    """Record the quantity a warehouse holds, as accounting reports it."""
    existing = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
    if existing is None:
        return record_create(StockLevel, user=user,
                             data={"product": product, "warehouse": warehouse, "quantity": quantity},
                             fields=("product", "warehouse", "quantity"))
    return record_update(existing, user=user, data={"quantity": quantity}, fields=("quantity",))


def price_type_update(*, user, price_type: PriceType, data: dict[str, Any]) -> PriceType:
    """Change a price type's name, currency or VAT mode."""
    return record_update(price_type, user=user, data=data, fields=PRICE_TYPE_FIELDS)


@dataclass(frozen=True)
class ImageInput:
    """One picture of a product, already read and checked: its bytes, SHA-1, type and file extension."""

    content: bytes
    sha1: str
    content_type: str
    extension: str
    source_name: str = ""


def _image_file_name(image: ImageInput) -> str:
    # Named by content: the same picture of many products (or of many exchanges) is stored once.
    return f"products/{image.sha1[:2]}/{image.sha1}{image.extension}"


@transaction.atomic
def product_images_set(*, user, product: Product, images: list[ImageInput],
                       remove_others: bool = True) -> dict[str, int]:
    """Make a product's pictures `images`, in that order; what is already so writes nothing.

    Pictures not in `images` are removed, or with `remove_others=False` kept after them. A picture
    whose content is stored already is not written again; a file is removed only when no picture of
    any product refers to it any more. Returns counts: added, moved, removed, unchanged.
    """
    wanted: list[ImageInput] = []
    for image in images:
        if image.sha1 not in {w.sha1 for w in wanted}:
            wanted.append(image)
    existing = {img.sha1: img for img in ProductImage.objects.filter(product=product)}
    counts = {"added": 0, "moved": 0, "removed": 0, "unchanged": 0}
    for position, image in enumerate(wanted):
        current = existing.pop(image.sha1, None)
        if current is not None:
            if current.position != position:
                record_update(current, user=user, data={"position": position}, fields=("position",))
                counts["moved"] += 1
            else:
                counts["unchanged"] += 1
            continue
        name = _image_file_name(image)
        if not default_storage.exists(name):
            stored = default_storage.save(name, ContentFile(image.content))
            if stored != name:   # another writer stored the same content meanwhile: keep one copy
                default_storage.delete(stored)
        record_create(ProductImage, user=user, data={
            "product": product, "file": name, "sha1": image.sha1, "content_type": image.content_type,
            "size": len(image.content), "position": position, "source_name": image.source_name[:500]},
            fields=PRODUCT_IMAGE_FIELDS)
        counts["added"] += 1
    if not remove_others:
        for position, kept in enumerate(sorted(existing.values(), key=lambda i: i.position), start=len(wanted)):
            if kept.position != position:
                record_update(kept, user=user, data={"position": position}, fields=("position",))
                counts["moved"] += 1
            else:
                counts["unchanged"] += 1
        return counts
    for gone in existing.values():
        name = gone.file.name  # type: ignore[assignment]  # a stored picture always has a file name
        record_delete(gone, user=user)
        counts["removed"] += 1
        if not ProductImage.objects.filter(file=name).exists():
            transaction.on_commit(lambda name=name: _delete_unreferenced(name))  # type: ignore[misc]  # mypy cannot type a lambda with a default argument
    return counts


def _delete_unreferenced(name: str) -> None:
    # Checked again after the commit: a concurrent exchange may have attached the same content.
    if not ProductImage.objects.filter(file=name).exists():
        default_storage.delete(name)
