"""How many SMS parts a text takes: GSM-7 (160 characters, 153 per part when split) when every character is in the
GSM 03.38 alphabet, UCS-2 (70, 67 per part) otherwise, as operators bill it. Pure: the composer's counter
(static/sms/composer.js) repeats these rules in the browser, the service stores what this module says."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
# The extension table: each of these costs an escape character plus itself.
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentCount:
    """The encoding a text needs, its length in that encoding's units and the number of parts it is sent in."""

    encoding: str   # "GSM-7" or "UCS-2"
    length: int
    segments: int
    per_segment: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def count_segments(text: str) -> SegmentCount:
    """The parts `text` is sent in; an empty text is one (empty) part."""
    if is_gsm7(text):
        length = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        # UCS-2 counts UTF-16 code units: a character outside the basic plane (an emoji) takes two.
        length = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if length <= single:
        return SegmentCount(encoding, length, 1, single)
    return SegmentCount(encoding, length, -(-length // multi), multi)
