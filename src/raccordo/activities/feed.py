"""The counterparty card's activity feed and its "what's next" box: one time line of everything that happened
with a client, newest first, built from the interactions and the change journal of the client's records.

Every source is narrowed by the access policy before it is read (`visible`), so a reader sees a stage change
only on a deal they may see, an invoice's events only on an invoice they may see, and so on. A page costs a
fixed number of queries whatever the length of the history: one for the interactions, one for the journal, one
for the stage names and one for the invoice numbers on the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import visible
from raccordo.core.ids import parse_uuid
from raccordo.core.models import ChangeJournal, Operation, Origin
from raccordo.parties.models import Counterparty
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment, Stage

from .models import Interaction, Reminder, Task, TaskStatus
from .selectors import interaction_list

PAGE_SIZE = 20
# The invoice statuses the feed tells of: a draft is not yet news for the client's story.
INVOICE_EVENTS = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID, InvoiceStatus.CANCELLED)


@dataclass
class FeedItem:
    """One line of the feed, already in the reader's words; `link`/`object_id` name the record to open."""

    kind: str
    at: dt.datetime
    title: str
    detail: str = ""
    author: object = None
    link: str = ""
    object_id: object = None
    amount: Decimal | None = None
    currency: str = ""
    from_exchange: bool = False
    # A direct address to open (a call's recording, a mail message's page), when `link` names no record type.
    url: str = ""


@dataclass
class FeedPage:
    items: list[FeedItem] = field(default_factory=list)
    # The time to read the next page before (None: this is the last page).
    next_before: dt.datetime | None = None


# Further sources of the feed, registered by the apps that own them (mail, calls) from their AppConfig.ready(),
# so this module needs not know them. Each is called as source(user=, counterparty=, before=, limit=) and
# returns at most `limit` FeedItems older than `before` (None: the newest), newest first, already narrowed by
# the access policy; it must cost a fixed number of queries.
FEED_SOURCES: list = []


def register_source(source) -> None:
    """Add a source of feed lines (idempotent: registering the same function twice keeps one)."""
    if source not in FEED_SOURCES:
        FEED_SOURCES.append(source)


def interaction_item(interaction: Interaction) -> FeedItem:
    """A logged call, e-mail, meeting or note as a feed line."""
    parts = [str(interaction.get_kind_display()), str(interaction.get_direction_display())]
    if interaction.contact_id:
        parts.append(str(interaction.contact))
    detail = " · ".join(parts)
    return FeedItem(kind=interaction.kind, at=interaction.occurred_at, title=interaction.subject,
                    detail=detail + ("\n" + interaction.body if interaction.body else ""),
                    author=interaction.author)


def _types() -> dict[str, ContentType]:
    # ContentType's own cache answers after the first call: no query per page.
    found = ContentType.objects.get_for_models(Deal, Invoice, Payment, Task, Counterparty)
    return {"deal": found[Deal], "invoice": found[Invoice], "payment": found[Payment], "task": found[Task],
            "counterparty": found[Counterparty]}


def _journal_filter(user, counterparty, types: dict[str, ContentType]) -> Q:
    """The journal entries of the feed: each kind on the records of `counterparty` that `user` may see."""
    deals = visible(Deal.objects.filter(counterparty=counterparty), user).values("pk")
    invoices = visible(Invoice.objects.filter(counterparty=counterparty), user).values("pk")
    payments = visible(Payment.objects.filter(counterparty=counterparty), user).values("pk")
    tasks = visible(Task.objects.filter(counterparty=counterparty), user).values("pk")
    return (
        Q(content_type=types["deal"], object_id__in=deals)
        & (Q(operation=Operation.CREATE) | Q(changes__has_key="stage"))
        | Q(content_type=types["invoice"], object_id__in=invoices, changes__status__1__in=list(INVOICE_EVENTS))
        | Q(content_type=types["payment"], object_id__in=payments, operation=Operation.CREATE)
        | Q(content_type=types["task"], object_id__in=tasks)
        & (Q(operation=Operation.CREATE) | Q(changes__status__1=TaskStatus.DONE))
        # What 1C changed on the client itself (what it changed on invoices shows as their own events).
        | Q(content_type=types["counterparty"], object_id=counterparty.pk, origin=Origin.EXCHANGE)
    )


def _after(entry: ChangeJournal, name: str):
    pair = (entry.changes or {}).get(name)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


def _before(entry: ChangeJournal, name: str):
    pair = (entry.changes or {}).get(name)
    return pair[0] if isinstance(pair, list) and len(pair) == 2 else None


def _deal_item(entry, stages: dict) -> FeedItem:
    to = stages.get(str(_after(entry, "stage")), "—")
    if entry.operation == Operation.CREATE:
        title = _("Deal “%(deal)s” opened at stage “%(stage)s”") % {"deal": entry.object_repr, "stage": to}
    else:
        title = _("Deal “%(deal)s” moved from “%(from)s” to “%(to)s”") % {
            "deal": entry.object_repr, "from": stages.get(str(_before(entry, "stage")), "—"), "to": to}
    return FeedItem(kind="stage", at=entry.at, title=title, link="deal", object_id=entry.object_id)


def _invoice_item(entry, numbers: dict) -> FeedItem:
    number = _after(entry, "number") or numbers.get(str(entry.object_id)) or "—"
    texts = {InvoiceStatus.ISSUED: _("Invoice %(number)s issued"),
             InvoiceStatus.PARTLY_PAID: _("Invoice %(number)s partly paid"),
             InvoiceStatus.PAID: _("Invoice %(number)s paid"),
             InvoiceStatus.CANCELLED: _("Invoice %(number)s cancelled")}
    title = texts.get(_after(entry, "status"), _("Invoice %(number)s changed")) % {"number": number}
    return FeedItem(kind="invoice", at=entry.at, title=title, link="invoice", object_id=entry.object_id)


def _payment_item(entry) -> FeedItem:
    try:
        amount = Decimal(str(_after(entry, "amount")))
    except (InvalidOperation, ValueError):
        amount = None
    number = _after(entry, "number")
    title = _("Payment %(number)s received") % {"number": number} if number else _("Payment received")
    return FeedItem(kind="payment", at=entry.at, title=title, amount=amount,
                    currency=_after(entry, "currency") or "")


def _task_item(entry) -> FeedItem:
    if entry.operation == Operation.CREATE:
        title = _("Task “%(task)s” created") % {"task": entry.object_repr}
    else:
        title = _("Task “%(task)s” done") % {"task": entry.object_repr}
    return FeedItem(kind="task", at=entry.at, title=title, link="task", object_id=entry.object_id)


def _exchange_item(entry) -> FeedItem:
    if entry.operation == Operation.CREATE:
        return FeedItem(kind="exchange", at=entry.at, title=_("Received from 1C"), from_exchange=True)
    labels = []
    for name in entry.changes or {}:
        try:
            model_field = Counterparty._meta.get_field(name)
        except Exception:  # a field since removed from the model
            continue
        labels.append(str(getattr(model_field, "verbose_name", name)))
    return FeedItem(kind="exchange", at=entry.at, title=_("Updated from 1C"), detail=", ".join(labels),
                    from_exchange=True)


def _journal_items(entries: list[ChangeJournal], types: dict[str, ContentType]) -> list[FeedItem]:
    """The journal rows as feed lines; stage names and invoice numbers are read once for the whole page."""
    stage_ids = {pk for e in entries if e.content_type_id == types["deal"].pk
                 for pk in (parse_uuid(str(v)) for v in (_before(e, "stage"), _after(e, "stage")) if v) if pk}
    stages = {str(s.pk): s.name for s in Stage.objects.filter(pk__in=stage_ids)} if stage_ids else {}
    invoice_ids = [e.object_id for e in entries if e.content_type_id == types["invoice"].pk]
    numbers = ({str(pk): n for pk, n in Invoice.objects.filter(pk__in=invoice_ids).values_list("pk", "number")}
               if invoice_ids else {})
    makers = {types["deal"].pk: lambda e: _deal_item(e, stages), types["invoice"].pk: lambda e: _invoice_item(e, numbers),
              types["payment"].pk: _payment_item, types["task"].pk: _task_item,
              types["counterparty"].pk: _exchange_item}
    items = []
    for entry in entries:
        item = makers[entry.content_type_id](entry)
        item.author = entry.user
        item.from_exchange = entry.origin == Origin.EXCHANGE
        items.append(item)
    return items


def feed_page(*, user, counterparty, before: dt.datetime | None = None, size: int = PAGE_SIZE) -> FeedPage:
    """One page of the feed of `counterparty` as `user` may see it, newest first, older than `before`."""
    types = _types()
    interactions = interaction_list(user=user, counterparty=counterparty)
    journal = (ChangeJournal.objects.filter(_journal_filter(user, counterparty, types)).select_related("user")
               .order_by("-at", "-seq"))
    if before is not None:
        interactions = interactions.filter(occurred_at__lt=before)
        journal = journal.filter(at__lt=before)
    # size + 1 of each source tells whether anything is left after this page.
    items = [interaction_item(i) for i in interactions[: size + 1]]
    items += _journal_items(list(journal[: size + 1]), types)
    for source in FEED_SOURCES:
        items += source(user=user, counterparty=counterparty, before=before, limit=size + 1)
    items.sort(key=lambda item: item.at, reverse=True)
    page = FeedPage(items=items[:size])
    if len(items) > size:
        page.next_before = page.items[-1].at
    return page


@dataclass
class NextStep:
    """An open task or reminder of the client, for the "what's next" box."""

    kind: str
    at: dt.datetime | None
    title: str
    overdue: bool
    obj: object


def next_steps(*, user, counterparty, limit: int = 5) -> list[NextStep]:
    """The client's next open tasks and reminders that `user` may see, overdue ones first, then by date."""
    now = timezone.now()
    tasks = (visible(Task.objects.filter(counterparty=counterparty), user)
             .exclude(status__in=(TaskStatus.DONE, TaskStatus.CANCELLED)).select_related("assignee")
             .order_by(F("due_at").asc(nulls_last=True), "created_at")[:limit])
    reminders = (visible(Reminder.objects.filter(counterparty=counterparty, is_done=False), user)
                 .select_related("user").order_by("start_at")[:limit])
    steps = [NextStep("task", t.due_at, t.title, bool(t.due_at and t.due_at < now), t) for t in tasks]
    steps += [NextStep("reminder", r.start_at, r.text, r.start_at < now, r) for r in reminders]
    far = timezone.make_aware(dt.datetime.max - dt.timedelta(days=2)) if timezone.is_aware(now) else dt.datetime.max
    steps.sort(key=lambda s: (not s.overdue, s.at or far))
    return steps[:limit]
