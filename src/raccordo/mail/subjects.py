"""Subjects of written mail: "Re:" on a reply (the prefixes are those the sync strips, mail.parsing)."""

from __future__ import annotations

from .parsing import SUBJECT_PREFIX


def reply_subject(subject: str) -> str:
    """The subject of a reply: the original's with one "Re: " in front (never "Re: Re: Re:")."""
    bare = " ".join(SUBJECT_PREFIX.sub("", subject or "").split())
    return f"Re: {bare}" if bare else "Re:"
