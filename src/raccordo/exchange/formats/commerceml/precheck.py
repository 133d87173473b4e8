"""The byte-level pre-check behind :func:`.reader.check`: is this file broken or hostile, cheaply?

libxml2 parses into a tree that is pruned as it grows (no record is built, only the root gets a Python
object), and the raw bytes are searched for runs without "<": in an ASCII-compatible encoding a text
node or attribute value cannot hold a literal "<" (CDATA aside) and no character is shorter than a byte,
so no run of more than ``max_text`` bytes without "<" means no over-long text. :func:`scan_bytes` says
False whenever this cheap test cannot decide; the caller then does a full read.
"""

from __future__ import annotations

from typing import IO

from lxml import etree

from .elements import ROOT
from .safety import syntax_error

_FEED = 1 << 16   # bytes fed to the parser between two prunings of its tree

# Encodings in which the byte 0x3C is always "<" and a character takes at least one byte.
_ASCII_COMPATIBLE = ("utf-8", "utf8", "windows-125", "cp125", "koi8", "iso-8859", "latin", "us-ascii", "ascii")


def scan_bytes(prefix: bytes, raw: IO[bytes], file: str | None, max_text: int) -> bool:
    """Parse ``prefix`` and then the rest of ``raw`` (keeping no finished element) and look for long runs
    without "<"; True when the file is well-formed CommerceML with no text over ``max_text``, False when
    only a full read can tell. Raises :class:`CommerceMLError` when the file is not well-formed."""
    if not _ascii_compatible(prefix[:200].lower()):
        return False
    parse = _PrunedParse(root_by=len(prefix) + (1 << 16) + max_text + 2)
    run = 0  # bytes since the last "<"
    chunk = prefix
    # Chunks no longer than max_text + 2 cannot hold a longer run between two of their "<": then only the
    # runs at their edges are measured, without splitting the chunk.
    step = min(1 << 20, max(max_text + 2, 1 << 16))
    try:
        while chunk:
            if b"CDATA[" in chunk:
                return False
            next_run = _run_after(chunk, run, max_text)
            if next_run is None or not parse.feed(chunk):
                return False
            run = next_run
            chunk = raw.read(step)
            if chunk and b"CDATA[" in prefix[-8:] + chunk[:8]:
                return False
            prefix = chunk
        parse.parser.close()
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, file, None) from None
    return parse.root is not None   # another root: read() refuses it at once


def _ascii_compatible(head: bytes) -> bool:
    """Whether the file's first bytes (lower-cased) show an encoding in which "<" is always the byte 0x3C."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return False
    declared = head.partition(b"encoding=")[2][1:].split(b'"')[0].split(b"'")[0].decode("latin-1")
    return not (head.startswith(b"<?xml") and b"encoding=" in head and not declared.startswith(_ASCII_COMPATIBLE))


def _run_after(chunk: bytes, run: int, max_text: int) -> int | None:
    """The run of bytes without "<" at the end of ``chunk``, continuing the ``run`` the previous chunk ended
    with; None when a run within or across it is longer than ``max_text``."""
    first = chunk.find(b"<")
    if first < 0:
        run += len(chunk)
    else:
        if run + first > max_text:
            return None
        if len(chunk) > max_text + 2:
            parts = chunk.split(b"<")
            if max(map(len, parts[1:-1]), default=0) > max_text:
                return None
        run = len(chunk) - chunk.rfind(b"<") - 1
    return None if run > max_text else run


class _PrunedParse:
    """A hardened pull parser whose only event is the root's start (matched in C; no other element gets a
    Python object); from the root down, finished elements are pruned every _FEED bytes."""

    def __init__(self, root_by: int):
        self.parser = etree.XMLPullParser(events=("start",), tag="{*}" + ROOT, huge_tree=False,
                                          resolve_entities=False, no_network=True, load_dtd=False,
                                          dtd_validation=False, remove_comments=True, remove_pis=True,
                                          recover=False)
        self.root: etree._Element | None = None
        self.fed = 0
        self.root_by = root_by   # bytes by which the root's start tag must have been seen

    def feed(self, chunk: bytes) -> bool:
        """Feed ``chunk``; False when the root has not started within ``root_by`` bytes."""
        for start in range(0, len(chunk), _FEED):   # pruned every _FEED bytes: a small tree at any time
            piece = chunk[start:start + _FEED]
            self.parser.feed(piece)
            self.fed += len(piece)
            if self.root is None:
                for _event, el in self.parser.read_events():
                    self.root = el
                    break
                if self.root is None and self.fed > self.root_by:
                    # The root's start tag is complete by now (it cannot run past max_text without a "<"),
                    # and it is not a CommerceML one: read() refuses it at once.
                    return False
            else:
                for _event in self.parser.read_events():   # a nested element of the root's name: nothing to do
                    pass
            if self.root is not None:
                _prune(self.root)
        return True


def _prune(root: etree._Element) -> None:
    """Drop every finished element of a tree still being parsed: only the open path (the last child at
    each level, where libxml2 goes on appending) is kept, so memory stays flat however long the file."""
    el = root
    while len(el):
        if len(el) > 1:
            del el[:-1]
        el = el[-1]
