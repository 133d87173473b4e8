"""Streaming, hostile-input-safe CommerceML 2.x / 3.1 reader.

``read(source)`` walks the file once with :func:`lxml.etree.iterparse` and yields
plain records (see :mod:`.records`) in document order. Memory stays flat however
many products or offers the file holds: every element is cleared as soon as it has
been turned into a record, and earlier siblings are dropped.

Safety:

* a DOCTYPE anywhere in the prolog is refused before lxml sees the file (no
  entities, no external DTD: XXE and "billion laughs" are impossible), and lxml runs
  with ``resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False``;
* any text node or attribute longer than ``max_text`` characters (1 MB by default)
  ends the read; libxml2's own 10 MB limit (no ``huge_tree``) backs this up;
* a record with more than ``max_record_nodes`` elements is skipped (an
  :class:`ErrorRec`) without being kept in memory.

Fatal problems raise :class:`CommerceMLError`; a single bad record (a price that is
not a number, an element without Ид) yields an :class:`ErrorRec` and the stream
continues.

Routing is by content, never by file name: Классификатор, Каталог,
ПакетПредложений (also the 2.08+ split ``offers/prices/rests`` files and
ИзмененияПакетаПредложений) and Документ (also CML 3.1 ``Контейнер/Документ``).
Namespaces are ignored (none in 2.03-2.05, ``urn:1C.ru:commerceml_2`` in 2.07+,
``urn:1C.ru:commerceml_3`` in 3.1).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from lxml import etree

from .records import (
    CommerceMLError,
    Counterparty,
    DocumentLine,
    DocumentRec,
    ErrorRec,
    Group,
    OfferRec,
    PackageInfo,
    Price,
    PriceTypeRec,
    ProductRec,
    Property,
    Record,
    StockRow,
    UnitRec,
    WarehouseRec,
    parse_decimal,
    split_variant_id,
)

__all__ = ["read", "MAX_TEXT", "MAX_RECORD_NODES"]

ROOT = "КоммерческаяИнформация"
MAX_TEXT = 1_000_000  # characters in one text node or attribute value
MAX_RECORD_NODES = 250_000  # elements inside one record
MAX_PROLOG = 1_000_000  # bytes before the root element
MAX_PENDING = 10_000  # definitions (price types, warehouses, units) held back until the PackageInfo

_CONTAINERS = {
    "Классификатор": "classifier",
    "Каталог": "catalog",
    "ПакетПредложений": "offers",
    "ИзмененияПакетаПредложений": "offers",
    "Документ": "documents",
    "Контейнер": "documents",
}
_OFFER_CONTAINERS = ("ПакетПредложений", "ИзмененияПакетаПредложений")
_DEFINITION_CONTAINERS = ("Классификатор", *_OFFER_CONTAINERS)
_HEADER_FIELDS = ("Ид", "Наименование", "ИдКлассификатора", "ИдКаталога", "СодержитТолькоИзменения")
_TRUE = {"true", "1", "истина", "да", "yes"}


class _Bad(Exception):
    """A problem confined to one record."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------- small helpers


_LN_CACHE: dict[str, str] = {}


def _ln(tag: Any) -> str | None:
    """Local name of a tag ("{urn:1C.ru:commerceml_2}Ид" -> "Ид"); None for non-elements."""
    try:
        return _LN_CACHE[tag]
    except KeyError:
        pass
    if not isinstance(tag, str):  # entity references, if any slipped through
        return None
    local = tag.rpartition("}")[2] if tag[:1] == "{" else tag
    if len(_LN_CACHE) < 4096:  # bounded: a hostile file may use any number of names
        _LN_CACHE[tag] = local
    return local


def _kids(el: etree._Element, name: str) -> Iterator[etree._Element]:
    for ch in el:
        if _ln(ch.tag) == name:
            yield ch


def _kid(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    for ch in el:
        if _ln(ch.tag) == name:
            return ch
    return None


def _t(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return (el.text or "").strip()


def _kt(el: etree._Element | None, *names: str) -> str | None:
    """Text of the first existing child among ``names`` (nested path when several)."""
    cur = el
    for name in names:
        cur = _kid(cur, name)
        if cur is None:
            return None
    return _t(cur)


def _attr(el: etree._Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        if _ln(key) == name:
            return value
    return None


def _bool(text: str | None) -> bool | None:
    if text is None or not text.strip():
        return None
    return text.strip().lower() in _TRUE


def _num(text: str | None, what: str) -> Decimal | None:
    try:
        return parse_decimal(text)
    except ValueError:
        raise _Bad("exchange.cml.bad_number", f"{what} is not a number: {(text or '')[:80]!r}") from None


def _deleted(el: etree._Element) -> bool:
    if _bool(_kt(el, "ПометкаУдаления")):
        return True
    status = _attr(el, "Статус") or _kt(el, "Статус")
    return bool(status) and status.strip().lower() in ("удален", "удалён")


def _pairs(el: etree._Element | None, list_name: str, item: str, key: str, value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    box = _kid(el, list_name) if el is not None else None
    if box is None:
        return out
    for it in _kids(box, item):
        k = _kt(it, key)
        if k:
            out[k] = _kt(it, value) or ""
    return out


def _characteristics(el: etree._Element) -> tuple[tuple[str, str], ...]:
    box = _kid(el, "ХарактеристикиТовара")
    if box is None:
        return ()
    return tuple(
        (_kt(ch, "Наименование") or "", _kt(ch, "Значение") or "")
        for ch in _kids(box, "ХарактеристикаТовара")
    )


def _unit(el: etree._Element | None) -> tuple[str | None, str | None, str | None]:
    """БазоваяЕдиница -> (code, short name, full name). Handles the attribute form
    (``Код="796 " НаименованиеПолное="Штука"``, text "шт"), the CML 3.1 text-only form
    (``<БазоваяЕдиница>796 </БазоваяЕдиница>``) and the element form (Единица/Код ...)."""
    if el is None:
        return None, None, None
    code = _attr(el, "Код")
    full = _attr(el, "НаименованиеПолное")
    text = _t(el) or None
    if code is None:
        code = _kt(el, "Код")
        if code is None and text and text.isdigit():
            code, text = text, None
    full = full if full is not None else _kt(el, "НаименованиеПолное")
    short = text or _kt(el, "НаименованиеКраткое") or _attr(el, "НаименованиеКраткое")
    return (code.strip() or None) if code else None, short or None, (full.strip() or None) if full else None


# --------------------------------------------------------------------------- source handling


class _Prefixed(io.RawIOBase):
    """A binary stream: ``prefix`` bytes first, then the rest of ``raw``."""

    def __init__(self, prefix: bytes, raw: IO[bytes]):
        self._prefix = prefix
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size is None or size < 0:
                data, self._prefix = self._prefix + self._raw.read(), b""
                return data
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            return data
        return self._raw.read(size)


def _check_prolog(raw: IO[bytes], file: str | None) -> bytes:
    """Read the prolog (everything before the root element) and refuse a DOCTYPE.

    Returns the bytes read, to be replayed to the parser.
    """
    buf = b""
    while True:
        chunk = raw.read(65536)
        if isinstance(chunk, str):
            raise TypeError("CommerceML reader needs a binary file object, a path or bytes")
        if chunk:
            buf += chunk
        verdict = _scan_prolog(buf, final=not chunk)
        if verdict == "doctype":
            raise CommerceMLError(
                "DOCTYPE declarations are not accepted (entities and external DTDs are refused)",
                "exchange.xml.doctype",
                file,
                _line_at(buf, b"<!"),
            )
        if verdict == "ok" or not chunk:
            return buf
        if len(buf) > MAX_PROLOG:
            raise CommerceMLError(
                "no root element within the first megabyte", "exchange.xml.malformed", file, None
            )


def _line_at(buf: bytes, needle: bytes) -> int | None:
    pos = buf.find(needle)
    return buf.count(b"\n", 0, pos) + 1 if pos >= 0 else None


def _scan_prolog(buf: bytes, final: bool) -> str:
    """'ok' (root element reached or not XML at all: lxml will complain), 'doctype', or 'more'."""
    if buf.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = buf.decode("utf-16", errors="ignore")
    elif buf.startswith(b"\xef\xbb\xbf"):
        text = buf[3:].decode("latin-1")
    else:
        text = buf.decode("latin-1")  # every ASCII-compatible encoding (UTF-8, windows-1251) works here
    text = text.lstrip("\ufeff")
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return "ok" if final else "more"
        if text[i] != "<":
            return "ok"
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
            if end < 0:
                return "ok" if final else "more"
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return "ok" if final else "more"
            i = end + 3
        elif text.startswith("<!", i):
            return "doctype"
        elif n - i < 2:
            return "ok" if final else "more"
        else:
            return "ok"


# --------------------------------------------------------------------------- the reader


class _Container:
    __slots__ = (
        "kind",
        "name",
        "depth",
        "line",
        "path",
        "only_changes",
        "header",
        "price_types",
        "warehouses",
        "emitted",
        "pending",
    )

    def __init__(self, kind: str, name: str, depth: int, line: int | None, path: str, only_changes: bool):
        self.kind = kind
        self.name = name
        self.depth = depth
        self.line = line
        self.path = path
        self.only_changes = only_changes
        self.header: dict[str, str] = {}
        self.price_types: list[PriceTypeRec] = []
        self.warehouses: list[WarehouseRec] = []
        self.emitted = False
        self.pending: list[Record] = []


class _GroupFrame:
    __slots__ = ("depth", "line", "path", "parent_id", "id", "name", "deleted", "emitted")

    def __init__(self, depth: int, line: int | None, path: str, parent_id: str | None):
        self.depth = depth
        self.line = line
        self.path = path
        self.parent_id = parent_id
        self.id: str | None = None
        self.name: str | None = None
        self.deleted = False
        self.emitted = False


def read(
    source: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    max_text: int = MAX_TEXT,
    max_record_nodes: int = MAX_RECORD_NODES,
) -> Iterator[Record]:
    """Yield the records of a CommerceML file, in document order.

    ``source`` is a path, a binary file object, or the file content as ``bytes``.
    Raises :class:`CommerceMLError` on a fatal problem (not XML, DOCTYPE, text too
    long, not a КоммерческаяИнформация); bad single records come out as
    :class:`ErrorRec`.
    """
    own = None
    if isinstance(source, (bytes, bytearray)):
        raw: IO[bytes] = io.BytesIO(bytes(source))
        file = None
    elif isinstance(source, (str, os.PathLike)):
        file = os.fspath(source)
        own = raw = open(file, "rb")  # noqa: SIM115 - closed in the finally below
    else:
        raw = source
        name = getattr(source, "name", None)
        file = name if isinstance(name, str) else None
    try:
        prefix = _check_prolog(raw, file)
        yield from _Reader(_Prefixed(prefix, raw), file, max_text, max_record_nodes).run()
    finally:
        if own is not None:
            own.close()


class _Reader:
    def __init__(self, stream: IO[bytes], file: str | None, max_text: int, max_record_nodes: int):
        self.stream = stream
        self.file = file
        self.max_text = max_text
        self.max_record_nodes = max_record_nodes
        self.names: list[str] = []
        self.indexes: list[int] = []
        self.counts: list[dict[str, int] | None] = [{}]
        self.version: str | None = None
        self.generated_at: str | None = None
        self.namespace: str | None = None
        self.container: _Container | None = None
        self.groups: list[_GroupFrame] = []
        self.record: str | None = None  # kind of the record element being collected
        self.record_depth = 0
        self.record_nodes = 0
        self.record_overflow = False
        self.record_id: str | None = None
        self.doc_container_no = 0

    # -- paths and errors

    def path(self, upto: int | None = None) -> str:
        names = self.names if upto is None else self.names[:upto]
        idx = self.indexes if upto is None else self.indexes[:upto]
        # an index is shown when it is above 1, and always for the element itself and
        # for the record being read; elements inside a record are not counted (no index)
        last = len(names) - 1
        rec = self.record_depth - 1 if self.record is not None else -1
        parts = [
            f"{nm}[{i}]" if (k > 0 and (i > 1 or (i == 1 and (k == last or k == rec)))) else nm
            for k, (nm, i) in enumerate(zip(names, idx, strict=True))
        ]
        return "/" + "/".join(parts)

    def fatal(self, message: str, code: str, line: int | None) -> CommerceMLError:
        return CommerceMLError(message, code, self.file, line, self.path() if self.names else None)

    def check_len(self, value: str | None, what: str, line: int | None) -> None:
        if value is not None and len(value) > self.max_text:
            raise self.fatal(
                f"{what} longer than {self.max_text} characters ({len(value)})",
                "exchange.xml.text_too_long",
                line,
            )

    # -- main loop

    def run(self) -> Iterator[Record]:
        parser_events = etree.iterparse(
            self.stream,
            events=("start", "end"),
            huge_tree=False,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            recover=False,
        )
        names, indexes, counts = self.names, self.indexes, self.counts
        max_text = self.max_text
        try:
            for event, el in parser_events:
                # fast path: elements inside a record are only tracked, the record is built at its end
                if self.record is not None and len(names) >= self.record_depth:
                    if event == "start":
                        names.append(_ln(el.tag) or "")
                        indexes.append(0)  # not counted inside records: shown without an index
                        counts.append(None)
                        for value in el.values():
                            if len(value) > max_text:
                                self.check_len(value, "attribute", el.sourceline)
                        prev = el.getprevious()
                        if prev is not None and prev.tail is not None and len(prev.tail) > max_text:
                            self.check_len(prev.tail, "text", el.sourceline)
                        self.record_nodes += 1
                        if self.record_nodes > self.max_record_nodes:
                            self.record_overflow = True
                        continue
                    if len(names) > self.record_depth:
                        text = el.text
                        if text is not None and len(text) > max_text:
                            self.check_len(text, "text", el.sourceline)
                        if len(el):
                            tail = el[-1].tail
                            if tail is not None and len(tail) > max_text:
                                self.check_len(tail, "text", el.sourceline)
                        if len(names) == self.record_depth + 1 and names[-1] == "Ид":
                            self.record_id = _t(el) or None
                        if self.record_overflow:
                            self.drop(el)
                        names.pop()
                        indexes.pop()
                        counts.pop()
                        continue
                if event == "start":
                    yield from self.on_start(el)
                else:
                    yield from self.on_end(el)
        except etree.XMLSyntaxError as exc:
            msg = str(exc.msg if getattr(exc, "msg", None) else exc)
            line = exc.lineno if exc.lineno else (exc.position[0] if exc.position else None)
            low = msg.lower()
            if "depth" in low:
                raise self.fatal(
                    f"elements nested too deeply: {msg}", "exchange.xml.too_deep", line
                ) from None
            if "too long" in low or "huge" in low or "buffer size" in low:
                raise self.fatal(
                    f"text or attribute too long: {msg}", "exchange.xml.text_too_long", line
                ) from None
            if "resource limit" in low:
                raise self.fatal(f"parser resource limit: {msg}", "exchange.xml.limit", line) from None
            if "DOCTYPE" in msg or "entity" in msg.lower() and "amplification" in msg.lower():
                raise self.fatal(msg, "exchange.xml.doctype", line) from None
            raise self.fatal(f"not well-formed XML: {msg}", "exchange.xml.malformed", line) from None

    def on_start(self, el: etree._Element) -> Iterator[Record]:
        name = _ln(el.tag) or ""
        depth = len(self.names)  # depth of this element's parent chain
        counts = self.counts[-1]
        idx = counts.get(name, 0) + 1
        counts[name] = idx
        self.names.append(name)
        self.indexes.append(idx)
        self.counts.append({})
        line = el.sourceline

        for key, value in el.attrib.items():
            self.check_len(value, f"attribute {_ln(key)}", line)
        prev = el.getprevious()
        if prev is not None:
            self.check_len(prev.tail, "text", line)

        if depth == 0:
            self.start_root(el, name, line)
            return
        parent = self.names[-2]
        grand = self.names[-3] if depth >= 2 else None

        if depth == 1:
            yield from self.start_container(el, name, line)
            if name == "Документ":
                self.begin_record("document")
            return

        if name == "Группа" and parent == "Группы" and "Классификатор" in self.names:
            parent_id = None
            if self.groups:
                top = self.groups[-1]
                parent_id = top.id
            self.groups.append(_GroupFrame(len(self.names), line, self.path(), parent_id))
            return
        if name == "Группы" and parent == "Группа" and self.groups and self.groups[-1].depth == depth:
            yield from self.emit_group(self.groups[-1])
            return

        kind = None
        if name == "Свойство" and parent == "Свойства" and grand in ("Классификатор", "Каталог"):
            kind = "property"
        elif name == "ТипЦены" and parent == "ТипыЦен" and grand in _DEFINITION_CONTAINERS:
            kind = "price_type"
        elif name == "Склад" and parent == "Склады" and grand in _DEFINITION_CONTAINERS:
            kind = "warehouse"
        elif name == "ЕдиницаИзмерения" and parent == "ЕдиницыИзмерения" and grand == "Классификатор":
            kind = "unit"
        elif name == "Товар" and parent == "Товары" and grand == "Каталог":
            kind = "product"
        elif name == "Предложение" and parent == "Предложения" and grand in _OFFER_CONTAINERS:
            kind = "offer"
        elif name == "Документ" and parent == "Контейнер" and depth == 2:
            kind = "document"
        if kind is not None:
            self.begin_record(kind)

    def begin_record(self, kind: str) -> None:
        self.record = kind
        self.record_depth = len(self.names)
        self.record_nodes = 0
        self.record_overflow = False
        self.record_id: str | None = None

    def start_root(self, el: etree._Element, name: str, line: int | None) -> None:
        if name != ROOT:
            raise self.fatal(
                f"root element is <{name}>, not <{ROOT}>: not a CommerceML file",
                "exchange.cml.not_commerceml",
                line,
            )
        docinfo = el.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise self.fatal("DOCTYPE declarations are not accepted", "exchange.xml.doctype", line)
        self.version = _attr(el, "ВерсияСхемы")
        self.generated_at = _attr(el, "ДатаФормирования")
        tag = el.tag
        self.namespace = tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else None

    def start_container(self, el: etree._Element, name: str, line: int | None) -> Iterator[Record]:
        kind = _CONTAINERS.get(name)
        if kind is None:
            return
        if kind == "documents":
            if name == "Контейнер":
                self.doc_container_no += 1
            if self.container is not None and self.container.kind == "documents":
                return  # one PackageInfo for a run of documents
        yield from self.close_container()
        only = bool(_bool(_attr(el, "СодержитТолькоИзменения"))) or name == "ИзмененияПакетаПредложений"
        self.container = _Container(kind, name, 1, line, self.path(), only)

    def package_info(self, c: _Container) -> PackageInfo:
        h = c.header
        only = c.only_changes or bool(_bool(h.get("СодержитТолькоИзменения")))
        classifier_id = h.get("ИдКлассификатора") or (h.get("Ид") if c.kind == "classifier" else None)
        catalog_id = h.get("ИдКаталога") or (h.get("Ид") if c.kind == "catalog" else None)
        return PackageInfo(
            kind=c.kind,
            only_changes=only,
            version=self.version,
            generated_at=self.generated_at,
            id=h.get("Ид") if c.kind != "documents" else None,
            name=h.get("Наименование") if c.kind != "documents" else None,
            classifier_id=classifier_id,
            catalog_id=catalog_id,
            price_types=tuple(c.price_types),
            warehouses=tuple(c.warehouses),
            namespace=self.namespace,
            line=c.line,
            path=c.path,
        )

    def ensure_package(self) -> Iterator[Record]:
        c = self.container
        if c is not None and not c.emitted:
            c.emitted = True
            yield self.package_info(c)
            pending, c.pending = c.pending, []
            yield from pending

    def close_container(self) -> Iterator[Record]:
        yield from self.ensure_package()
        self.container = None

    def emit_group(self, g: _GroupFrame) -> Iterator[Record]:
        if g.emitted:
            return
        g.emitted = True
        yield from self.ensure_package()
        if not g.id:
            yield ErrorRec("exchange.cml.missing_id", "group without Ид", g.line, g.path, None, "Группа")
            return
        yield Group(id=g.id, name=g.name, parent_id=g.parent_id, deleted=g.deleted, line=g.line, path=g.path)

    def on_end(self, el: etree._Element) -> Iterator[Record]:
        line = el.sourceline
        self.check_len(el.text, "text", line)
        if len(el):
            self.check_len(el[-1].tail, "text", line)
        name = self.names[-1]
        depth = len(self.names)

        if self.record is not None and depth == self.record_depth:
            kind, self.record = self.record, None
            if self.record_overflow:
                rec: Record = ErrorRec(
                    "exchange.cml.record_too_large",
                    f"<{name}> has more than {self.max_record_nodes} elements",
                    line,
                    self.path(),
                    self.record_id,
                    name,
                )
            else:
                rec = self.build(kind, el, line)
            c = self.container
            if (
                isinstance(rec, (PriceTypeRec, WarehouseRec, UnitRec))
                and c is not None
                and not c.emitted
                and len(c.pending) < MAX_PENDING
            ):
                # definitions go into the PackageInfo and come out right after it
                if isinstance(rec, PriceTypeRec):
                    c.price_types.append(rec)
                elif isinstance(rec, WarehouseRec):
                    c.warehouses.append(rec)
                c.pending.append(rec)
            else:
                yield from self.ensure_package()
                yield rec
            self.drop(el)
            self.pop()
            return

        # outside any record: groups, container headers, containers
        parent = self.names[-2] if depth >= 2 else None
        if self.groups:
            g = self.groups[-1]
            if depth == g.depth:
                self.groups.pop()
                yield from self.emit_group(g)
            elif depth == g.depth + 1 and parent == "Группа":
                if name == "Ид":
                    g.id = _t(el)
                elif name == "Наименование":
                    g.name = _t(el)
                elif name == "ПометкаУдаления":
                    g.deleted = bool(_bool(_t(el)))
                elif name == "Статус":
                    g.deleted = (_t(el) or "").lower() in ("удален", "удалён")
        c = self.container
        if c is not None and depth == 3 and name in _HEADER_FIELDS:
            c.header[name] = _t(el) or ""
        if depth == 2 and c is not None and c.kind != "documents":
            yield from self.close_container()
        if depth == 1:
            yield from self.close_container()
        self.drop(el)
        self.pop()

    def pop(self) -> None:
        self.names.pop()
        self.indexes.pop()
        self.counts.pop()

    @staticmethod
    def drop(el: etree._Element) -> None:
        el.clear(keep_tail=True)
        parent = el.getparent()
        if parent is not None:
            while el.getprevious() is not None:
                del parent[0]

    # -- record builders

    def build(self, kind: str, el: etree._Element, line: int | None) -> Record:
        path = self.path()
        try:
            return getattr(self, f"build_{kind}")(el, line, path)
        except _Bad as bad:
            return ErrorRec(bad.code, bad.message, line, path, _kt(el, "Ид") or None, _ln(el.tag))

    @staticmethod
    def need_id(el: etree._Element) -> str:
        ident = _kt(el, "Ид")
        if not ident:
            raise _Bad("exchange.cml.missing_id", f"<{_ln(el.tag)}> without Ид")
        return ident

    def build_property(self, el: etree._Element, line: int | None, path: str) -> Property:
        values: dict[str, str] = {}
        variants = _kid(el, "ВариантыЗначений")
        if variants is not None:
            for ref in _kids(variants, "Справочник"):
                vid = _kt(ref, "ИдЗначения")
                if vid:
                    values[vid] = _kt(ref, "Значение") or ""
        return Property(
            id=self.need_id(el),
            name=_kt(el, "Наименование"),
            type=_kt(el, "ТипЗначений"),
            values=values,
            for_products=_bool(_kt(el, "ДляТоваров")),
            deleted=_deleted(el),
            line=line,
            path=path,
        )

    def build_price_type(self, el: etree._Element, line: int | None, path: str) -> PriceTypeRec:
        tax = _kid(el, "Налог")
        return PriceTypeRec(
            id=self.need_id(el),
            name=_kt(el, "Наименование"),
            currency=_kt(el, "Валюта"),
            vat_included=_bool(_kt(tax, "УчтеноВСумме")) if tax is not None else None,
            tax_name=_kt(tax, "Наименование") if tax is not None else None,
            deleted=_deleted(el),
            line=line,
            path=path,
        )

    def build_warehouse(self, el: etree._Element, line: int | None, path: str) -> WarehouseRec:
        return WarehouseRec(
            id=self.need_id(el),
            name=_kt(el, "Наименование"),
            address=_kt(el, "Адрес", "Представление"),
            comment=_kt(el, "Комментарий"),
            deleted=_deleted(el),
            line=line,
            path=path,
        )

    def build_unit(self, el: etree._Element, line: int | None, path: str) -> UnitRec:
        code = _kt(el, "Код")
        ident = _kt(el, "Ид")
        if not code and not ident:
            raise _Bad("exchange.cml.missing_id", "<ЕдиницаИзмерения> without Код and Ид")
        return UnitRec(
            code=code or None,
            name=_kt(el, "НаименованиеКраткое"),
            full_name=_kt(el, "НаименованиеПолное"),
            id=ident or None,
            international_abbr=_kt(el, "МеждународноеСокращение"),
            deleted=_deleted(el),
            line=line,
            path=path,
        )

    def build_product(self, el: etree._Element, line: int | None, path: str) -> ProductRec:
        ident = self.need_id(el)
        product_id, characteristic_id = split_variant_id(ident)
        unit_code, unit_name, unit_full = _unit(_kid(el, "БазоваяЕдиница"))
        groups = _kid(el, "Группы")
        props: dict[str, str | tuple[str, ...]] = {}
        box = _kid(el, "ЗначенияСвойств")
        if box is not None:
            for pv in _kids(box, "ЗначенияСвойства"):
                pid = _kt(pv, "Ид")
                if not pid:
                    continue
                vals = [(_t(v) or "") for v in _kids(pv, "Значение")]
                new: list[str] = vals if vals else [""]
                old = props.get(pid)
                if old is not None:
                    new = (list(old) if isinstance(old, tuple) else [old]) + new
                props[pid] = new[0] if len(new) == 1 else tuple(new)
        barcodes = [b for b in (_t(x) for x in _kids(el, "Штрихкод")) if b]
        return ProductRec(
            id=ident,
            article=_kt(el, "Артикул") or None,
            barcode=barcodes[0] if barcodes else None,
            name=_kt(el, "Наименование"),
            full_name=_kt(el, "ПолноеНаименование"),
            unit_code=unit_code,
            unit_name=unit_name,
            unit_full_name=unit_full,
            group_ids=tuple(g for g in (_t(x) for x in _kids(groups, "Ид")) if g)
            if groups is not None
            else (),
            description=_kt(el, "Описание"),
            properties=props,
            requisites=_pairs(el, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение"),
            tax_rates=_pairs(el, "СтавкиНалогов", "СтавкаНалога", "Наименование", "Ставка"),
            images=tuple(i for i in (_t(x) for x in _kids(el, "Картинка")) if i),
            characteristics=_characteristics(el),
            manufacturer=_kt(el, "Изготовитель", "Наименование"),
            deleted=_deleted(el),
            product_id=product_id,
            characteristic_id=characteristic_id,
            line=line,
            path=path,
        )

    def build_offer(self, el: etree._Element, line: int | None, path: str) -> OfferRec:
        ident = self.need_id(el)
        product_id, characteristic_id = split_variant_id(ident)
        prices: list[Price] = []
        box = _kid(el, "Цены")
        if box is not None:
            for p in _kids(box, "Цена"):
                value = _num(_kt(p, "ЦенаЗаЕдиницу"), "ЦенаЗаЕдиницу")
                if value is None:
                    raise _Bad("exchange.cml.bad_number", "Цена without ЦенаЗаЕдиницу")
                prices.append(
                    Price(
                        price_type_id=_kt(p, "ИдТипаЦены") or None,
                        value=value,
                        currency=_kt(p, "Валюта") or None,
                        unit=_kt(p, "Единица") or None,
                        ratio=_num(_kt(p, "Коэффициент"), "Коэффициент"),
                    )
                )
        quantity = _num(_kt(el, "Количество"), "Количество")
        stock: list[StockRow] = []
        for s in _kids(el, "Склад"):
            wid = _attr(s, "ИдСклада")
            if wid and wid.strip():
                qty = _num(_attr(s, "КоличествоНаСкладе"), "КоличествоНаСкладе")
                stock.append(StockRow(wid.strip(), qty))
            elif _kt(s, "Ид"):  # element form: <Склад><Ид/><Количество/></Склад>
                stock.append(StockRow(_kt(s, "Ид"), _num(_kt(s, "Количество"), "Количество")))
        rests = _kid(el, "Остатки")
        if rests is not None:
            for rest in _kids(rests, "Остаток"):
                wh = _kid(rest, "Склад")
                if wh is not None:
                    wid = _kt(wh, "Ид")
                    if wid:
                        stock.append(StockRow(wid, _num(_kt(wh, "Количество"), "Количество")))
                    continue
                total = _num(_kt(rest, "Количество"), "Количество")
                if total is not None:
                    quantity = total if quantity is None else quantity
        unit_code, unit_name, _full = _unit(_kid(el, "БазоваяЕдиница"))
        return OfferRec(
            id=ident,
            product_id=product_id,
            characteristic_id=characteristic_id,
            name=_kt(el, "Наименование"),
            article=_kt(el, "Артикул") or None,
            barcode=_kt(el, "Штрихкод") or None,
            unit_code=unit_code,
            unit_name=unit_name,
            prices=tuple(prices),
            quantity=quantity,
            stock=tuple(stock),
            characteristics=_characteristics(el),
            deleted=_deleted(el),
            line=line,
            path=path,
        )

    def build_document(self, el: etree._Element, line: int | None, path: str) -> DocumentRec:
        requisites = _pairs(el, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение")
        parties: list[Counterparty] = []
        box = _kid(el, "Контрагенты")
        if box is not None:
            for cp in _kids(box, "Контрагент"):
                parties.append(_counterparty(cp))
        lines: list[DocumentLine] = []
        goods = _kid(el, "Товары")
        if goods is not None:
            for item in _kids(goods, "Товар"):
                lines.append(_document_line(item))
        discount, _ = _discounts(el)
        vat_amount, _rate, _incl = _taxes(el)
        deleted = _bool(_kt(el, "ПометкаУдаления"))
        if deleted is None:
            deleted = _bool(requisites.get("ПометкаУдаления"))
        in_container = len(self.names) >= 2 and self.names[1] == "Контейнер"
        return DocumentRec(
            id=_kt(el, "Ид") or None,
            number=_kt(el, "Номер"),
            date=_kt(el, "Дата"),
            time=_kt(el, "Время"),
            operation=_kt(el, "ХозОперация"),
            role=_kt(el, "Роль"),
            currency=_kt(el, "Валюта"),
            rate=_num(_kt(el, "Курс"), "Курс"),
            total=_num(_kt(el, "Сумма"), "Сумма"),
            comment=_kt(el, "Комментарий"),
            number_1c=_kt(el, "Номер1С") or requisites.get("Номер по 1С") or None,
            date_1c=_kt(el, "Дата1С") or requisites.get("Дата по 1С") or None,
            deleted=bool(deleted),
            counterparties=tuple(parties),
            lines=tuple(lines),
            requisites=requisites,
            discount=discount,
            vat_amount=vat_amount,
            container=self.doc_container_no if in_container else None,
            line=line,
            path=path,
        )


def _counterparty(cp: etree._Element) -> Counterparty:
    address = None
    for box in ("АдресРегистрации", "ЮридическийАдрес", "Адрес"):
        address = _kt(cp, box, "Представление")
        if address:
            break
    contacts: list[tuple[str, str]] = []
    box_el = _kid(cp, "Контакты")
    if box_el is not None:
        for ct in _kids(box_el, "Контакт"):
            contacts.append((_kt(ct, "Тип") or "", _kt(ct, "Значение") or ""))
    reps: list[tuple[str | None, str | None, str | None]] = []
    reps_el = _kid(cp, "Представители")
    if reps_el is not None:
        for rep in _kids(reps_el, "Представитель"):
            inner = _kid(rep, "Контрагент")
            src = inner if inner is not None else rep
            reps.append((_kt(src, "Отношение"), _kt(src, "Ид"), _kt(src, "Наименование")))
    org = _kid(cp, "Организация")
    if org is None:
        org = _kid(cp, "ЮридическоеЛицо")
    base = org if org is not None else cp
    return Counterparty(
        id=_kt(cp, "Ид") or None,
        name=_kt(cp, "Наименование") or _kt(base, "Наименование"),
        full_name=_kt(cp, "ПолноеНаименование") or _kt(base, "ОфициальноеНаименование"),
        last_name=_kt(cp, "Фамилия"),
        first_name=_kt(cp, "Имя"),
        middle_name=_kt(cp, "Отчество"),
        inn=_kt(cp, "ИНН") or _kt(base, "ИНН") or None,
        kpp=_kt(cp, "КПП") or _kt(base, "КПП") or None,
        okpo=_kt(cp, "КодПоОКПО") or _kt(cp, "ОКПО") or None,
        role=_kt(cp, "Роль"),
        address=address or None,
        contacts=tuple(contacts),
        representatives=tuple(reps),
        deleted=bool(_bool(_kt(cp, "ПометкаУдаления"))),
    )


def _discounts(el: etree._Element) -> tuple[Decimal | None, bool | None]:
    box = _kid(el, "Скидки")
    if box is None:
        return None, None
    total: Decimal | None = None
    included = None
    for d in _kids(box, "Скидка"):
        amount = _num(_kt(d, "Сумма"), "Скидка/Сумма")
        if amount is not None:
            total = (total or Decimal(0)) + amount
        included = _bool(_kt(d, "УчтеноВСумме")) if included is None else included
    return total, included


def _taxes(el: etree._Element) -> tuple[Decimal | None, str | None, bool | None]:
    """Налоги/Налог -> (VAT amount, VAT rate text, included in sum)."""
    box = _kid(el, "Налоги")
    if box is None:
        return None, None, None
    amount: Decimal | None = None
    rate = None
    included = None
    for tax in _kids(box, "Налог"):
        name = (_kt(tax, "Наименование") or "").upper()
        if name and name != "НДС":
            continue
        value = _num(_kt(tax, "Сумма"), "Налог/Сумма")
        if value is not None:
            amount = (amount or Decimal(0)) + value
        rate = rate or _kt(tax, "Ставка") or None
        included = _bool(_kt(tax, "УчтеноВСумме")) if included is None else included
    return amount, rate, included


def _document_line(item: etree._Element) -> DocumentLine:
    ident = _kt(item, "Ид") or None
    _product, characteristic = split_variant_id(ident)
    unit_el = _kid(item, "БазоваяЕдиница")
    if unit_el is None:
        unit_el = _kid(item, "Единица")
    unit_code, unit_name, _full = _unit(unit_el)
    if unit_el is not None and _ln(unit_el.tag) == "Единица" and unit_code is None:
        unit_code = (_kt(unit_el, "Ид") or "").strip() or None
    discount, _ = _discounts(item)
    vat_amount, vat_rate, vat_included = _taxes(item)
    rates = _pairs(item, "СтавкиНалогов", "СтавкаНалога", "Наименование", "Ставка")
    if vat_rate is None:
        vat_rate = rates.get("НДС") or next(iter(rates.values()), None)
    price_text = _kt(item, "ЦенаЗаЕдиницу")
    if price_text is None:
        price_text = _kt(item, "Цена")
    return DocumentLine(
        product_id=ident,
        characteristic_id=characteristic,
        catalog_id=_kt(item, "ИдКаталога") or None,
        name=_kt(item, "Наименование"),
        article=_kt(item, "Артикул") or None,
        unit_code=unit_code,
        unit_name=unit_name,
        ratio=_num(_kt(item, "Коэффициент"), "Коэффициент"),
        quantity=_num(_kt(item, "Количество"), "Количество"),
        price=_num(price_text, "Цена"),
        amount=_num(_kt(item, "Сумма"), "Сумма"),
        discount=discount,
        vat_rate=vat_rate,
        vat_amount=vat_amount,
        vat_included=vat_included,
        requisites=_pairs(item, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение"),
        characteristics=_characteristics(item),
    )
