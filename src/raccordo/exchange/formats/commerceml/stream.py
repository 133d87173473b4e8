"""The streaming state machine of the CommerceML reader: iterparse events in, records out.

:class:`RecordStream` keeps the open path (names and sibling indexes, for error paths), the open
container (Классификатор, Каталог, ПакетПредложений, Документ ...) with its header, and the open
groups. An element it recognises as a record (Товар, Предложение, Свойство, ТипЦены, Склад,
ЕдиницаИзмерения, Документ) is collected whole and handed to its builder when it ends; the elements
inside a record only pass through a counting fast path. Every finished element is cleared and its
earlier siblings dropped, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from lxml import etree

from .containers import CONTAINER_KINDS, HEADER_FIELDS, OpenContainer, OpenGroup
from .elements import (
    ROOT,
    attribute,
    is_deleted_status,
    local_name,
    parse_bool,
    stripped_text,
)
from .records import CommerceMLError, ErrorRec, Record
from .routing import build_record, record_kind
from .safety import syntax_error


class ByteSource(Protocol):
    """What the parser asks of its stream: a binary file object, or a wrapper such as `safety.Replayed`."""

    def read(self, size: int = -1, /) -> bytes: ...


class RecordStream:
    """One read of one CommerceML stream: feed it the (prolog-checked) bytes, iterate :meth:`run`."""

    def __init__(self, stream: ByteSource, file: str | None, max_text: int, max_record_nodes: int):
        self.stream = stream
        self.file = file
        self.max_text = max_text
        self.max_record_nodes = max_record_nodes
        self.names: list[str] = []
        self.indexes: list[int] = []
        self.counts: list[dict[str, int]] = [{}]
        self.version: str | None = None
        self.generated_at: str | None = None
        self.namespace: str | None = None
        self.container: OpenContainer | None = None
        self.groups: list[OpenGroup] = []
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
        """The element path of the open element (or of its ancestor at ``upto``), for error reports."""
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
        """A fatal error at the open element."""
        return CommerceMLError(message, code, self.file, line, self.path() if self.names else None)

    def check_len(self, value: str | None, what: str, line: int | None) -> None:
        """Raise exchange.xml.text_too_long when ``value`` is over the cap."""
        if value is not None and len(value) > self.max_text:
            raise self.fatal(
                f"{what} longer than {self.max_text} characters ({len(value)})",
                "exchange.xml.text_too_long",
                line,
            )

    # -- main loop

    def run(self) -> Iterator[Record]:
        """Parse the stream and yield its records in document order."""
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
                            if self.inner == 0 and local_name(el.tag) == "Ид":
                                self.record_id = stripped_text(el) or None
                            self.drop(el)
                        continue
                if event == "start":
                    yield from self.on_start(el)
                else:
                    yield from self.on_end(el)
        except etree.XMLSyntaxError as exc:
            raise syntax_error(exc, self.file, self.path() if self.names else None) from None

    def overflow(self, el: etree._Element) -> None:
        """The record grew past max_record_nodes: from now on its elements are dropped as they end."""
        self.record_overflow = True
        rec_el = self.record_el
        if rec_el is not None:
            for ch in rec_el:
                if local_name(ch.tag) == "Ид":
                    self.record_id = stripped_text(ch) or None
                    break

    def check_dropped(self, el: etree._Element, max_text: int) -> None:
        """An element of an oversized record, about to be dropped unread, against the cap."""
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
        """Raise exchange.xml.text_too_long for element ``e`` inside the record ``rec_el``, with its path."""
        names = []
        node = e
        while node is not None and node is not rec_el:
            names.append(local_name(node.tag) or "")
            node = node.getparent()
        path = self.record_path + "".join("/" + n for n in reversed(names))
        raise CommerceMLError(f"{what} longer than {self.max_text} characters ({size})",
                              "exchange.xml.text_too_long", self.file, e.sourceline, path)

    # -- element starts

    def on_start(self, el: etree._Element) -> Iterator[Record]:
        """An element outside any record starts: push it on the path, check its attributes, and open the
        root, a container, a group or a record."""
        name = local_name(el.tag) or ""
        depth = len(self.names)  # depth of this element's parent chain
        counts = self.counts[-1]
        idx = counts.get(name, 0) + 1
        counts[name] = idx
        self.names.append(name)
        self.indexes.append(idx)
        self.counts.append({})
        line = el.sourceline

        for key, value in el.attrib.items():
            self.check_len(value, f"attribute {local_name(key)}", line)
        prev = el.getprevious()
        if prev is not None:
            self.check_len(prev.tail, "text", line)

        if depth == 0:
            self.start_root(el, name, line)
            return
        if depth == 1:
            self.prefix = None
            yield from self.start_container(el, name, line)
            if name == "Документ":
                self.begin_record("document", el)
            return
        yield from self.start_inner(el, name, depth, line)

    def start_inner(self, el: etree._Element, name: str, depth: int, line: int | None) -> Iterator[Record]:
        """An element inside a container starts: a group, a group's nested Группы, or maybe a record."""
        parent = self.names[-2]
        grand = self.names[-3]
        if name == "Группа" and parent == "Группы" and "Классификатор" in self.names:
            parent_id = self.groups[-1].id if self.groups else None
            self.groups.append(OpenGroup(len(self.names), line, self.path(), parent_id))
            self.prefix = None
            return
        if name == "Группы" and parent == "Группа" and self.groups and self.groups[-1].depth == depth:
            self.prefix = None
            yield from self.emit_group(self.groups[-1])
            return
        kind = record_kind(name, parent, grand, depth)
        if kind is not None:
            self.begin_record(kind, el)
        else:
            self.prefix = None

    def begin_record(self, kind: str, el: etree._Element) -> None:
        """Start collecting a record of ``kind``: its elements take the fast path until it ends."""
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
        """The root starts: it must be a КоммерческаяИнформация without a DOCTYPE."""
        if name != ROOT:
            raise self.fatal(
                f"root element is <{name}>, not <{ROOT}>: not a CommerceML file",
                "exchange.cml.not_commerceml",
                line,
            )
        docinfo = el.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise self.fatal("DOCTYPE declarations are not accepted", "exchange.xml.doctype", line)
        self.version = attribute(el, "ВерсияСхемы")
        self.generated_at = attribute(el, "ДатаФормирования")
        tag = el.tag
        if isinstance(tag, str) and tag.startswith("{"):   # else the declaration read() took away, if any
            self.namespace = tag[1:].partition("}")[0]

    def start_container(self, el: etree._Element, name: str, line: int | None) -> Iterator[Record]:
        """A child of the root starts: a new container closes the previous one (a run of documents shares
        one)."""
        kind = CONTAINER_KINDS.get(name)
        if kind is None:
            return
        if kind == "documents":
            if name == "Контейнер":
                self.doc_container_no += 1
            if self.container is not None and self.container.kind == "documents":
                return  # one PackageInfo for a run of documents
        yield from self.close_container()
        only = bool(parse_bool(attribute(el, "СодержитТолькоИзменения"))) or name == "ИзмененияПакетаПредложений"
        self.container = OpenContainer(kind, name, 1, line, self.path(), only)

    # -- records that are not elements: PackageInfo, Group

    def ensure_package(self) -> Iterator[Record]:
        """The open container's PackageInfo, and the definitions held back for it, unless already out."""
        c = self.container
        if c is not None and not c.emitted:
            c.emitted = True
            yield c.package_info(self.version, self.generated_at, self.namespace)
            pending, c.pending = c.pending, []
            yield from pending

    def close_container(self) -> Iterator[Record]:
        """Close the open container (its PackageInfo goes out even when it held no record)."""
        yield from self.ensure_package()
        self.container = None

    def emit_group(self, g: OpenGroup) -> Iterator[Record]:
        """The group's record, once."""
        if g.emitted:
            return
        g.emitted = True
        yield from self.ensure_package()
        yield g.record()

    # -- element ends

    def on_end(self, el: etree._Element) -> Iterator[Record]:
        """An element outside any record's inside ends: a whole record, or a group, header or container
        field; then it is cleared and popped."""
        line = el.sourceline
        self.check_len(el.text, "text", line)
        if len(el):
            self.check_len(el[-1].tail, "text", line)
        if self.record is not None and len(self.names) == self.record_depth:
            yield from self.end_record(el, line)
        else:
            yield from self.end_outside(el)
        self.drop(el)
        self.pop()

    def end_record(self, el: etree._Element, line: int | None) -> Iterator[Record]:
        """A record element ends: build its record (or an ErrorRec) and hand it out or hold it back."""
        name = self.names[-1]
        kind, self.record = self.record, None
        assert kind is not None  # on_end calls this only while a record is open
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
        # definitions go into the PackageInfo and come out right after it
        if c is None or not c.hold(rec):
            yield from self.ensure_package()
            yield rec

    def end_outside(self, el: etree._Element) -> Iterator[Record]:
        """An element outside records ends: a group or its field, a container header field, a container."""
        name = self.names[-1]
        depth = len(self.names)
        self.prefix = None
        if self.groups:
            yield from self.end_in_group(el, name, depth)
        c = self.container
        if c is not None and depth == 3 and name in HEADER_FIELDS:
            c.header[name] = stripped_text(el) or ""
        if depth == 2 and c is not None and c.kind != "documents":
            yield from self.close_container()
        if depth == 1:
            yield from self.close_container()

    def end_in_group(self, el: etree._Element, name: str, depth: int) -> Iterator[Record]:
        """The innermost open group ends (its record goes out), or one of its own fields does."""
        g = self.groups[-1]
        if depth == g.depth:
            self.groups.pop()
            yield from self.emit_group(g)
        elif depth == g.depth + 1 and self.names[-2] == "Группа":
            if name == "Ид":
                g.id = stripped_text(el)
            elif name == "Наименование":
                g.name = stripped_text(el)
            elif name == "ПометкаУдаления":
                g.deleted = bool(parse_bool(stripped_text(el)))
            elif name == "Статус":
                g.deleted = is_deleted_status(stripped_text(el))

    def pop(self) -> None:
        """Take the ended element off the path."""
        self.names.pop()
        self.indexes.pop()
        self.counts.pop()

    @staticmethod
    def drop(el: etree._Element) -> None:
        """Free a finished element and its earlier siblings: memory stays flat however long the file."""
        el.clear(keep_tail=True)
        parent = el.getparent()
        if parent is not None:
            while el.getprevious() is not None:
                del parent[0]

    def build(self, kind: str, el: etree._Element, line: int | None) -> Record:
        """The record of a finished record element; an ErrorRec when the problem is confined to it."""
        container = None
        if kind == "document" and len(self.names) >= 2 and self.names[1] == "Контейнер":
            container = self.doc_container_no
        return build_record(kind, el, line, self.record_path, container)
