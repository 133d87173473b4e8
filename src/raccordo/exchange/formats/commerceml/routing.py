"""Which CommerceML element is which record, and which builder makes it.

An element starts a record by its name and its place: Товар under Каталог/Товары, Предложение under
ПакетПредложений/Предложения, Свойство, ТипЦены, Склад, ЕдиницаИзмерения, Документ. Nothing else is
a record (groups and package headers are tracked by the stream itself).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from .catalog_builders import (
    build_offer,
    build_price_type,
    build_product,
    build_property,
    build_unit,
    build_warehouse,
)
from .document_builders import build_document
from .elements import BadRecord, first_children, local_name, text_of
from .records import ErrorRec, Record

_OFFER_CONTAINERS = ("ПакетПредложений", "ИзмененияПакетаПредложений")
_DEFINITION_CONTAINERS = ("Классификатор", *_OFFER_CONTAINERS)

# Record kind -> builder of its record (Документ has its own call: it needs its Контейнер's number).
_BUILDERS: dict[str, Callable[[etree._Element, int | None, str], Record]] = {
    "property": build_property,
    "price_type": build_price_type,
    "warehouse": build_warehouse,
    "unit": build_unit,
    "product": build_product,
    "offer": build_offer,
}


def record_kind(name: str, parent: str, grand: str, depth: int) -> str | None:
    """The kind of record an element inside a container starts, judged by its name, its parent's and its
    grandparent's (and its depth, for a Документ in a Контейнер); None when it starts none."""
    if name == "Свойство" and parent == "Свойства" and grand in ("Классификатор", "Каталог"):
        return "property"
    if name == "ТипЦены" and parent == "ТипыЦен" and grand in _DEFINITION_CONTAINERS:
        return "price_type"
    if name == "Склад" and parent == "Склады" and grand in _DEFINITION_CONTAINERS:
        return "warehouse"
    if name == "ЕдиницаИзмерения" and parent == "ЕдиницыИзмерения" and grand == "Классификатор":
        return "unit"
    if name == "Товар" and parent == "Товары" and grand == "Каталог":
        return "product"
    if name == "Предложение" and parent == "Предложения" and grand in _OFFER_CONTAINERS:
        return "offer"
    if name == "Документ" and parent == "Контейнер" and depth == 2:
        return "document"
    return None


def build_record(kind: str, el: etree._Element, line: int | None, path: str, container: int | None) -> Record:
    """The record of a finished element of ``kind``; an :class:`ErrorRec` when the problem is confined to
    it. ``container`` is the number of a document's CML 3.1 Контейнер (None elsewhere)."""
    try:
        if kind == "document":
            return build_document(el, line, path, container)
        return _BUILDERS[kind](el, line, path)
    except BadRecord as bad:
        return ErrorRec(bad.code, bad.message, line, path, text_of(first_children(el), "Ид") or None,
                        local_name(el.tag))
