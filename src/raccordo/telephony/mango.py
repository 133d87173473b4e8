"""Mango Office's cloud PBX: its event webhooks, signature checked, told as the contract's events.

Mango posts form fields `vpbx_api_key`, `sign` and `json` to the address set in its account plus
`/events/call`, `/events/summary`, `/events/recording`; `sign` is hex SHA-256 of api key + json + api salt
(the scheme of its command API, used for its events too). One whole call, across transfers and queue members,
is one `entry_id`; a leg's `call_state` goes Appeared -> Connected -> Disconnected, `location` says where the
call is (ivr, queue, abonent), and the summary sent once the call is over says whether anyone answered
(`entry_result`) and when the talk began and ended.

    call     Appeared at an employee (location abonent)  -> ringing at that extension
             Connected at an employee                   -> answered at that extension
    summary  entry_result 1                              -> ended, talk = end_time - talk_time
             entry_result 0, inbound                     -> missed
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from .contract import CallEventInput, ContractError

DIRECTIONS = {0: "internal", 1: "in", 2: "out"}


def mango_sign(api_key: str, payload: str, salt: str) -> str:
    """The `sign` field of a Mango request."""
    return hashlib.sha256((api_key + payload + salt).encode("utf-8")).hexdigest()


def mango_problem(*, api_key: str, salt: str, given_key: str, given_sign: str, payload: str) -> str:
    """Why a webhook is refused ("" when it is Mango's): no key set, another account's key, a wrong sign."""
    if not api_key or not salt:
        return "the Mango Office API key and salt are not set in Settings → Telephony"
    if not hmac.compare_digest(api_key, given_key or ""):
        return "vpbx_api_key is not this account's"
    if not hmac.compare_digest(mango_sign(api_key, payload, salt), (given_sign or "").strip().lower()):
        return "sign does not match the json"
    return ""


def _party(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _moment(value: Any) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value), dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return dt.datetime.now(dt.UTC)


def _direction(frm: dict, to: dict) -> str:
    if frm.get("extension") and to.get("extension"):
        return "internal"
    return "out" if frm.get("extension") else "in"


def _call_event(data: dict) -> list[CallEventInput]:
    frm, to = _party(data, "from"), _party(data, "to")
    state, location = data.get("call_state", ""), data.get("location", "")
    kind = {"Appeared": "ringing", "Connected": "answered"}.get(state)
    if kind is None or location not in ("abonent", ""):
        return []  # the IVR, a queue still looking for someone, a leg hanging up: the summary tells the end
    direction = _direction(frm, to)
    extension = str(frm.get("extension") if direction == "out" else to.get("extension") or "")
    if not extension:
        return []
    return [CallEventInput(call_id=str(data["entry_id"]), event=kind, provider="mango", direction=direction,
                           from_number=str(frm.get("number") or ""), to_number=str(to.get("number") or ""),
                           did=str(to.get("line_number") or ""), extension=extension,
                           occurred_at=_moment(data.get("timestamp")), raw=data)]


def _summary_event(data: dict) -> list[CallEventInput]:
    frm, to = _party(data, "from"), _party(data, "to")
    direction = DIRECTIONS.get(data.get("call_direction"), _direction(frm, to))
    answered = str(data.get("entry_result", "")) == "1"
    talk_time, end_time = data.get("talk_time") or 0, data.get("end_time") or 0
    talk = max(0, int(end_time) - int(talk_time)) if answered and talk_time and end_time else None
    kind = "ended" if answered or direction != "in" else "missed"
    return [CallEventInput(
        call_id=str(data["entry_id"]), event=kind, provider="mango", direction=direction,
        from_number=str(frm.get("number") or frm.get("extension") or ""),
        to_number=str(to.get("number") or to.get("extension") or ""), did=str(data.get("line_number") or ""),
        occurred_at=_moment(end_time or data.get("create_time")), talk_duration=talk,
        disposition="answered" if answered else f"disconnect {data.get('disconnect_reason', '')}".strip(),
        raw=data)]


def mango_events(kind: str, payload: str) -> list[CallEventInput]:
    """The contract events of one Mango webhook (`kind`: call, summary, recording, ...)."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise ContractError(f"json is not JSON: {exc}", "json") from exc
    if not isinstance(data, dict):
        raise ContractError("json must be an object.", "json")
    if kind not in ("call", "summary"):
        return []
    if not data.get("entry_id"):
        raise ContractError("json has no entry_id.", "entry_id")
    return _call_event(data) if kind == "call" else _summary_event(data)
