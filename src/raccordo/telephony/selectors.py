"""Read queries of telephony, through the access policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.utils import timezone

from raccordo.access.policy import call_party_visible, visible
from raccordo.core.errors import NotFound
from raccordo.core.filters import CHIP_ON
from raccordo.sales.models import StageKind
from raccordo.sales.selectors import deal_list, invoice_list

from .models import Call, CallEvent, CallStatus, EventKind, Extension, PbxState, TelephonySettings

# A call that rang this long ago and never ended (the PBX lost its hang-up) no longer pops up.
POPUP_WINDOW = dt.timedelta(minutes=30)


def call_list(*, user, counterparty=None) -> QuerySet[Call]:
    """Calls `user` may see (a VIP client's only to those who see the client), newest first."""
    qs = visible(Call.objects.select_related("counterparty", "contact", "user"), user)
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    return qs.order_by("-started_at")


def call_get(*, user, pk) -> Call:
    """One call `user` may see, or NotFound."""
    found = call_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("Call not found.")
    return found


def own_extension(*, user) -> str:
    """The user's own extension ("" when they have none)."""
    if not getattr(user, "pk", None):
        return ""
    found = visible(Extension.objects.filter(user=user), user).first()
    return found.number if found else ""


@dataclass
class Popup:
    """What the ringing phone's pop-up shows: the call, and the client only when the policy allows."""

    call: Call
    state: str
    counterparty: object = None
    contact: object = None
    hidden: bool = False
    deals: list | None = None
    overdue: list | None = None


def ringing_call(*, user) -> Call | None:
    """The call ringing (or being answered) at the user's own phone now: the newest event of theirs whose call
    is still going and that another colleague has not taken."""
    since = timezone.now() - POPUP_WINDOW
    events = (visible(CallEvent.objects.filter(user=user), user)
              .filter(event__in=(EventKind.RINGING, EventKind.ANSWERED), occurred_at__gte=since,
                      call__status__in=(CallStatus.RINGING, CallStatus.ANSWERED))
              .select_related("call", "call__counterparty", "call__contact", "call__counterparty__responsible")
              .order_by("-occurred_at"))
    for event in events[:5]:
        call = event.call
        if call.status == CallStatus.ANSWERED and call.user_id != user.pk:
            continue  # answered by someone else in the queue: the pop-up goes away
        return call
    return None


def call_popup(*, user) -> Popup | None:
    """The pop-up of the call ringing at the user's phone, with the open deals and overdue invoices they may
    see; a client they may not see is named as hidden, nothing more."""
    call = ringing_call(user=user)
    if call is None:
        return None
    popup = Popup(call=call, state=f"{call.pk}:{call.status}")
    if call.counterparty_id is None:
        return popup
    if not call_party_visible(user, call.counterparty):
        popup.hidden = True
        return popup
    popup.counterparty, popup.contact = call.counterparty, call.contact
    popup.deals = list(deal_list(user=user).filter(counterparty=call.counterparty, stage__kind=StageKind.OPEN)
                       .order_by("-created_at")[:5])
    popup.overdue = list(invoice_list(user=user, filters={"overdue": CHIP_ON})
                         .filter(counterparty=call.counterparty).order_by("due_date")[:5])
    return popup


def pbx_states() -> dict[str, PbxState]:
    """Each adapter's last report, for the settings page (administrators: the view checks)."""
    return {s.provider: s for s in PbxState.objects.all()}


def people_with_extensions():
    """Active people with their extensions, for the settings page (administrators: the view checks)."""
    return get_user_model().objects.filter(is_active=True).select_related("phone_extension").order_by(
        "last_name", "first_name", "username")


def pbx_configured() -> bool:
    """Is any PBX set up to report calls (Asterisk switched on, a webhook secret or Mango's key set)?"""
    row = TelephonySettings.objects.order_by("created_at").first()
    return bool(row and (row.ami_enabled or row.webhook_secret or row.mango_secret_key))


def missed_calls_by_person(*, narrow, start_at, end_at) -> dict:
    """{employee id or None: count} of the calls missed in [start_at, end_at), for the head's scheduled report
    (reports.missed_calls): `narrow` applies the access policy of the people the report is computed for, so a
    missed call of a client they may not see is never counted."""
    calls = narrow(Call.objects.filter(status=CallStatus.MISSED, started_at__gte=start_at, started_at__lt=end_at))
    return {row["user"]: row["n"] for row in calls.order_by().values("user").annotate(n=Count("pk"))}
