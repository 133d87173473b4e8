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
import re
from collections.abc import Iterator
from contextlib import contextmanager
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

__all__ = ["read", "check", "MAX_TEXT", "MAX_RECORD_NODES"]

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


def _children(el: etree._Element, repeated: tuple[str, ...] = ()
              ) -> tuple[dict[str | None, etree._Element], dict[str, list[etree._Element]]]:
    """One pass over the children: local name -> first child of that name, and for each name in `repeated`
    every child of that name, in order."""
    first: dict[str | None, etree._Element] = {}
    every: dict[str, list[etree._Element]] = {name: [] for name in repeated}
    cache = _LN_CACHE
    for ch in el:
        tag = ch.tag
        name = cache.get(tag) or _ln(tag)
        if name not in first:
            first[name] = ch
        if name in every:
            every[name].append(ch)
    return first, every


def _index(el: etree._Element) -> dict[str | None, etree._Element]:
    """Local name -> first child of that name: one pass over the children instead of a scan per lookup."""
    return _children(el)[0]


def _texts(el: etree._Element) -> dict[str | None, str]:
    """Local name -> stripped text of the first child of that name (what :func:`_it` gives from an
    :func:`_index` map), in one pass and without keeping the children."""
    out: dict[str | None, str] = {}
    cache = _LN_CACHE
    for ch in el:
        tag = ch.tag
        name = cache.get(tag) or _ln(tag)
        if name not in out:
            out[name] = (ch.text or "").strip()
    return out


def _it(kids: dict, name: str) -> str | None:
    """Text of the child ``name`` from an :func:`_index` map (stripped; None when absent)."""
    el = kids.get(name)
    if el is None:
        return None
    return (el.text or "").strip()


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
    value = el.get(name)  # the usual case: an attribute without a namespace
    if value is not None:
        return value
    for key in el.keys():
        if key[:1] == "{" and _ln(key) == name:
            return el.get(key)
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


def _deleted(el: etree._Element, kids: dict | None = None) -> bool:
    if kids is None:
        kids = _index(el)
    if _bool(_it(kids, "ПометкаУдаления")):
        return True
    status = _attr(el, "Статус") or _it(kids, "Статус")
    return bool(status) and status.strip().lower() in ("удален", "удалён")  # type: ignore[union-attr]  # bool(status) first


def _pairs(el: etree._Element | None, list_name: str, item: str, key: str, value: str,
           kids: dict | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    if kids is not None:
        box = kids.get(list_name)
    else:
        box = _kid(el, list_name) if el is not None else None
    if box is None:
        return out
    for it in _kids(box, item):
        pair = _texts(it)
        k = pair.get(key)
        if k:
            out[k] = pair.get(value) or ""
    return out


def _characteristics(el: etree._Element, kids: dict | None = None) -> tuple[tuple[str, str], ...]:
    box = kids.get("ХарактеристикиТовара") if kids is not None else _kid(el, "ХарактеристикиТовара")
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
        verdict, _root = _scan_prolog(buf, final=not chunk)
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


def _scan_prolog(buf: bytes, final: bool) -> tuple[str, int | None]:
    """'ok' (root element reached or not XML at all: lxml will complain), 'doctype', or 'more'; with 'ok',
    the byte offset of the root's "<" when it was found in an ASCII-compatible encoding (else None)."""
    offset: int | None = 0
    if buf.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = buf.decode("utf-16", errors="ignore")
        offset = None   # characters are not bytes here
    elif buf.startswith(b"\xef\xbb\xbf"):
        text = buf[3:].decode("latin-1")
        offset = 3
    else:
        text = buf.decode("latin-1")  # every ASCII-compatible encoding (UTF-8, windows-1251) works here
    text = text.lstrip("\ufeff")
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return ("ok" if final else "more"), None
        if text[i] != "<":
            return "ok", None
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
            if end < 0:
                return ("ok" if final else "more"), None
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return ("ok" if final else "more"), None
            i = end + 3
        elif text.startswith("<!", i):
            return "doctype", None
        elif n - i < 2:
            return ("ok" if final else "more"), None
        else:
            return "ok", (i + offset if offset is not None else None)


# The root's start tag, attribute by attribute (a quoted value may hold ">").
_START_TAG = re.compile(rb"""<[^\s/>]+((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*/?>""")
_ATTRIBUTE = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")
MAX_ROOT_TAG = 65536  # bytes of the root's start tag searched for its default namespace


def _strip_default_namespace(buf: bytes, raw: IO[bytes]) -> tuple[bytes, str | None]:
    """Blank out the root's default namespace declaration (``xmlns="urn:1C.ru:commerceml_2"``) in the bytes
    the parser will see; returns them and the namespace URI (None when there was none or it stayed).

    The reader ignores namespaces; without a default one lxml hands out plain local names instead of
    building a "{urn...}name" string for every element it is asked about, which is a good part of what
    turning elements into records costs. The declaration becomes spaces, so lines and columns stay;
    prefixed declarations and any namespace declared further down are left alone (read by local name).
    """
    _verdict, start = _scan_prolog(buf, final=True)
    if start is None:
        return buf, None
    while True:
        match = _START_TAG.match(buf, start)
        if match is not None:
            break
        if len(buf) - start > MAX_ROOT_TAG:
            return buf, None
        chunk = raw.read(65536)
        if not chunk:
            return buf, None
        buf += chunk
    for attr in _ATTRIBUTE.finditer(buf, match.start(1), match.end(1)):
        if attr.group(1) == b"xmlns":
            uri = attr.group(2)[1:-1]
            blank = bytes(b if b in b"\r\n" else 32 for b in buf[attr.start():attr.end()])
            return buf[:attr.start()] + blank + buf[attr.end():], uri.decode("utf-8", errors="replace") or None
    return buf, None


def _syntax_error(exc: etree.XMLSyntaxError, file: str | None, path: str | None) -> CommerceMLError:
    """libxml2's complaint -> our CommerceMLError with a stable code."""
    msg = str(exc.msg if getattr(exc, "msg", None) else exc)
    line = exc.lineno if exc.lineno else (exc.position[0] if exc.position else None)
    low = msg.lower()
    if "depth" in low:
        return CommerceMLError(f"elements nested too deeply: {msg}", "exchange.xml.too_deep", file, line, path)
    if "too long" in low or "huge" in low or "buffer size" in low:
        return CommerceMLError(f"text or attribute too long: {msg}", "exchange.xml.text_too_long", file, line, path)
    if "resource limit" in low:
        return CommerceMLError(f"parser resource limit: {msg}", "exchange.xml.limit", file, line, path)
    if "DOCTYPE" in msg or "entity" in msg.lower() and "amplification" in msg.lower():
        return CommerceMLError(msg, "exchange.xml.doctype", file, line, path)
    return CommerceMLError(f"not well-formed XML: {msg}", "exchange.xml.malformed", file, line, path)


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


@contextmanager
def _opened(source: str | os.PathLike[str] | bytes | IO[bytes]) -> Iterator[tuple[IO[bytes], str | None]]:
    """The source as a binary stream and the file name errors should name; a path is opened and closed here."""
    if isinstance(source, (bytes, bytearray)):
        yield io.BytesIO(bytes(source)), None
    elif isinstance(source, (str, os.PathLike)):
        file = os.fspath(source)
        with open(file, "rb") as raw:
            yield raw, file
    else:
        name = getattr(source, "name", None)
        yield source, name if isinstance(name, str) else None


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
    with _opened(source) as (raw, file):
        prefix, namespace = _strip_default_namespace(_check_prolog(raw, file), raw)
        reader = _Reader(_Prefixed(prefix, raw), file, max_text, max_record_nodes)  # type: ignore[arg-type]  # a raw binary stream: read() is all _Reader asks
        reader.namespace = namespace
        yield from reader.run()


_FEED = 1 << 16   # bytes fed to check()'s parser between two prunings of its tree


def _prune(root: etree._Element) -> None:
    """Drop every finished element of a tree still being parsed: only the open path (the last child at
    each level, where libxml2 goes on appending) is kept, so memory stays flat however long the file."""
    el = root
    while len(el):
        if len(el) > 1:
            del el[:-1]
        el = el[-1]


# Encodings in which the byte 0x3C is always "<" and a character takes at least one byte.
_ASCII_COMPATIBLE = ("utf-8", "utf8", "windows-125", "cp125", "koi8", "iso-8859", "latin", "us-ascii", "ascii")


def check(source: str | os.PathLike[str] | bytes | IO[bytes], *, max_text: int = MAX_TEXT) -> None:
    """Raise the :class:`CommerceMLError` a full :func:`read` of ``source`` would raise for a broken or
    hostile file (DOCTYPE, not well-formed, text or attribute over ``max_text``), at a fraction of its cost.

    Used before writing anything of a file, so a file broken at its end writes nothing. The same
    prolog check and hardened parser options as :func:`read`; libxml2 parses into a target that only
    counts nesting depth (no tree, no element objects). The text cap is checked on the raw bytes: in an
    ASCII-compatible encoding a text node or attribute value cannot hold a literal "<" (CDATA aside)
    and no character is shorter than a byte, so no run of more than ``max_text`` bytes without "<"
    means no over-long text. Anything this cheap test cannot rule out (such a run, a CDATA section,
    another encoding) is settled by a full :func:`read`.
    """
    with _opened(source) as (raw, file):
        prefix = _check_prolog(raw, file)
        if not _scan_bytes(prefix, raw, file, max_text):
            raw.seek(0)
            for _rec in read(raw, max_text=max_text):
                pass


def _scan_bytes(prefix: bytes, raw: IO[bytes], file: str | None, max_text: int) -> bool:
    """Parse (keeping no finished element) and look for long runs without "<"; False when only a full read
    can tell."""
    head = prefix[:200].lower()
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return False
    declared = head.partition(b"encoding=")[2][1:].split(b'"')[0].split(b"'")[0].decode("latin-1")
    if head.startswith(b"<?xml") and b"encoding=" in head and not declared.startswith(_ASCII_COMPATIBLE):
        return False
    # The only event asked for is the root's start (matched in C; no other element gets a Python object):
    # from the root down, the finished elements are pruned after every chunk.
    parser = etree.XMLPullParser(events=("start",), tag="{*}" + ROOT, huge_tree=False, resolve_entities=False,
                                 no_network=True, load_dtd=False, dtd_validation=False, remove_comments=True,
                                 remove_pis=True, recover=False)
    root = None
    fed, root_by = 0, len(prefix) + (1 << 16) + max_text + 2
    run = 0  # bytes since the last "<"
    chunk = prefix
    # Chunks no longer than max_text + 2 cannot hold a longer run between two of their "<": then only the
    # runs at their edges are measured, without splitting the chunk.
    step = min(1 << 20, max(max_text + 2, 1 << 16))
    try:
        while chunk:
            if b"CDATA[" in chunk:
                return False
            first = chunk.find(b"<")
            if first < 0:
                run += len(chunk)
            else:
                if run + first > max_text:
                    return False
                if len(chunk) > max_text + 2:
                    parts = chunk.split(b"<")
                    if max(map(len, parts[1:-1]), default=0) > max_text:
                        return False
                run = len(chunk) - chunk.rfind(b"<") - 1
            if run > max_text:
                return False
            for start in range(0, len(chunk), _FEED):   # pruned every _FEED bytes: a small tree at any time
                piece = chunk[start:start + _FEED]
                parser.feed(piece)
                fed += len(piece)
                if root is None:
                    for _event, el in parser.read_events():
                        root = el
                        break
                    if root is None and fed > root_by:
                        # The root's start tag is complete by now (it cannot run past max_text without a "<"),
                        # and it is not a CommerceML one: read() refuses it at once.
                        return False
                else:
                    for _event in parser.read_events():   # a nested element of the root's name: nothing to do
                        pass
                if root is not None:
                    _prune(root)
            chunk = raw.read(step)
            if chunk and b"CDATA[" in prefix[-8:] + chunk[:8]:
                return False
            prefix = chunk
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, file, None) from None
    return root is not None   # another root: read() refuses it at once


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
        self.record_el: etree._Element | None = None
        self.record_path = ""
        self.inner = 0  # depth inside the record being read (its descendants are not on the stacks)
        self.prefix: str | None = None  # path of the current record's parent, kept while siblings follow
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
        max_text = self.max_text
        max_nodes = self.max_record_nodes
        try:
            for event, el in parser_events:
                # Fast path: elements inside a record are only counted; the record is built (and its
                # texts and attributes checked against the cap) at its end. No per-element stack work:
                # this loop sees every element of the file, so each line here costs per element.
                if self.record is not None:
                    if event == "start":
                        self.inner += 1
                        self.record_nodes += 1
                        if self.record_nodes > max_nodes and not self.record_overflow:
                            self.overflow(el)
                        continue
                    if self.inner:
                        self.inner -= 1
                        if self.record_overflow:
                            # oversized record: check what is about to be dropped, keep only its Ид
                            self.check_dropped(el, max_text)
                            if self.inner == 0 and _ln(el.tag) == "Ид":
                                self.record_id = _t(el) or None
                            self.drop(el)
                        continue
                if event == "start":
                    yield from self.on_start(el)
                else:
                    yield from self.on_end(el)
        except etree.XMLSyntaxError as exc:
            raise _syntax_error(exc, self.file, self.path() if self.names else None) from None

    def overflow(self, el: etree._Element) -> None:
        """The record grew past max_record_nodes: from now on its elements are dropped as they end."""
        self.record_overflow = True
        rec_el = self.record_el
        if rec_el is not None:
            for ch in rec_el:
                if _ln(ch.tag) == "Ид":
                    self.record_id = _t(ch) or None
                    break

    def check_dropped(self, el: etree._Element, max_text: int) -> None:
        for value in el.values():
            if len(value) > max_text:
                self.check_len(value, "attribute", el.sourceline)
        text = el.text
        if text is not None and len(text) > max_text:
            self.check_len(text, "text", el.sourceline)
        tail = el.tail
        if tail is not None and len(tail) > max_text:
            self.check_len(tail, "text", el.sourceline)

    def check_record(self, el: etree._Element) -> None:
        """Every text, tail and attribute inside a finished record against the cap (libxml2's own 10 MB
        limit bounds what a single node can hold before this runs)."""
        max_text = self.max_text
        # Serialized (escaped, UTF-8), the record is at least as long as any text, tail or attribute value
        # in it is in characters: when that is within the cap, so is each of them, and no walk is needed.
        if len(etree.tostring(el, encoding="utf-8", with_tail=False)) <= max_text:
            return
        for e in el.iter():
            text = e.text
            if text is not None and len(text) > max_text:
                self.fatal_inside(el, e, "text", len(text))
            if e is not el:
                tail = e.tail
                if tail is not None and len(tail) > max_text:
                    self.fatal_inside(el, e.getparent(), "text", len(tail))
            if e.attrib:
                for value in e.values():
                    if len(value) > max_text:
                        self.fatal_inside(el, e, "attribute", len(value))

    def fatal_inside(self, rec_el: etree._Element, e: etree._Element, what: str, size: int) -> None:
        names = []
        node = e
        while node is not None and node is not rec_el:
            names.append(_ln(node.tag) or "")
            node = node.getparent()
        path = self.record_path + "".join("/" + n for n in reversed(names))
        raise CommerceMLError(f"{what} longer than {self.max_text} characters ({size})",
                              "exchange.xml.text_too_long", self.file, e.sourceline, path)

    def on_start(self, el: etree._Element) -> Iterator[Record]:
        name = _ln(el.tag) or ""
        depth = len(self.names)  # depth of this element's parent chain
        counts = self.counts[-1]
        idx = counts.get(name, 0) + 1  # type: ignore[union-attr]  # an open element's counts are a dict
        counts[name] = idx  # type: ignore[index]  # an open element's counts are a dict
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
            self.prefix = None
            yield from self.start_container(el, name, line)
            if name == "Документ":
                self.begin_record("document", el)
            return

        if name == "Группа" and parent == "Группы" and "Классификатор" in self.names:
            parent_id = None
            if self.groups:
                top = self.groups[-1]
                parent_id = top.id
            self.groups.append(_GroupFrame(len(self.names), line, self.path(), parent_id))
            self.prefix = None
            return
        if name == "Группы" and parent == "Группа" and self.groups and self.groups[-1].depth == depth:
            self.prefix = None
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
            self.begin_record(kind, el)
        else:
            self.prefix = None

    def begin_record(self, kind: str, el: etree._Element) -> None:
        self.record = kind
        self.record_depth = len(self.names)
        self.record_nodes = 0
        self.record_overflow = False
        self.record_id = None
        self.record_el = el
        self.inner = 0
        # The record's path: its parent's part is computed once for a run of sibling records.
        if self.prefix is None:
            names, idx = self.names, self.indexes
            self.prefix = "/" + "/".join(f"{names[k]}[{idx[k]}]" if k > 0 and idx[k] > 1 else names[k]
                                         for k in range(len(names) - 1))
        self.record_path = f"{self.prefix}/{self.names[-1]}[{self.indexes[-1]}]"

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
        if isinstance(tag, str) and tag.startswith("{"):   # else the declaration read() took away, if any
            self.namespace = tag[1:].partition("}")[0]

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
            self.record_el = None
            if self.record_overflow:
                rec: Record = ErrorRec(
                    "exchange.cml.record_too_large",
                    f"<{name}> has more than {self.max_record_nodes} elements",
                    line,
                    self.record_path,
                    self.record_id,
                    name,
                )
            else:
                self.check_record(el)
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
        self.prefix = None
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
        path = self.record_path
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
        # One pass over the children: the first of each name, and every barcode and picture.
        kids, every = _children(el, ("Штрихкод", "Картинка"))
        barcodes = [text for ch in every["Штрихкод"] if (text := (ch.text or "").strip())]
        images = [text for ch in every["Картинка"] if (text := (ch.text or "").strip())]
        ident = _it(kids, "Ид")
        if not ident:
            raise _Bad("exchange.cml.missing_id", f"<{_ln(el.tag)}> without Ид")
        product_id, characteristic_id = split_variant_id(ident)
        unit_code, unit_name, unit_full = _unit(kids.get("БазоваяЕдиница"))
        groups = kids.get("Группы")
        props: dict[str, str | tuple[str, ...]] = {}
        box = kids.get("ЗначенияСвойств")
        if box is not None:
            for pv in _kids(box, "ЗначенияСвойства"):
                pid = None
                vals: list[str] = []
                for ch in pv:  # Ид and every Значение, in one pass
                    name = _ln(ch.tag)
                    if name == "Значение":
                        vals.append((ch.text or "").strip())
                    elif name == "Ид" and pid is None:
                        pid = (ch.text or "").strip()
                if not pid:
                    continue
                new: list[str] = vals if vals else [""]
                old = props.get(pid)
                if old is not None:
                    new = (list(old) if isinstance(old, tuple) else [old]) + new
                props[pid] = new[0] if len(new) == 1 else tuple(new)
        maker = kids.get("Изготовитель")
        return ProductRec(
            id=ident,
            article=_it(kids, "Артикул") or None,
            barcode=barcodes[0] if barcodes else None,
            name=_it(kids, "Наименование"),
            full_name=_it(kids, "ПолноеНаименование"),
            unit_code=unit_code,
            unit_name=unit_name,
            unit_full_name=unit_full,
            group_ids=tuple(g for g in (_t(x) for x in _kids(groups, "Ид")) if g)
            if groups is not None
            else (),
            description=_it(kids, "Описание"),
            properties=props,
            requisites=_pairs(el, "ЗначенияРеквизитов", "ЗначениеРеквизита", "Наименование", "Значение", kids),
            tax_rates=_pairs(el, "СтавкиНалогов", "СтавкаНалога", "Наименование", "Ставка", kids),
            images=tuple(images),
            characteristics=_characteristics(el, kids),
            manufacturer=_kt(maker, "Наименование") if maker is not None else None,
            deleted=_deleted(el, kids),
            product_id=product_id,
            characteristic_id=characteristic_id,
            line=line,
            path=path,
        )

    def build_offer(self, el: etree._Element, line: int | None, path: str) -> OfferRec:
        # One pass over the children: the first of each name, and every Склад (stock per warehouse).
        kids, every = _children(el, ("Склад",))
        stores = every["Склад"]
        ident = _it(kids, "Ид")
        if not ident:
            raise _Bad("exchange.cml.missing_id", f"<{_ln(el.tag)}> without Ид")
        product_id, characteristic_id = split_variant_id(ident)
        prices: list[Price] = []
        box = kids.get("Цены")
        if box is not None:
            for p in _kids(box, "Цена"):
                pt = _texts(p)
                value = _num(pt.get("ЦенаЗаЕдиницу"), "ЦенаЗаЕдиницу")
                if value is None:
                    raise _Bad("exchange.cml.bad_number", "Цена without ЦенаЗаЕдиницу")
                prices.append(
                    Price(
                        price_type_id=pt.get("ИдТипаЦены") or None,
                        value=value,
                        currency=pt.get("Валюта") or None,
                        unit=pt.get("Единица") or None,
                        ratio=_num(pt.get("Коэффициент"), "Коэффициент"),
                    )
                )
        quantity = _num(_it(kids, "Количество"), "Количество")
        stock: list[StockRow] = []
        for s in stores:
            wid = _attr(s, "ИдСклада")
            if wid and wid.strip():
                qty = _num(_attr(s, "КоличествоНаСкладе"), "КоличествоНаСкладе")
                stock.append(StockRow(wid.strip(), qty))
            elif _kt(s, "Ид"):  # element form: <Склад><Ид/><Количество/></Склад>
                stock.append(StockRow(_kt(s, "Ид"), _num(_kt(s, "Количество"), "Количество")))  # type: ignore[arg-type]  # tested on the line above
        rests = kids.get("Остатки")
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
        unit_code, unit_name, _full = _unit(kids.get("БазоваяЕдиница"))
        return OfferRec(
            id=ident,
            product_id=product_id,
            characteristic_id=characteristic_id,
            name=_it(kids, "Наименование"),
            article=_it(kids, "Артикул") or None,
            barcode=_it(kids, "Штрихкод") or None,
            unit_code=unit_code,
            unit_name=unit_name,
            prices=tuple(prices),
            quantity=quantity,
            stock=tuple(stock),
            characteristics=_characteristics(el, kids),
            deleted=_deleted(el, kids),
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
