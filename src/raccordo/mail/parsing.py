"""Reading a received message: headers, the text and HTML parts, attachments, and making its HTML safe.

Everything here treats the message as hostile: a header that does not parse is read as empty, never raises;
the HTML part is shown only after `safe_html` (no scripts, styles, forms, remote images or event handlers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

import nh3
from django.utils import timezone

# Kept per message: more text than this is cut (a mailing list's digest, a pasted log), the original stays
# on the server.
MAX_TEXT = 500_000
SNIPPET = 200
# Reply/forward prefixes in the languages of the UI and the usual clients.
SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|r|i|rif|tr|sv|vs|ответ|отв|пересл)\s*(\[\d+\])?\s*:\s*)+",
                            re.IGNORECASE)
MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
# What may stay in shown HTML: text formatting, lists, tables and links; images go (remote ones tell the
# sender the mail was read), as do styles, forms and everything active.
SAFE_TAGS = frozenset(nh3.ALLOWED_TAGS) - {"img", "map", "area"}


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int
    payload: bytes | None  # None when over the size cap


@dataclass
class Parsed:
    """A message as Raccordo keeps it."""

    message_id: str
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: list[dict] = field(default_factory=list)
    cc: list[dict] = field(default_factory=list)
    sent_at: dt.datetime | None = None
    text: str = ""
    html: str = ""
    deal_header: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    delivery_report: bool = False   # a bounce or delay notice (multipart/report; report-type=delivery-status)

    @property
    def snippet(self) -> str:
        return " ".join(self.text.split())[:SNIPPET]

    def addresses(self) -> list[str]:
        return [self.from_address] + [a["address"] for a in self.to + self.cc]


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
        return str(value or "").strip()
    except Exception:  # a malformed header: hostile input reads as empty, it does not stop the sync
        return ""


def _raw_header(message: EmailMessage, name: str) -> str:
    """A header's undecoded text (structured parsing of hostile address lists can raise)."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _addresses(message: EmailMessage, name: str) -> list[dict]:
    raw = " ".join(str(v) for k, v in message.raw_items() if k.lower() == name.lower())
    out = []
    for display, address in getaddresses([_decoded(raw)]):
        address = address.strip().lower()
        if "@" in address:
            out.append({"address": address[:320], "name": display.strip()[:255]})
    return out


def _decoded(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


def message_ids(text: str) -> list[str]:
    """The <ids> of a Message-ID, In-Reply-To or References header, without the angle brackets."""
    return MESSAGE_ID.findall(text or "")


def subject_key(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes, lower-cased and with spaces collapsed: the threading fallback."""
    return " ".join(SUBJECT_PREFIX.sub("", subject or "").split()).lower()[:255]


def _date(message: EmailMessage) -> dt.datetime | None:
    try:
        value = parsedate_to_datetime(_raw_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    if value is None:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def synthetic_id(*parts: object) -> str:
    """A stable Message-ID for a message that has none, from what identifies it (so a re-read matches it)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "replace")).hexdigest()[:32]
    return f"{digest}@raccordo.invalid"


def parse_headers(raw: bytes, *, fallback_date: dt.datetime | None = None, size: int = 0) -> Parsed:
    """The headers of a message (or a whole message, read for its headers only)."""
    message = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    return _from_headers(message, fallback_date=fallback_date, size=size)


def _from_headers(message: EmailMessage, *, fallback_date, size) -> Parsed:
    ids = message_ids(_raw_header(message, "Message-ID"))
    senders = _addresses(message, "From")
    subject = " ".join(_header(message, "Subject").split())[:998]
    sent_at = _date(message) or fallback_date or timezone.now()
    sender = senders[0] if senders else {"address": "", "name": ""}
    message_id = ids[0][:998] if ids else synthetic_id(sender["address"], sent_at.isoformat(), subject, size)
    replied = message_ids(_raw_header(message, "In-Reply-To"))
    return Parsed(message_id=message_id, in_reply_to=replied[0][:998] if replied else "",
                  references=message_ids(_raw_header(message, "References"))[-50:], subject=subject,
                  from_address=sender["address"], from_name=sender["name"], to=_addresses(message, "To")[:200],
                  cc=_addresses(message, "Cc")[:200], sent_at=sent_at,
                  deal_header=_raw_header(message, "X-Raccordo-Deal").strip()[:64],
                  delivery_report=message.get_content_type() == "multipart/report"
                  and str(message.get_param("report-type", "")).lower() == "delivery-status")


def _part_text(part) -> str:
    try:
        return str(part.get_content())
    except Exception:  # an unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def parse_message(raw: bytes, *, fallback_date: dt.datetime | None = None, max_attachment: int = 0) -> Parsed:
    """A whole message: headers, text (from the HTML when there is no plain part), HTML and attachments."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    parsed = _from_headers(message, fallback_date=fallback_date, size=len(raw))
    try:
        plain = message.get_body(preferencelist=("plain",))
        rich = message.get_body(preferencelist=("html",))
    except Exception:
        plain = rich = None
    parsed.html = _part_text(rich)[:MAX_TEXT] if rich is not None else ""
    parsed.text = _part_text(plain)[:MAX_TEXT] if plain is not None else html_to_text(parsed.html)
    try:
        attachments = list(message.iter_attachments())
    except Exception:
        attachments = []
    for part in attachments[:50]:
        payload = part.get_payload(decode=True) or b""
        name = _decoded(part.get_filename() or "") or "attachment"
        parsed.attachments.append(Attachment(filename=name[:255], content_type=part.get_content_type()[:255],
                                             size=len(payload),
                                             payload=payload if len(payload) <= max_attachment else None))
    return parsed


def html_to_text(markup: str) -> str:
    """The readable text of an HTML part (tags dropped, entities decoded), for messages with no plain part."""
    if not markup:
        return ""
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", markup)
    cleaned = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head", "title"})
    lines = (" ".join(line.split()) for line in html.unescape(cleaned).splitlines())
    return "\n".join(line for line in lines if line)[:MAX_TEXT]


def safe_html(markup: str) -> str:
    """`markup` with only harmless formatting left: what the message page may put on the page as HTML."""
    if not markup:
        return ""
    return nh3.clean(markup, tags=set(SAFE_TAGS), clean_content_tags={"script", "style", "head", "title"},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def format_address(address: str, name: str = "") -> str:
    try:
        return str(Address(display_name=name, addr_spec=address)) if name else address
    except Exception:
        return address
