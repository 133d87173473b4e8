"""The calls Asterisk reports, followed by `Linkedid` and told as the contract's events.

Asterisk describes a call as channels (legs) that appear, dial, bridge and hang up; every leg of one call carries
the Linkedid of the first. The tracker keeps, per Linkedid, the live legs and what it already said, and turns:

    Newchannel (first leg)                   -> the call: caller, dialled number, direction
    DialBegin / AgentCalled to a desk phone  -> ringing at that extension (each member of a queue)
    DialEnd ANSWER / AgentConnect            -> answered at that extension (after a transfer: the new one)
    QueueCallerAbandon                       -> the caller gave up: the call will end as missed
    Hangup of the last leg                   -> ended (with the talk time), or missed if nobody answered

Nothing here touches the database: the client hands the events to services.record_event.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..contract import CallEventInput

# PJSIP/101-0000002a, SIP/101-..., Local/101@from-queue-...;1, IAX2/101-...; a queue's Interface: PJSIP/101.
CHANNEL = re.compile(r"^(?:PJSIP|SIP|IAX2|DAHDI|Local)/([^-@/;]+)", re.IGNORECASE)
SHORT_NUMBER = re.compile(r"^\d{2,6}$")


def looks_like_extension(number: str) -> bool:
    """A desk phone's number when no list of extensions is given: 2 to 6 digits."""
    return bool(SHORT_NUMBER.match(number or ""))


def channel_extension(channel: str) -> str:
    found = CHANNEL.match(channel or "")
    return found.group(1) if found else ""


# A call whose hang-up never came (lost while the line was down) is forgotten after this long.
FORGET_AFTER = 12 * 3600.0


@dataclass
class _Call:
    linkedid: str
    seen: float = 0.0
    direction: str = "in"
    caller: str = ""
    dialled: str = ""
    extension: str = ""
    legs: set[str] = field(default_factory=set)
    answered_at: float | None = None
    abandoned: bool = False
    said: set[tuple[str, str]] = field(default_factory=set)


class CallTracker:
    """Turns AMI events into contract events; `is_extension` tells a desk phone from an outside number."""

    def __init__(self, *, is_extension: Callable[[str], bool] = looks_like_extension, recording_url: str = ""):
        self.is_extension = is_extension
        self.recording_url = recording_url
        self.calls: dict[str, _Call] = {}

    def _event(self, call: _Call, kind: str, extension: str, at: float, **extra) -> list[CallEventInput]:
        if (kind, extension) in call.said:
            return []
        call.said.add((kind, extension))
        frm, to = (call.caller, call.dialled)
        return [CallEventInput(
            call_id=call.linkedid, event=kind, provider="asterisk", direction=call.direction, from_number=frm,
            to_number=to, extension=extension, occurred_at=dt.datetime.fromtimestamp(at, dt.UTC), **extra)]

    def feed(self, message: dict[str, str]) -> list[CallEventInput]:
        """The contract events one AMI message makes (usually none)."""
        name = message.get("Event", "")
        handler = getattr(self, f"_on_{name.lower()}", None)
        if handler is None:
            return []
        linkedid = message.get("Linkedid") or message.get("Uniqueid") or ""
        if not linkedid:
            return []
        try:
            at = float(message.get("Timestamp", "") or time.time())
        except ValueError:
            at = time.time()
        return handler(message, linkedid, at)

    def _on_newchannel(self, m: dict[str, str], linkedid: str, at: float) -> list[CallEventInput]:
        call = self.calls.get(linkedid)
        if call is None:
            if m.get("Uniqueid", linkedid) != linkedid:
                return []  # a leg of a call that began before we connected: not followed
            self._forget_before(at - FORGET_AFTER)
            call = self.calls[linkedid] = _Call(linkedid=linkedid, seen=at)
            call.caller, call.dialled = m.get("CallerIDNum", ""), m.get("Exten", "")
            own = channel_extension(m.get("Channel", ""))
            if self.is_extension(call.caller) or (own and self.is_extension(own) and own == call.caller):
                call.extension = call.caller
                call.direction = "internal" if self.is_extension(call.dialled) else "out"
        call.legs.add(m.get("Channel", ""))
        return []

    def _forget_before(self, moment: float) -> None:
        for linkedid in [k for k, c in self.calls.items() if c.seen < moment]:
            del self.calls[linkedid]

    def _ringing_at(self, call: _Call, extension: str, at: float) -> list[CallEventInput]:
        if call.direction == "out":
            return self._event(call, "ringing", call.extension, at)
        if extension and self.is_extension(extension):
            return self._event(call, "ringing", extension, at)
        return []

    def _on_dialbegin(self, m: dict[str, str], linkedid: str, at: float) -> list[CallEventInput]:
        call = self.calls.get(linkedid)
        if call is None:
            return []
        if call.direction == "out" and not call.dialled:
            call.dialled = m.get("DestCallerIDNum") or m.get("DialString", "")
        return self._ringing_at(call, channel_extension(m.get("DestChannel", "")), at)

    def _on_agentcalled(self, m: dict[str, str], linkedid: str, at: float) -> list[CallEventInput]:
        call = self.calls.get(linkedid)
        if call is None:
            return []
        extension = channel_extension(m.get("Interface", "")) or channel_extension(m.get("DestChannel", ""))
        return self._ringing_at(call, extension, at)

    def _answered(self, call: _Call, extension: str, at: float) -> list[CallEventInput]:
        if call.direction == "out":
            extension = call.extension
        if not extension:
            return []
        if call.answered_at is None:
            call.answered_at = at
        call.extension = extension
        return self._event(call, "answered", extension, at)

    def _on_dialend(self, m: dict[str, str], linkedid: str, at: float) -> list[CallEventInput]:
        call = self.calls.get(linkedid)
        if call is None or m.get("DialStatus", "").upper() != "ANSWER":
            return []
        return self._answered(call, channel_extension(m.get("DestChannel", "")), at)

    def _on_agentconnect(self, m: dict[str, str], linkedid: str, at: float) -> list[CallEventInput]:
        call = self.calls.get(linkedid)
        if call is None:
            return []
        extension = channel_extension(m.get("Interface", "")) or channel_extension(m.get("DestChannel", ""))
        return self._answered(call, extension, at)

    def _on_queuecallerabandon(self, m: dict[str, str], linkedid: str, at: float) -> list[CallEventInput]:
        call = self.calls.get(linkedid)
        if call is not None:
            call.abandoned = True
        return []

    def _on_hangup(self, m: dict[str, str], linkedid: str, at: float) -> list[CallEventInput]:
        call = self.calls.get(linkedid)
        if call is None:
            return []
        call.legs.discard(m.get("Channel", ""))
        if call.legs:
            return []
        del self.calls[linkedid]
        if call.answered_at is None:
            kind = "missed" if call.direction == "in" else "ended"
            return self._event(call, kind, call.extension if call.direction != "in" else "", at,
                               disposition="abandoned" if call.abandoned else "no_answer")
        url = self.recording_url.replace("{call_id}", call.linkedid) if self.recording_url else ""
        return self._event(call, "ended", "", at, talk_duration=max(0, int(at - call.answered_at)),
                           disposition="answered", recording_url=url)
