"""Write services of telephony: every adapter's call events, the missed-call task, extensions, settings, dialling.

`record_event` is the one door of every PBX: the Asterisk adapter, Mango Office's webhook and the generic signed
endpoint all call it with a `contract.CallEventInput`. It is idempotent on (call, event, extension): a PBX that
sends an event twice, or a webhook retried after a timeout, changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from raccordo.access.policy import may_place_call, require
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.activities.services import task_create
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.phones import format_phone

from .contract import CallEventInput
from .matching import match_number
from .models import (
    Call,
    CallDirection,
    CallEvent,
    CallStatus,
    EventKind,
    Extension,
    PbxState,
    TelephonySettings,
)

log = logging.getLogger("raccordo.telephony")

CALL_FIELDS = ("provider", "call_id", "direction", "status", "from_number", "to_number", "number", "extension",
               "user", "counterparty", "contact", "started_at", "answered_at", "ended_at", "duration_seconds",
               "disposition", "recording_url", "task")
SETTINGS_FIELDS = ("ami_enabled", "ami_host", "ami_port", "ami_username", "ami_secret", "ami_context", "ami_channel",
                   "ami_recording_url", "webhook_secret", "mango_secret_key", "mango_secret_salt")
# Secrets: an empty input keeps the stored value (the form never shows them back).
SECRET_FIELDS = ("ami_secret", "webhook_secret", "mango_secret_key", "mango_secret_salt")


def _extension_user(number: str):
    if not number:
        return None
    found = Extension.objects.select_related("user").filter(number=number, user__is_active=True).first()
    return found.user if found else None


def _new_call(event: CallEventInput) -> Call:
    """The call of a first event: the outside party's number matched to a client."""
    outside = {"in": event.from_number, "out": event.to_number}.get(event.direction, "")
    match = match_number(outside)
    data = {"provider": event.provider, "call_id": event.call_id, "direction": event.direction,
            "status": CallStatus.RINGING, "from_number": event.from_number, "to_number": event.to_number or event.did,
            "number": match.number, "counterparty": match.counterparty, "contact": match.contact,
            "started_at": event.occurred_at}
    return record_create(Call, user=None, data=data, fields=CALL_FIELDS)


def _locked_call(event: CallEventInput) -> Call:
    found = Call.objects.select_for_update().filter(provider=event.provider, call_id=event.call_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return _new_call(event)
    except IntegrityError:
        # Another worker created it between our look and our insert: take theirs.
        return Call.objects.select_for_update().get(provider=event.provider, call_id=event.call_id)


def _ended(call: Call, event: CallEventInput) -> dict[str, Any]:
    data: dict[str, Any] = {"ended_at": call.ended_at or event.occurred_at}
    if event.disposition:
        data["disposition"] = event.disposition
    if call.answered_at or event.talk_duration:
        talk = event.talk_duration
        if talk is None:
            talk = max(0, int((event.occurred_at - call.answered_at).total_seconds())) if call.answered_at else 0
        data.update(status=CallStatus.ENDED, duration_seconds=talk)
    elif event.direction == CallDirection.INBOUND or call.direction == CallDirection.INBOUND:
        data["status"] = CallStatus.MISSED
    else:
        data["status"] = CallStatus.ENDED
    return data


def _changes(call: Call, event: CallEventInput, user) -> dict[str, Any]:
    """What the event changes on the call; the status only moves forward (events may arrive out of order)."""
    data: dict[str, Any] = {}
    person = {"extension": event.extension, "user": user} if event.extension else {}
    closed = call.status in (CallStatus.ENDED, CallStatus.MISSED)
    if event.event == EventKind.RINGING and not call.extension and not closed:
        data.update(person)
    elif event.event == EventKind.ANSWERED and not closed:
        # A transfer is a second "answered" at another extension: the call is now that person's.
        data.update(person, status=CallStatus.ANSWERED, answered_at=call.answered_at or event.occurred_at)
    elif event.event == EventKind.ENDED and not closed:
        data.update(_ended(call, event))
        if not call.extension:
            data.update(person)
    elif event.event == EventKind.MISSED and not closed and not call.answered_at:
        data.update(status=CallStatus.MISSED, ended_at=event.occurred_at, disposition=event.disposition or "missed")
        if not call.extension:
            data.update(person)
    if event.recording_url:
        data["recording_url"] = event.recording_url
    return data


@transaction.atomic
def record_event(*, event: CallEventInput) -> Call:
    """Apply one call event of any adapter: the call is created, matched, moved on, and a missed one becomes a
    call-back task for the client's responsible manager. Repeating an event changes nothing."""
    call = _locked_call(event)
    if CallEvent.objects.filter(call=call, event=event.event, extension=event.extension).exists():
        return call
    user = _extension_user(event.extension)
    CallEvent.objects.create(call=call, event=event.event, extension=event.extension, user=user,
                             occurred_at=event.occurred_at, raw=event.raw)
    was_missed = call.status == CallStatus.MISSED
    data = _changes(call, event, user)
    if data:
        call = record_update(call, user=None, data=data, fields=CALL_FIELDS)
    if call.status == CallStatus.MISSED and not was_missed and call.task_id is None:
        task = _missed_call_task(call)
        if task is not None:
            call = record_update(call, user=None, data={"task": task}, fields=CALL_FIELDS)
    pbx_state_report(provider=event.provider, event_at=timezone.now())
    return call


def _missed_call_task(call: Call):
    """A call-back task for the client's responsible manager (the employee at the extension for an unknown
    number), in their own language; None when nobody can be named."""
    client = call.counterparty
    assignee = client.responsible if client is not None and client.responsible_id else call.user
    if assignee is None:
        return None
    who = call.contact or call.counterparty or format_phone(call.number or call.from_number)
    with translation.override(getattr(assignee, "language", "") or None):
        title = _("Call back: missed call from %(who)s") % {"who": who}
        description = _("Missed call from %(number)s at %(time)s.") % {
            "number": format_phone(call.number) if call.number else call.from_number,
            "time": timezone.localtime(call.started_at).strftime("%d.%m.%Y %H:%M")}
    return task_create(user=None, data={
        "title": title[:255], "description": description, "assignee": assignee, "counterparty": call.counterparty,
        "due_at": timezone.now() + dt.timedelta(hours=1), "priority": "high"})


def pbx_state_report(*, provider: str, connected: bool | None = None, error: str | None = None,
                     event_at: dt.datetime | None = None) -> None:
    """Note what an adapter reports (connected, an event, an error) for the settings page; not journaled: it is
    the adapter's heartbeat, not a record anyone changes."""
    values: dict[str, Any] = {}
    if connected is not None:
        values["connected"] = connected
    if error is not None:
        values.update(last_error=error[:2000], last_error_at=timezone.now())
    if event_at is not None:
        values["last_event_at"] = event_at
    state, created = PbxState.objects.get_or_create(provider=provider, defaults=values)
    if not created and values:
        PbxState.objects.filter(pk=state.pk).update(updated_at=timezone.now(), **values)


def telephony_settings() -> TelephonySettings:
    """The one settings row (created empty on first use)."""
    found = TelephonySettings.objects.order_by("created_at").first()
    return found or TelephonySettings.objects.create()


def telephony_settings_update(*, user, data: dict[str, Any]) -> TelephonySettings:
    """Change the PBX connection and webhook secrets (administrators); an empty secret keeps the stored one."""
    row = telephony_settings()
    data = {k: v for k, v in data.items() if not (k in SECRET_FIELDS and not v)}
    return record_update(row, user=user, data=data, fields=SETTINGS_FIELDS)


@transaction.atomic
def extension_set(*, user, employee, number: str) -> Extension | None:
    """Give `employee` the extension `number` (empty takes it away); an extension is one person's."""
    require(user, "change", TelephonySettings())
    number = (number or "").strip()
    current = Extension.objects.filter(user=employee).first()
    if not number:
        if current is not None:
            record_delete(current, user=user)
        return None
    taken = Extension.objects.filter(number=number).exclude(user=employee).select_related("user").first()
    if taken is not None:
        raise ApplicationError(_("Extension %(number)s is already %(name)s's.") % {
            "number": number, "name": taken.user}, code="telephony.extension.taken", extra={"field": "number"})
    if current is None:
        return record_create(Extension, user=user, data={"user": employee, "number": number},
                             fields=("user", "number"))
    return record_update(current, user=user, data={"number": number}, fields=("number",))


def call_originate(*, user, number: str, counterparty=None) -> str:
    """Dial `number` from the user's own phone through Asterisk (Originate): their phone rings first, then the
    client's. Returns the ActionID; raises ApplicationError saying what is missing."""
    from .ami.originate import originate  # noqa: PLC0415 - the AMI client is loaded only to dial

    own = Extension.objects.filter(user=user).first() if getattr(user, "pk", None) else None
    if own is None:
        raise PermissionDenied(_("You need an extension of your own (Settings → Telephony) to place calls."),
                               code="telephony.call.denied")
    if not may_place_call(user, extension=own.number, counterparty=counterparty):
        raise PermissionDenied(_("You may not call this number from Raccordo."), code="telephony.call.denied")
    config = telephony_settings()
    if not (config.ami_enabled and config.ami_host and config.ami_username):
        raise ApplicationError(_("Asterisk is not connected: an administrator sets it up in Settings → Telephony."),
                               code="telephony.ami.off")
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    if not digits:
        raise ApplicationError(_("There is no number to dial."), code="telephony.call.number")
    try:
        return originate(config, extension=own.number, number=digits)
    except OSError as exc:
        pbx_state_report(provider="asterisk", error=f"Originate: {exc}")
        raise ApplicationError(_("Asterisk did not accept the call: %(error)s") % {"error": exc},
                               code="telephony.ami.originate") from exc

