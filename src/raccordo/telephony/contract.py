"""The one call-event contract every PBX adapter feeds, and the HMAC signature of its HTTP form.

    POST /telephony/events/   X-Raccordo-Timestamp: <unix seconds>
                              X-Raccordo-Signature: hex HMAC-SHA256(secret, timestamp + "." + raw body)
    {"call_id": "...", "event": "ringing|answered|ended|missed|recording_ready", "direction": "in|out|internal",
     "from": "+7...", "to": "+7...", "did": "...", "extension": "101", "occurred_at": "ISO-8601",
     "duration": 0, "talk_duration": 0, "disposition": "answered|busy|no_answer|cancel|failed",
     "recording_url": null, "provider": "generic", "raw": {}}

Asterisk's adapter (telephony.ami) and Mango Office's webhook (telephony.mango) build the same `CallEventInput`
and hand it to `services.record_event`; the signature's timestamp bounds replays to a few minutes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

EVENTS = ("ringing", "answered", "ended", "missed", "recording_ready")
DIRECTIONS = ("in", "out", "internal")
PROVIDERS = ("generic", "asterisk", "mango")
# A signed request older or newer than this is refused: a captured request cannot be replayed later.
SIGNATURE_TOLERANCE = 300


class ContractError(ValueError):
    """A call event that does not follow the contract: `field` says where."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class CallEventInput:
    """One event of a call, as any adapter reports it."""

    call_id: str
    event: str
    provider: str = "generic"
    direction: str = "in"
    from_number: str = ""
    to_number: str = ""
    did: str = ""
    extension: str = ""
    occurred_at: dt.datetime = field(default_factory=timezone.now)
    duration: int | None = None
    talk_duration: int | None = None
    disposition: str = ""
    recording_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def _text(payload: dict, key: str, limit: int, required: bool = False) -> str:
    value = payload.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str | int):
        raise ContractError(f"“{key}” must be a string.", key)
    value = str(value).strip()
    if required and not value:
        raise ContractError(f"“{key}” is required.", key)
    if len(value) > limit:
        raise ContractError(f"“{key}” is longer than {limit} characters.", key)
    return value


def _seconds(payload: dict, key: str) -> int | None:
    value = payload.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ContractError(f"“{key}” must be a number of seconds, 0 or more.", key)
    return int(value)


def _choice(payload: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = payload.get(key) or default
    if value not in choices:
        raise ContractError(f"“{key}” must be one of {', '.join(choices)}, not “{value}”.", key)
    return value


def _moment(payload: dict) -> dt.datetime:
    value = payload.get("occurred_at")
    if value in (None, ""):
        return timezone.now()
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ContractError("“occurred_at” must be an ISO-8601 date and time.", "occurred_at")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)


def from_payload(payload: Any) -> CallEventInput:
    """A `CallEventInput` from the contract's JSON object, or ContractError naming the field at fault."""
    if not isinstance(payload, dict):
        raise ContractError("The body must be a JSON object.")
    url = _text(payload, "recording_url", 500)
    if url and not url.startswith(("http://", "https://")):
        raise ContractError("“recording_url” must be an http(s) address.", "recording_url")
    raw = payload.get("raw") or {}
    if not isinstance(raw, dict):
        raise ContractError("“raw” must be an object.", "raw")
    return CallEventInput(
        call_id=_text(payload, "call_id", 150, required=True), event=_choice(payload, "event", EVENTS, ""),
        provider=_choice(payload, "provider", PROVIDERS, "generic"),
        direction=_choice(payload, "direction", DIRECTIONS, "in"),
        from_number=_text(payload, "from", 40), to_number=_text(payload, "to", 40), did=_text(payload, "did", 40),
        extension=_text(payload, "extension", 20), occurred_at=_moment(payload),
        duration=_seconds(payload, "duration"), talk_duration=_seconds(payload, "talk_duration"),
        disposition=_text(payload, "disposition", 30), recording_url=url, raw=raw)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 a sender puts in X-Raccordo-Signature."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_problem(secret: str, timestamp: str, body: bytes, given: str, now: float) -> str:
    """Why a signed request is refused ("" when it is good): no secret set, a stale time, a wrong signature."""
    if not secret:
        return "no webhook secret is set in Settings → Telephony"
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return "X-Raccordo-Timestamp is missing or not a number"
    if abs(now - sent) > SIGNATURE_TOLERANCE:
        return "X-Raccordo-Timestamp is more than 5 minutes off"
    if not hmac.compare_digest(signature(secret, timestamp, body), (given or "").strip().lower()):
        return "X-Raccordo-Signature does not match the body"
    return ""
