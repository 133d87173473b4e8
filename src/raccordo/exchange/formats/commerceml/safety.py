"""The defences that run before and around libxml2: nothing here builds a record.

* :func:`opened` turns a path, bytes or a file object into a binary stream;
* :func:`check_prolog` reads everything before the root element and refuses a DOCTYPE before lxml sees
  the file (no entities, no external DTD: XXE and "billion laughs" are impossible);
* :func:`strip_default_namespace` blanks the root's ``xmlns="..."`` so lxml hands out plain local names;
* :class:`Replayed` gives the parser the bytes read so far, then the rest of the file;
* :func:`syntax_error` turns libxml2's complaint into a :class:`CommerceMLError` with a stable code.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from lxml import etree

from .records import CommerceMLError

MAX_PROLOG = 1_000_000  # bytes before the root element


@contextmanager
def opened(source: str | os.PathLike[str] | bytes | IO[bytes]) -> Iterator[tuple[IO[bytes], str | None]]:
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


class Replayed(io.RawIOBase):
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


def check_prolog(raw: IO[bytes], file: str | None) -> bytes:
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
        verdict, _root = scan_prolog(buf, final=not chunk)
        if verdict == "doctype":
            raise CommerceMLError(
                "DOCTYPE declarations are not accepted (entities and external DTDs are refused)",
                "exchange.xml.doctype",
                file,
                line_at(buf, b"<!"),
            )
        if verdict == "ok" or not chunk:
            return buf
        if len(buf) > MAX_PROLOG:
            raise CommerceMLError(
                "no root element within the first megabyte", "exchange.xml.malformed", file, None
            )


def line_at(buf: bytes, needle: bytes) -> int | None:
    """The 1-based line of the first ``needle`` in ``buf``; None when it is not there."""
    pos = buf.find(needle)
    return buf.count(b"\n", 0, pos) + 1 if pos >= 0 else None


def scan_prolog(buf: bytes, final: bool) -> tuple[str, int | None]:
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


def strip_default_namespace(buf: bytes, raw: IO[bytes]) -> tuple[bytes, str | None]:
    """Blank out the root's default namespace declaration (``xmlns="urn:1C.ru:commerceml_2"``) in the bytes
    the parser will see; returns them and the namespace URI (None when there was none or it stayed).

    The reader ignores namespaces; without a default one lxml hands out plain local names instead of
    building a "{urn...}name" string for every element it is asked about, which is a good part of what
    turning elements into records costs. The declaration becomes spaces, so lines and columns stay;
    prefixed declarations and any namespace declared further down are left alone (read by local name).
    """
    _verdict, start = scan_prolog(buf, final=True)
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


def syntax_error(exc: etree.XMLSyntaxError, file: str | None, path: str | None) -> CommerceMLError:
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
