"""Reading HR's XML by local names: 1C's namespace and prefix layout is unknown, so both are ignored.

The parser is lxml with entities, DTDs and the network switched off; the encoding comes from the XML
declaration (windows-1251 and UTF-8 alike).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True)


class XmlError(ValueError):
    """The body is not an XML document."""


def parse(data: bytes):
    """The root element of `data`, or XmlError with the parser's reason."""
    if not data or not data.strip():
        raise XmlError("empty")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlError(str(exc)) from None


def local(name) -> str:
    """`{namespace}Name` or `prefix:Name` → `Name`."""
    if not isinstance(name, str):
        return ""
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def kids(el, name: str | None = None) -> Iterator:
    """Element children of `el` (with this local name when given)."""
    if el is None:
        return
    for child in el:
        if isinstance(child.tag, str) and (name is None or local(child.tag) == name):
            yield child


def find(el, *path: str):
    """The first element along `path` of local names, or None."""
    for name in path:
        el = next(kids(el, name), None)
        if el is None:
            return None
    return el


def findall(el, *path: str) -> list:
    """Every element along `path` (all matches at each step)."""
    level = [el] if el is not None else []
    for name in path:
        level = [child for parent in level for child in kids(parent, name)]
    return level


def text(el, *path: str) -> str:
    """The stripped text of the first element along `path` ("" when absent)."""
    found = find(el, *path) if path else el
    return (found.text or "").strip() if found is not None else ""


def attr(el, name: str) -> str:
    """An attribute by local name, prefixed or not."""
    if el is None:
        return ""
    for key, value in el.attrib.items():
        if local(key) == name:
            return value.strip()
    return ""


def date(value: str) -> dt.date | None:
    """`YYYY-MM-DD`, also with a time part (`xs:dateTime`) or as `DD.MM.YYYY`; None when empty or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    head = value[:10]
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            parsed = dt.datetime.strptime(head, fmt).date()
        except ValueError:
            continue
        # 1C writes "0001-01-01" for an empty date.
        return None if parsed.year <= 1 else parsed
    return None
