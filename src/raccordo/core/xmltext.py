"""Text made fit for XML 1.0 (and so for XLSX, which is XML inside a zip).

Names and comments accept C0 control characters (the forms and the API only refuse NUL), and a
record typed with a vertical tab or pasted with a stray \\x01 must never stop an export: lxml raises
"All strings must be XML compatible" and openpyxl IllegalCharacterError for the same characters, and
a character reference (&#1;) is not allowed in XML 1.0 either, so escaping is no way out. Vertical
tab and form feed separate words where they occur, so they become a space; every other character
XML 1.0 forbids (C0 controls but tab, line feed and carriage return; lone surrogates; U+FFFE/U+FFFF)
is dropped.

Pure Python, no Django: the format writers (`exchange/formats`) use it as well as the web exports.
"""

from __future__ import annotations

import re

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]; the complement:
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACES = {"\x0b": " ", "\x0c": " "}


def xml_text(value: str) -> str:
    """`value` with the characters XML 1.0 cannot hold removed (vertical tab and form feed: a space)."""
    if not _ILLEGAL.search(value):
        return value   # the common case: no copy
    return _ILLEGAL.sub(lambda m: _SPACES.get(m.group(), ""), value)
