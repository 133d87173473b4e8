"""Looking things up in a CommerceML element, and reading its values.

One lookup style: an element's children are indexed by local name in one pass
(:func:`first_children`, :func:`children_by_name`, :func:`child_texts`) and fields are read from that
index (:func:`text_of`), instead of scanning the children once per field. A nested field
(``Адрес/Представление``) indexes each level on the way down (:func:`text_at`). Namespaces are
ignored: every name here is a local name.

Values: :func:`parse_bool` (1C writes ``true``, ``истина``, ``да`` ...), :func:`parse_number` (a bad
number fails the record, not the file), :func:`is_deleted` (ПометкаУдаления or Статус "удален").
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from lxml import etree

from .records import parse_decimal

ROOT = "КоммерческаяИнформация"

# The spellings 1C and hand-written files use for a true flag; anything else non-blank is false.
TRUE_WORDS = frozenset({"true", "1", "истина", "да", "yes"})
# Статус values that mark an element as deleted (1C writes both spellings of "удалён").
DELETED_STATUSES = ("удален", "удалён")

Index = dict[str | None, etree._Element]   # local name -> first child of that name


class BadRecord(Exception):
    """A problem confined to one record: the reader turns it into an ErrorRec and goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------- names


_LOCAL_NAMES: dict[str, str] = {}


def local_name(tag: Any) -> str | None:
    """Local name of a tag ("{urn:1C.ru:commerceml_2}Ид" -> "Ид"); None for non-elements."""
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        pass
    if not isinstance(tag, str):  # entity references, if any slipped through
        return None
    local = tag.rpartition("}")[2] if tag[:1] == "{" else tag
    if len(_LOCAL_NAMES) < 4096:  # bounded: a hostile file may use any number of names
        _LOCAL_NAMES[tag] = local
    return local


# --------------------------------------------------------------------------- children


def children_by_name(el: etree._Element, repeated: tuple[str, ...] = ()
                     ) -> tuple[Index, dict[str, list[etree._Element]]]:
    """One pass over the children: local name -> first child of that name, and for each name in `repeated`
    every child of that name, in order."""
    first: Index = {}
    every: dict[str, list[etree._Element]] = {name: [] for name in repeated}
    cache = _LOCAL_NAMES
    for ch in el:
        tag = ch.tag
        name = cache.get(tag) or local_name(tag)
        if name not in first:
            first[name] = ch
        if name in every:
            every[name].append(ch)
    return first, every


def first_children(el: etree._Element | None) -> Index:
    """Local name -> first child of that name, in one pass (empty for a missing element)."""
    if el is None:
        return {}
    first: Index = {}
    cache = _LOCAL_NAMES
    for ch in el:
        tag = ch.tag
        name = cache.get(tag) or local_name(tag)
        if name not in first:
            first[name] = ch
    return first


def child_texts(el: etree._Element) -> dict[str | None, str]:
    """Local name -> stripped text of the first child of that name (what :func:`text_of` gives from a
    :func:`first_children` index), in one pass and without keeping the children."""
    out: dict[str | None, str] = {}
    cache = _LOCAL_NAMES
    for ch in el:
        tag = ch.tag
        name = cache.get(tag) or local_name(tag)
        if name not in out:
            out[name] = (ch.text or "").strip()
    return out


def children_named(el: etree._Element, name: str) -> Iterator[etree._Element]:
    """Every child of local name ``name``, in order."""
    for ch in el:
        if local_name(ch.tag) == name:
            yield ch


def stripped_text(el: etree._Element | None) -> str | None:
    """The element's own text, stripped ("" when empty); None for a missing element."""
    if el is None:
        return None
    return (el.text or "").strip()


def text_of(children: Index, name: str) -> str | None:
    """Stripped text of the child ``name`` from a :func:`first_children` index; None when absent."""
    el = children.get(name)
    if el is None:
        return None
    return (el.text or "").strip()


def text_at(children: Index, *path: str) -> str | None:
    """Stripped text at a nested path of first children (``text_at(index, "Адрес", "Представление")``),
    starting from a :func:`first_children` index; None when any step is missing."""
    *steps, last = path
    for name in steps:
        children = first_children(children.get(name))
    return text_of(children, last)


def attribute(el: etree._Element, name: str) -> str | None:
    """The attribute ``name``, with or without a namespace; None when absent."""
    value = el.get(name)  # the usual case: an attribute without a namespace
    if value is not None:
        return value
    for key in el.keys():
        if key[:1] == "{" and local_name(key) == name:
            return el.get(key)
    return None


# --------------------------------------------------------------------------- values


def parse_bool(text: str | None) -> bool | None:
    """A 1C flag: True for one of TRUE_WORDS, False for other text, None when blank or absent."""
    if text is None or not text.strip():
        return None
    return text.strip().lower() in TRUE_WORDS


def parse_number(text: str | None, what: str) -> Decimal | None:
    """:func:`parse_decimal`, with a bad number failing the record (``what`` names the field)."""
    try:
        return parse_decimal(text)
    except ValueError:
        raise BadRecord("exchange.cml.bad_number", f"{what} is not a number: {(text or '')[:80]!r}") from None


def is_deleted_status(status: str | None) -> bool:
    """Whether a Статус value says "deleted"."""
    return status is not None and status.strip().lower() in DELETED_STATUSES


def is_deleted(el: etree._Element, children: Index) -> bool:
    """Whether the element is marked deleted: ПометкаУдаления true, or Статус (attribute or child) "удален"."""
    if parse_bool(text_of(children, "ПометкаУдаления")):
        return True
    return is_deleted_status(attribute(el, "Статус") or text_of(children, "Статус"))


def required_id(el: etree._Element, children: Index) -> str:
    """The element's Ид; a record without one fails with exchange.cml.missing_id."""
    ident = text_of(children, "Ид")
    if not ident:
        raise BadRecord("exchange.cml.missing_id", f"<{local_name(el.tag)}> without Ид")
    return ident


def name_value_pairs(children: Index, list_name: str, item: str, key: str, value: str) -> dict[str, str]:
    """``<list_name><item><key/><value/></item>...`` -> {key text: value text}, skipping blank keys
    (ЗначенияРеквизитов, СтавкиНалогов)."""
    out: dict[str, str] = {}
    box = children.get(list_name)
    if box is None:
        return out
    for it in children_named(box, item):
        pair = child_texts(it)
        k = pair.get(key)
        if k:
            out[k] = pair.get(value) or ""
    return out


def characteristics(children: Index) -> tuple[tuple[str, str], ...]:
    """ХарактеристикиТовара -> ((name, value), ...)."""
    box = children.get("ХарактеристикиТовара")
    if box is None:
        return ()
    out = []
    for ch in children_named(box, "ХарактеристикаТовара"):
        texts = child_texts(ch)
        out.append((texts.get("Наименование") or "", texts.get("Значение") or ""))
    return tuple(out)


def base_unit(el: etree._Element | None) -> tuple[str | None, str | None, str | None]:
    """БазоваяЕдиница -> (code, short name, full name). Handles the attribute form
    (``Код="796 " НаименованиеПолное="Штука"``, text "шт"), the CML 3.1 text-only form
    (``<БазоваяЕдиница>796 </БазоваяЕдиница>``) and the element form (Единица/Код ...)."""
    if el is None:
        return None, None, None
    code = attribute(el, "Код")
    full = attribute(el, "НаименованиеПолное")
    text = stripped_text(el) or None
    children = first_children(el)
    if code is None:
        code = text_of(children, "Код")
        if code is None and text and text.isdigit():
            code, text = text, None
    full = full if full is not None else text_of(children, "НаименованиеПолное")
    short = text or text_of(children, "НаименованиеКраткое") or attribute(el, "НаименованиеКраткое")
    return (code.strip() or None) if code else None, short or None, (full.strip() or None) if full else None
