"""Mass SMS to a segment: the counterparty list's filters (through the access policy) are the segment.

    campaign_preview(user=, filters=, search=) -> Preview   how many would get it, and why the rest would not
    campaign_start(user=, name=, text=, filters=, search=)  frozen recipients, queued; the worker sends them
    campaign_step(campaign=, now=)                          send what the rate allows now; seconds to wait, or None

The rate limit is counted, never slept: a step sends at most `rate_per_minute` minus what this campaign sent in
the minute before `now`, and tells the worker when to come back. Tests pass `now` and count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import may_mass_send, visible
from raccordo.access.records import record_create, record_update
from raccordo.comms.channels import opted_out
from raccordo.comms.models import Channel, OptOut
from raccordo.comms.recipients import sort_members
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import journal_bulk
from raccordo.core.models import Operation
from raccordo.parties.models import Phone, PhoneKind
from raccordo.parties.selectors import counterparty_list

from .models import CampaignStatus, SmsCampaign, SmsMessage, SmsStatus
from .segments import count_segments
from .services import clean_text, sms_deliver, sms_mark, sms_settings

WINDOW = dt.timedelta(minutes=1)
CAMPAIGN_FIELDS = ("name", "text", "filters", "created_by", "total", "skipped_opted_out", "skipped_no_mobile",
                   "skipped_duplicates")
# The filters of the counterparty list a segment keeps (the list's own names; paging and sorting are not a segment).
SEGMENT_KEYS = ("q", "kind", "responsible", "tag", "price_type", "vip", "mine", "team", "is_vip", "is_active",
                "inn", "kpp", "country", "segment", "saved_segment")


@dataclass
class Preview:
    """Who a mass send would reach: (counterparty id, contact id, number) per recipient, and who it would not."""

    recipients: list[tuple] = field(default_factory=list)
    clients: int = 0
    no_mobile: int = 0
    opted_out: int = 0
    duplicates: int = 0

    @property
    def count(self) -> int:
        return len(self.recipients)


def segment_filters(query) -> dict[str, str]:
    """The segment part of a counterparty list's query string (a QueryDict or a dict)."""
    return {k: str(query.get(k)) for k in SEGMENT_KEYS if query.get(k) not in (None, "")}


def _mobiles(user, counterparty_ids) -> dict:
    """The first mobile number of each client the user sees: primary first, the client's own before a contact's."""
    found: dict = {}
    phones = (visible(Phone.objects.filter(kind=PhoneKind.MOBILE, counterparty__in=counterparty_ids), user)
              .order_by("counterparty_id", "-is_primary", "contact_id", "number")
              .values_list("counterparty_id", "contact_id", "number"))
    for counterparty_id, contact_id, number in phones.iterator(chunk_size=2000):
        found.setdefault(counterparty_id, (contact_id, number))
    return found


def campaign_preview(*, user, filters: dict, search: str = "") -> Preview:
    """Recipients of a mass send to the clients `user` sees under `filters`: with a mobile number, minus
    numbers that opted out, minus numbers already in the list (two clients sharing one phone get one SMS)."""
    filters = dict(filters)
    search = search or filters.pop("q", "")
    clients = counterparty_list(user=user, search=search, filters=filters).order_by("name", "id")
    ids = list(clients.values_list("pk", flat=True))
    mobiles = _mobiles(user, ids)
    numbers = {number for _contact, number in mobiles.values()}
    refused = set(OptOut.objects.filter(channel=Channel.SMS, address__in=numbers).values_list("address", flat=True))
    found = sort_members(ids, mobiles, address=lambda entry: entry[1], refused=refused)
    return Preview(recipients=[(pk, contact_id, number) for pk, (contact_id, number) in found.recipients],
                   clients=len(ids), no_mobile=found.no_address, opted_out=found.opted_out,
                   duplicates=found.duplicates)


@transaction.atomic
def campaign_start(*, user, name: str, text: str, filters: dict, search: str = "",
                   expected: int | None = None, queue=None) -> SmsCampaign:
    """Freeze the segment's recipients as queued messages and hand the campaign to the worker.

    `expected` is the count the sender saw in the preview: when the segment changed since, nothing is sent and
    the error says the new count, so nobody texts more clients than they agreed to. `queue(campaign_id)` hands it
    to the worker once committed (sms.tasks.campaign_run_task; taken as an argument, the task module being above)."""
    if not may_mass_send(user):
        raise PermissionDenied(_("You may not send mass SMS."), code="sms.campaign.denied")
    if not sms_settings().configured:
        raise ApplicationError(_("SMS is not set up: ask your administrator."), code="sms.not_configured")
    text = clean_text(text)
    preview = campaign_preview(user=user, filters=filters, search=search)
    if not preview.count:
        raise ApplicationError(_("Nobody in this segment can get an SMS."), code="sms.campaign.empty")
    if expected is not None and expected != preview.count:
        raise ApplicationError(_("The segment changed: it now has %(n)s recipients. Check the preview again.") % {
            "n": preview.count}, code="sms.campaign.changed", extra={"count": preview.count})
    campaign = record_create(SmsCampaign, user=user, data={
        "name": (name or "").strip()[:150] or text[:60], "text": text, "filters": {**filters, "q": search},
        "created_by": user, "total": preview.count, "skipped_opted_out": preview.opted_out,
        "skipped_no_mobile": preview.no_mobile, "skipped_duplicates": preview.duplicates},
        fields=CAMPAIGN_FIELDS)
    segments = count_segments(text).segments
    messages = [SmsMessage(to=number, text=text, segments=segments, counterparty_id=counterparty_id,
                           contact_id=contact_id, sent_by=user, campaign=campaign)
                for counterparty_id, contact_id, number in preview.recipients]
    SmsMessage.objects.bulk_create(messages, batch_size=500)
    journal_bulk(entries=[(m, Operation.CREATE, {"to": [None, m.to], "campaign": [None, str(campaign.pk)]})
                          for m in messages], user=user)
    if queue is not None:
        transaction.on_commit(lambda: queue(campaign.pk))
    return campaign


def campaign_step(*, campaign: SmsCampaign, now=None) -> float | None:
    """Send the queued messages the rate allows at `now`; the seconds until the next step, None when done."""
    now = now or timezone.now()
    settings = sms_settings()
    if campaign.status != CampaignStatus.RUNNING:
        return None
    rate = max(settings.rate_per_minute, 1)
    sent = list(campaign.messages.filter(sent_at__gt=now - WINDOW, sent_at__lte=now)
                .order_by("sent_at").values_list("sent_at", flat=True))
    budget = rate - len(sent)
    queued = campaign.messages.filter(status=SmsStatus.QUEUED).order_by("created_at", "id")
    for message in queued.iterator(chunk_size=100):
        if budget <= 0:
            break
        if opted_out(Channel.SMS, message.to):
            # Asked to stop after the campaign started: honoured, and not counted against the rate.
            sms_mark(message, SmsStatus.REFUSED, _("The number asked for no more messages."), now, reached=False)
            continue
        sms_deliver(message=message, settings=settings, now=now)
        sent.append(now)
        budget -= 1
    if not campaign.messages.filter(status=SmsStatus.QUEUED).exists():
        record_update(campaign, user=None, data={"status": CampaignStatus.DONE, "finished_at": now},
                      fields=("status", "finished_at"))
        return None
    # Come back when the oldest send of the window leaves it (or at once, when the budget is not used up).
    oldest = min(sent) if len(sent) >= rate else now
    return max((oldest + WINDOW - now).total_seconds(), 0.0)


def campaign_cancel(*, user, campaign: SmsCampaign) -> SmsCampaign:
    """Stop a running mass send: what is still queued is not sent (marked refused, "cancelled")."""
    record_update(campaign, user=user, data={"status": CampaignStatus.CANCELLED, "finished_at": timezone.now()},
                  fields=("status", "finished_at"))
    now = timezone.now()
    queued = list(campaign.messages.filter(status=SmsStatus.QUEUED))
    SmsMessage.objects.filter(pk__in=[m.pk for m in queued]).update(status=SmsStatus.REFUSED, error=_("Cancelled"),
                                                                    status_at=now)
    journal_bulk(entries=[(m, Operation.UPDATE, {"status": [SmsStatus.QUEUED, SmsStatus.REFUSED]}) for m in queued],
                 user=user)
    return campaign


def campaign_progress(campaign: SmsCampaign) -> dict[str, int]:
    """How many of the campaign's messages are in each status, and how many are done (not queued)."""
    counts = {status: 0 for status in SmsStatus.values}
    for row in campaign.messages.values("status").order_by().annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    counts["done"] = sum(n for s, n in counts.items() if s != SmsStatus.QUEUED)
    return counts
