"""The EnterpriseData message envelope: ``Message/Header`` (ExchangeMessage package) and ``Body``.

Written as SSL writes it (``ОткрытьФайлВыгрузки``, ``ЗаписатьЗаголовокСообщенияОбмена``): an unqualified
``Message`` root declaring msg/xs/xsi, ``msg:Header`` with its children in schema order (Format,
CreationDate, Confirmation{ExchangePlan, To, From, MessageNo, ReceivedNo}, AvailableVersion...,
NewFrom, AvailableObjectTypes, Prefix), then ``Body`` in the format's namespace (absent in a
settings-only message, whose Format is the base URI without a version).

Read as SSL reads it (``ОткрытьФайлЗагрузки``), streaming: the header is parsed first, Body's objects
are handed out one at a time and dropped. Hostile input is refused before anything is taken from it:
a DOCTYPE (no entities, no external DTD), text over the limit, a file that is not well-formed, with
the file name and line. The checks that need the node (174 "already received", 178 "not addressed to
us") are plain functions here; the service applies them.

Pure module: no Django.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from .xdto import ED_BASE, MESSAGE_NS

EXCHANGE_PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"
XS_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
M = f"{{{MESSAGE_NS}}}"
MAX_TEXT = 1_000_000     # characters in one text node
MAX_PROLOG = 65_536      # bytes before the root element


class EnvelopeError(Exception):
    """A message that cannot be taken: what is wrong, a stable code, and where (file, line).

    `code` follows 1C's protocol where it has a number: exchange.enterprisedata.already_received is 1C's
    warning 174, exchange.enterprisedata.not_addressed its error 178, exchange.enterprisedata.protocol its
    error 9 (no Confirmation, no Header, wrong root).
    """

    def __init__(self, message: str, code: str, *, file: str = "", line: int | None = None):
        where = ":".join(str(x) for x in (file, line) if x)
        super().__init__(f"{where}: {message}" if where else message)
        self.message, self.code, self.file, self.line = message, code, file, line


@dataclass(frozen=True)
class ObjectTypeSupport:
    """One line of AvailableObjectTypes: a format object and the versions it is sent / received in.

    "*" means every version, a comma list those versions, "" none (1C's own reading, ≈l.8142).
    """

    name: str
    sending: str = "*"
    receiving: str = "*"

    @staticmethod
    def _allows(value: str, version: str) -> bool:
        value = (value or "").strip()
        return value == "*" or version in {v.strip() for v in value.split(",") if v.strip()}

    def sends(self, version: str) -> bool:
        return self._allows(self.sending, version)

    def receives(self, version: str) -> bool:
        return self._allows(self.receiving, version)


@dataclass
class Header:
    """msg:Header of one message; `format` is the full URI (a version suffix makes it a data message)."""

    format: str
    sender: str                      # Confirmation/From: the sender's node code
    recipient: str = ""              # Confirmation/To
    message_no: int | None = None
    received_no: int | None = None
    versions: list[str] = field(default_factory=list)   # AvailableVersion
    exchange_plan: str = EXCHANGE_PLAN
    created: dt.datetime | None = None                   # CreationDate, UTC without a zone as 1C writes it
    new_from: str = ""
    object_types: list[ObjectTypeSupport] | None = None  # None: the element was absent
    prefix: str = ""
    extension: str = ""               # a format extension's URI, after a space in Format
    line: int | None = None           # where the header began in the file read

    @property
    def version(self) -> str | None:
        """"1.17" for a data message, None for a settings-only one (the base URI)."""
        base = ED_BASE + "/"
        return self.format[len(base):] if self.format.startswith(base) else None

    @property
    def settings_only(self) -> bool:
        return self.version is None


def format_uri(version: str | None) -> str:
    return f"{ED_BASE}/{version}" if version else ED_BASE


def version_key(version: str) -> tuple[int, ...]:
    """"1.10" > "1.8": versions compare by number, part by part (1C's СравнитьВерсии)."""
    try:
        return tuple(int(p) for p in version.strip().split("."))
    except ValueError:
        return ()


def highest_common_version(ours: Iterable[str], theirs: Iterable[str]) -> str | None:
    """1C's МаксимальнаяОбщаяВерсияФормата: the highest of the peer's versions that we have too; None if none."""
    mine = {v.strip() for v in ours}
    common = [v.strip() for v in theirs if v.strip() in mine and version_key(v)]
    return max(common, key=version_key) if common else None


# --------------------------------------------------------------------------------------------------- writing


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, M + name)
    if text is not None:
        el.text = text
    return el


def header_element(header: Header) -> etree._Element:
    """msg:Header with its children in the order of the ExchangeMessage package (a sequenced type)."""
    el = etree.Element(M + "Header", nsmap={"msg": MESSAGE_NS})
    fmt = header.format + (f" {header.extension}" if header.extension else "")
    _sub(el, "Format", fmt)
    created = header.created or dt.datetime.now(dt.UTC)
    _sub(el, "CreationDate", created.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat()
         if created.tzinfo else created.replace(microsecond=0).isoformat())
    conf = _sub(el, "Confirmation")
    if header.exchange_plan:
        _sub(conf, "ExchangePlan", header.exchange_plan)
    if header.recipient:
        _sub(conf, "To", header.recipient)
    _sub(conf, "From", header.sender)
    if header.message_no is not None:
        _sub(conf, "MessageNo", str(header.message_no))
    if header.received_no is not None:
        _sub(conf, "ReceivedNo", str(header.received_no))
    if not header.versions:
        raise ValueError("a header lists at least one AvailableVersion")
    for version in header.versions:
        _sub(el, "AvailableVersion", version)
    if header.new_from:
        _sub(el, "NewFrom", header.new_from)
    if header.object_types is not None:
        types = _sub(el, "AvailableObjectTypes")
        for ot in header.object_types:
            item = _sub(types, "ObjectType")
            _sub(item, "Name", ot.name)
            _sub(item, "Sending", ot.sending)
            _sub(item, "Receiving", ot.receiving)
    if header.prefix:
        _sub(el, "Prefix", header.prefix)
    return el


def write_message(out: IO[bytes], header: Header, objects: Iterable[etree._Element] = ()) -> int:
    """Write one message to a binary stream, objects one at a time (flat memory); return how many.

    The XML declaration says UTF-8 and no BOM is written: 1C reads either, and a BOM before the
    declaration trips other readers.
    """
    count = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("Message", nsmap={"msg": MESSAGE_NS, "xs": XS_NS, "xsi": XSI_NS}):
            xf.write(header_element(header))
            if header.settings_only:
                return 0
            with xf.element(f"{{{header.format}}}Body", nsmap={None: header.format}):
                for obj in objects:
                    xf.write(obj)
                    count += 1
    return count


# --------------------------------------------------------------------------------------------------- reading

_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class _Replay:
    """A binary stream with its first bytes already read put back in front (the prolog check read them)."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size is None or size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.rest.read(size)


def _prolog(raw: IO[bytes], file: str) -> bytes:
    """The bytes before the root element, refused if they declare a DOCTYPE or entities."""
    head = b""
    while True:
        chunk = raw.read(4096)
        head += chunk
        body = head.lstrip(b"\xef\xbb\xbf")
        match = _DOCTYPE.search(body)
        if match:
            line = body.count(b"\n", 0, match.start()) + 1
            raise EnvelopeError("DOCTYPE and entity declarations are not accepted", "exchange.xml.doctype",
                                file=file, line=line)
        # The root begins at the first "<" that opens neither a declaration, a comment nor a PI.
        if re.search(rb"<[^?!]", body) or not chunk:
            return head
        if len(head) > MAX_PROLOG:
            raise EnvelopeError("no root element within the first 64 KB", "exchange.xml.malformed", file=file)


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _int(el: etree._Element | None, file: str) -> int | None:
    text = _text(el)
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise EnvelopeError(f"{_local(el.tag)} is not a number: {text[:40]!r}", "exchange.enterprisedata.protocol",  # type: ignore[union-attr]  # a text was read, so the element is there
                            file=file, line=el.sourceline) from None  # type: ignore[union-attr]


def parse_header(el: etree._Element, file: str = "") -> Header:
    """A msg:Header element as a Header; a header without Confirmation or From is 1C's protocol error 9."""
    if el.tag != M + "Header":
        raise EnvelopeError(f"expected msg:Header, found {el.tag}", "exchange.enterprisedata.protocol",
                            file=file, line=el.sourceline)
    fmt_parts = _text(el.find(M + "Format")).split()
    if not fmt_parts:
        raise EnvelopeError("the header has no Format", "exchange.enterprisedata.protocol", file=file,
                            line=el.sourceline)
    conf = el.find(M + "Confirmation")
    if conf is None:
        raise EnvelopeError("the header has no Confirmation (1C's protocol error 9)",
                            "exchange.enterprisedata.protocol", file=file, line=el.sourceline)
    sender = _text(conf.find(M + "From"))
    if not sender:
        raise EnvelopeError("Confirmation has no From", "exchange.enterprisedata.protocol", file=file,
                            line=conf.sourceline)
    created = None
    created_text = _text(el.find(M + "CreationDate"))
    if created_text:
        try:
            created = dt.datetime.fromisoformat(created_text)
        except ValueError:
            raise EnvelopeError(f"CreationDate is not a date and time: {created_text[:40]!r}",
                                "exchange.enterprisedata.protocol", file=file, line=el.sourceline) from None
    types_el = el.find(M + "AvailableObjectTypes")
    object_types = None
    if types_el is not None:
        object_types = [ObjectTypeSupport(name=_text(ot.find(M + "Name")), sending=_text(ot.find(M + "Sending")),
                                          receiving=_text(ot.find(M + "Receiving")))
                        for ot in types_el.findall(M + "ObjectType")]
    return Header(
        format=fmt_parts[0], extension=fmt_parts[-1] if len(fmt_parts) > 1 else "", sender=sender,
        recipient=_text(conf.find(M + "To")), message_no=_int(conf.find(M + "MessageNo"), file),
        received_no=_int(conf.find(M + "ReceivedNo"), file), exchange_plan=_text(conf.find(M + "ExchangePlan")),
        versions=[_text(v) for v in el.findall(M + "AvailableVersion") if _text(v)], created=created,
        new_from=_text(el.find(M + "NewFrom")), object_types=object_types, prefix=_text(el.find(M + "Prefix")),
        line=el.sourceline)


class MessageReader:
    """Streams one message: `header` is read on opening, `objects()` yields Body's children one by one.

    Each object is a detached-in-spirit element: it is cleared once the caller asks for the next one, so
    a message of any size reads in flat memory. Errors carry the file and line.
    """

    def __init__(self, source: IO[bytes], *, file: str = "", max_text: int = MAX_TEXT):
        self.file = file
        self.max_text = max_text
        head = _prolog(source, file)
        self._events = etree.iterparse(
            _Replay(head, source), events=("start", "end"), resolve_entities=False, no_network=True,
            load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True)
        self._root: etree._Element | None = None
        self._body_ns: str | None = None
        self.header = self._read_header()

    def _next(self):
        try:
            return next(self._events)
        except StopIteration:
            return None
        except etree.XMLSyntaxError as exc:
            line = exc.lineno or (exc.position[0] if exc.position else None)
            raise EnvelopeError(f"not well-formed XML: {exc.msg or exc}", "exchange.xml.malformed", file=self.file,
                                line=line) from None

    def _check(self, el: etree._Element) -> None:
        if el.text is not None and len(el.text) > self.max_text:
            raise EnvelopeError(f"text of {_local(el.tag)} longer than {self.max_text} characters",
                                "exchange.xml.text_too_long", file=self.file, line=el.sourceline)

    def _read_header(self) -> Header:
        event = self._next()
        if event is None:
            raise EnvelopeError("the file is empty", "exchange.xml.malformed", file=self.file)
        _kind, root = event
        if root.tag != "Message":
            raise EnvelopeError(f"the root element is {root.tag}, not Message (1C's protocol error 9)",
                                "exchange.enterprisedata.protocol", file=self.file, line=root.sourceline)
        self._root = root
        header_el = None
        while True:
            event = self._next()
            if event is None:
                break
            kind, el = event
            if kind == "end":
                self._check(el)
                if el.getparent() is root and el.tag == M + "Header":
                    header_el = el
                    break
            elif el.getparent() is root and el.tag != M + "Header":
                raise EnvelopeError(f"expected msg:Header first, found {el.tag} (1C's protocol error 9)",
                                    "exchange.enterprisedata.protocol", file=self.file, line=el.sourceline)
        if header_el is None:
            raise EnvelopeError("the message has no header (1C's protocol error 9)",
                                "exchange.enterprisedata.protocol", file=self.file)
        header = parse_header(header_el, self.file)
        header_el.clear()
        return header

    def objects(self) -> Iterator[etree._Element]:
        """Body's objects in document order; a data message without Body is 1C's protocol error 9."""
        root = self._root
        body = None
        depth = 0
        previous: etree._Element | None = None
        while True:
            event = self._next()
            if event is None:
                break
            kind, el = event
            if kind == "start":
                if el.getparent() is root:
                    if _local(el.tag) != "Body":
                        raise EnvelopeError(f"unexpected {el.tag} after the header", "exchange.enterprisedata.protocol",
                                            file=self.file, line=el.sourceline)
                    expected = f"{{{self.header.format}}}Body"
                    if el.tag != expected:
                        raise EnvelopeError(f"Body is in namespace {etree.QName(el).namespace or '(none)'}, the "
                                            f"header says {self.header.format}", "exchange.enterprisedata.protocol",
                                            file=self.file, line=el.sourceline)
                    body = el
                depth += 1
                continue
            depth -= 1
            self._check(el)
            if body is not None and el.getparent() is body:
                if previous is not None:
                    previous.clear()
                    # Drop what was already handed out, so memory stays flat.
                    while body[0] is not el:
                        del body[0]
                previous = el
                yield el
        if body is None and not self.header.settings_only:
            raise EnvelopeError("a data message without Body (1C's protocol error 9)",
                                "exchange.enterprisedata.protocol", file=self.file)


# ------------------------------------------------------------------------------------------ protocol checks


def check_addressed(header: Header, *, our_codes: Iterable[str], peer_codes: Iterable[str], file: str = "") -> None:
    """1C's checks on who a message is for and from: To must be one of our codes (error 178), From (or
    NewFrom) the peer's. A settings-only message may leave To empty: the peer may not know our code yet."""
    ours = {c for c in our_codes if c}
    if header.recipient and header.recipient not in ours or (not header.recipient and not header.settings_only):
        raise EnvelopeError(f"the message is addressed to {header.recipient or '(nobody)'}, not to this node "
                            f"(1C's error 178)", "exchange.enterprisedata.not_addressed", file=file, line=header.line)
    peers = {c for c in peer_codes if c}
    if header.sender not in peers and header.new_from not in peers:
        raise EnvelopeError(f"the message comes from {header.sender}, not from this node's peer",
                            "exchange.enterprisedata.unknown_sender", file=file, line=header.line)


def already_received(header: Header, received_no: int) -> bool:
    """1C's warning 174: a numbered message at or below the last one received is skipped (its ReceivedNo
    is still honoured). A message without a number (≤ 0) turns numbering off and is always taken."""
    return header.message_no is not None and header.message_no > 0 and header.message_no <= received_no
