"""The text of the search documents and of the terms looked up in them: one form for both sides (parties.search).

Names are written as they are and, when punctuation or spaces split them, once more joined up: "Волга-Терм"
and "Волга Терм" are also stored as "волгатерм", so that a term typed without the hyphen finds them. A term
with a hyphen or a dot inside a word ("волга-терм") is looked up as it is and joined up too, so that it finds a
name stored without one. Both stay ordinary substrings of the document, so the trigram indexes answer them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The shortest joined form worth storing or looking up (the trigram indexes start at three characters).
MIN_JOINED = 3
# What splits a name inside it: anything but letters and digits between two letters or digits. Not at either
# end: "Ромашка-Трейд!" is not "Ромашка-Трейд".
_INSIDE = re.compile(r"(?<=[^\W_])[\W_]+(?=[^\W_])")


def normalize(text: str) -> str:
    """Lower case, ё as е, spaces collapsed: the form documents and terms are compared in."""
    return " ".join((text or "").lower().replace("ё", "е").split())


def joined(text: str) -> str:
    """The normalized text without what splits it inside ("волга-терм" -> "волгатерм"), or "" when that changes
    nothing or leaves too little to look up."""
    plain = normalize(text)
    letters = _INSIDE.sub("", plain)
    return letters if letters != plain and len(letters) >= MIN_JOINED else ""


def phone_digits(number: str) -> str:
    return "".join(ch for ch in number or "" if ch.isdigit())


def document_text(*parts: str | None, names: Iterable[str | None] = ()) -> str:
    """The document: each part normalized on a line of its own, then the `names` joined up where that differs."""
    lines = [p for p in (normalize(part) for part in parts) if p]
    lines += [j for j in (joined(name or "") for name in names) if j and j not in lines]
    return "\n".join(lines)


def word_alternatives(word: str) -> tuple[str, ...]:
    """A normalized word of a term and, when punctuation splits it, its joined-up form."""
    other = joined(word)
    return (word, other) if other else (word,)
