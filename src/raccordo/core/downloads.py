"""One `Content-Disposition` for every file the app hands out (PDF, CSV, XLSX, JSON).

Django's own header escaping MIME-encodes a non-ASCII file name (RFC 2047), which browsers do not understand in
this header: Chromium then shows the PDF of a Russian invoice ("РТ-2026-00011") in place instead of saving it, and
the name is lost. RFC 6266 / RFC 5987 give the portable form: an ASCII `filename` every client reads, plus
`filename*=UTF-8''…` with the real name for the clients that know it (all current browsers)."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from django.http import HttpResponseBase

# Russian letters to Latin (a simple passport-style table: the fallback name only has to be readable).
_CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", [
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
    "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia"], strict=True))


def _latin(char: str) -> str:
    lower = char.lower()
    if lower not in _CYRILLIC:
        return char
    latin = _CYRILLIC[lower]
    return latin.capitalize() if char != lower else latin


def ascii_filename(name: str) -> str:
    """An ASCII stand-in for `name`: accents dropped, Cyrillic transliterated, anything else and quotes as `_`."""
    latin = "".join(_latin(c) for c in name)
    plain = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(c if c.isprintable() and c not in '"\\;' else "_" for c in plain)
    return cleaned or "download"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The header value for `filename`: `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>`."""
    kind = "inline" if inline else "attachment"
    fallback = ascii_filename(filename)
    if fallback == filename:
        return f'{kind}; filename="{filename}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def set_download_name(response: HttpResponseBase, filename: str, *, inline: bool = False) -> HttpResponseBase:
    """Mark `response` as the file `filename` (saved, or shown in place when `inline`)."""
    response["Content-Disposition"] = content_disposition(filename, inline=inline)
    return response
