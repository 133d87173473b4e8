"""Write services for interactions, tasks, reminders and complaints."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from raccordo.access.records import check_fields, record_create, record_update
from raccordo.sales.models import Invoice, InvoiceStatus

from .models import Complaint, ComplaintStatus, Interaction, Periodicity, Reminder, Task, TaskStatus
from .selectors import reminders_due
from .texts import INVOICE_DUE, reminder_text

# The fields each service lets its callers set; anything else is refused by record_create/record_update.
INTERACTION_FIELDS = ("kind", "direction", "counterparty", "contact", "deal", "subject", "body", "occurred_at",
                      "duration_seconds", "outcome", "author")
# The time a task was completed is the service's: it follows from the status.
TASK_FIELDS = ("title", "description", "assignee", "author", "counterparty", "deal", "due_at", "priority", "status")
# What the reminder is attached to comes from `target`; when it was e-mailed, from the digest.
REMINDER_FIELDS = ("user", "subject", "counterparty", "start_at", "importance", "periodicity", "is_done", "rule",
                   "subject_params")
REMINDER_TARGET_FIELDS = ("target_type", "target_id")
COMPLAINT_FIELDS = ("counterparty", "received_at", "subject", "description", "status", "responsible", "deadline",
                    "resolution")


def interaction_log(*, user, data: dict[str, Any]) -> Interaction:
    """Log a call, e-mail, meeting or note; the author is the user who logs it."""
    data = dict(data)
    data.setdefault("occurred_at", timezone.now())
    if user is not None:
        data.setdefault("author", user)
    return record_create(Interaction, user=user, data=data, fields=INTERACTION_FIELDS)


def task_create(*, user, data: dict[str, Any]) -> Task:
    """Create a task; it is assigned to its author unless an assignee is given."""
    check_fields(Task, data, TASK_FIELDS)
    data = dict(data)
    if user is not None:
        data.setdefault("author", user)
        if not data.get("assignee"):
            data["assignee"] = user
    if getattr(data.get("deal"), "counterparty_id", None) and not data.get("counterparty"):
        # A task about a deal is about its client too: it shows on the client's card.
        data["counterparty"] = data["deal"].counterparty
    return record_create(Task, user=user, data=data, fields=(*TASK_FIELDS, "completed_at"))


def task_update(*, user, task: Task, data: dict[str, Any]) -> Task:
    """Change a task; marking it done stamps the completion time."""
    check_fields(Task, data, TASK_FIELDS)
    data = dict(data)
    if data.get("status") == TaskStatus.DONE and task.status != TaskStatus.DONE:
        data["completed_at"] = timezone.now()
    elif data.get("status") not in (None, TaskStatus.DONE):
        data["completed_at"] = None
    return record_update(task, user=user, data=data, fields=(*TASK_FIELDS, "completed_at"))


def reminder_create(*, user, data: dict[str, Any], target=None) -> Reminder:
    """Create a reminder, optionally attached to any record (its counterparty is taken from it)."""
    check_fields(Reminder, data, REMINDER_FIELDS)
    data = dict(data)
    if user is not None:
        data.setdefault("user", user)
    if target is not None:
        data["target_type"] = ContentType.objects.get_for_model(type(target))
        data["target_id"] = target.pk
        if "counterparty" not in data:
            is_counterparty = target._meta.label_lower == "parties.counterparty"
            data["counterparty"] = target if is_counterparty else getattr(target, "counterparty", None)
    return record_create(Reminder, user=user, data=data, fields=REMINDER_FIELDS + REMINDER_TARGET_FIELDS)


def reminder_done(*, user, reminder: Reminder, final: bool = False) -> Reminder:
    """Mark a reminder as done; a repeating one moves on to its next occurrence instead, unless `final`."""
    if reminder.periodicity != Periodicity.ONCE and not final:
        return record_update(reminder, user=user, data={
            "start_at": next_occurrence(reminder.start_at, reminder.periodicity), "emailed_at": None},
            fields=("start_at", "emailed_at"))
    return record_update(reminder, user=user, data={"is_done": True}, fields=("is_done",))


def next_occurrence(start, periodicity: str, now=None):
    """The first repetition of `start` after `now` (daily, weekly or monthly; the day clamps to the month's end)."""
    now = now or timezone.now()
    current = start
    while current <= now:
        if periodicity == Periodicity.DAILY:
            current += dt.timedelta(days=1)
        elif periodicity == Periodicity.WEEKLY:
            current += dt.timedelta(weeks=1)
        elif periodicity == Periodicity.MONTHLY:
            year, month = (current.year + 1, 1) if current.month == 12 else (current.year, current.month + 1)
            day = min(start.day, calendar.monthrange(year, month)[1])
            current = current.replace(year=year, month=month, day=day)
        else:
            break
    return current


def complaint_register(*, user, data: dict[str, Any]) -> Complaint:
    """Register a complaint; the registering user is responsible unless someone else is named."""
    data = dict(data)
    data.setdefault("received_at", timezone.now())
    if user is not None and not data.get("responsible"):
        data["responsible"] = user
    return record_create(Complaint, user=user, data=data, fields=COMPLAINT_FIELDS)


COMPLAINT_FLOW: dict[str, set[str]] = {
    ComplaintStatus.NEW: {ComplaintStatus.IN_PROGRESS, ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED},
    ComplaintStatus.IN_PROGRESS: {ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED},
    # A closed complaint can be reopened when the client comes back.
    ComplaintStatus.RESOLVED: {ComplaintStatus.IN_PROGRESS},
    ComplaintStatus.REJECTED: {ComplaintStatus.IN_PROGRESS},
}


def complaint_update(*, user, complaint: Complaint, data: dict[str, Any]) -> Complaint:
    """Move a complaint through its statuses (new -> in progress -> resolved/rejected), record the resolution."""
    new_status = data.get("status")
    if new_status and new_status != complaint.status:
        if new_status not in COMPLAINT_FLOW.get(complaint.status, set()):
            raise ValidationError({"status": [_("A complaint cannot go from “%(a)s” to “%(b)s”.") % {
                "a": complaint.get_status_display(), "b": ComplaintStatus(new_status).label}]})
        closing = new_status in (ComplaintStatus.RESOLVED, ComplaintStatus.REJECTED)
        if closing and not (data.get("resolution") or complaint.resolution).strip():
            raise ValidationError({"resolution": [_("Say how the complaint was resolved or why it was rejected.")]})
    return record_update(complaint, user=user, data=data, fields=COMPLAINT_FIELDS)


def interaction_update(*, user, interaction: Interaction, data: dict[str, Any]) -> Interaction:
    """Correct a logged interaction (subject, details, outcome...); the author stays who logged it."""
    data = {k: v for k, v in data.items() if k != "author"}
    return record_update(interaction, user=user, data=data, fields=INTERACTION_FIELDS)


def reminder_update(*, user, reminder: Reminder, data: dict[str, Any]) -> Reminder:
    """Reschedule or reword a reminder."""
    return record_update(reminder, user=user, data=data, fields=REMINDER_FIELDS)


def reminders_complete_for(*, user, target) -> int:  # noqa: ARG001 - kept for the uniform service signature
    """Mark done every open reminder attached to `target` (an invoice that got paid); returns how many."""
    reminders = Reminder.objects.filter(target_type=ContentType.objects.get_for_model(type(target)),
                                        target_id=target.pk, is_done=False)
    count = 0
    for reminder in reminders:
        # The system closes it: whoever recorded the payment may not reach another manager's reminder.
        reminder_done(user=None, reminder=reminder, final=True)
        count += 1
    return count


def invoice_reminders_reopen(*, invoice) -> int:
    """Open again the reminders the automatic rule made for an invoice that is owed again (its payment was
    reversed): they were done because it got paid, not because anyone chased it. Returns how many."""
    reminders = Reminder.objects.filter(target_type=ContentType.objects.get_for_model(type(invoice)),
                                        target_id=invoice.pk, is_done=True, rule__startswith="invoice:")
    count = 0
    for reminder in reminders:
        # The system reopens it: the reminder is the responsible manager's, whoever reversed the payment.
        record_update(reminder, user=None, data={"is_done": False}, fields=("is_done",))
        count += 1
    return count


def reminder_emailed(*, reminder: Reminder, when=None) -> Reminder:
    """Note that a due reminder was e-mailed to its person, so the digest sends it once."""
    return record_update(reminder, user=None, data={"emailed_at": when or timezone.now()}, fields=("emailed_at",))


def invoice_reminders_schedule(*, user, invoice, days: list[int] | None = None) -> list[Reminder]:
    """The automatic rule: remind the invoice's responsible manager N days before/after its due date.

    Idempotent: a reminder the rule already made (same invoice, same offset) is never made twice, so the
    rule can run when an invoice is issued and again every day.
    """
    days = settings.INVOICE_REMINDER_DAYS if days is None else days
    person = invoice.responsible or getattr(invoice.counterparty, "responsible", None)
    if not days or invoice.due_date is None or person is None:
        return []
    target_type = ContentType.objects.get_for_model(type(invoice))
    existing = set(Reminder.objects.filter(target_type=target_type, target_id=invoice.pk)
                   .exclude(rule="").values_list("rule", flat=True))
    made = []
    for offset in days:
        rule = f"invoice:{offset:+d}"
        if rule in existing:
            continue
        start = dt.datetime.combine(invoice.due_date + dt.timedelta(days=offset), dt.time(9, 0))
        params = {"kind": INVOICE_DUE, "number": invoice.number or "—", "offset": offset}
        subject = reminder_text(subject="", params=params)
        made.append(reminder_create(user=None, target=invoice, data={
            "user": person, "subject": subject, "subject_params": params, "rule": rule,
            "start_at": timezone.make_aware(start) if timezone.is_naive(start) else start,
            "importance": "high" if offset > 0 else "normal"}))
    return made


def reminders_email_due(*, now=None) -> int:
    """E-mail each person their due reminders, one message per person, each reminder once; returns messages sent.

    A reminder is sent when it is due, not done, and was not e-mailed since it became due (a repeating reminder
    is e-mailed again at its next occurrence). What a person reads goes through the access policy (reminders_due).
    """
    now = now or timezone.now()
    sent = 0
    pending = Q(emailed_at__isnull=True) | Q(emailed_at__lt=F("start_at"))
    people = (Reminder.objects.filter(pending, is_done=False, start_at__lte=now)
              .values_list("user_id", flat=True).distinct())
    for person in get_user_model().objects.filter(pk__in=list(people), is_active=True).exclude(email=""):
        due = list(reminders_due(user=person, until=now).filter(pending).select_related("counterparty"))
        if not due:
            continue
        with translation.override(person.language or None):
            subject = ngettext("Raccordo: %(n)s reminder due", "Raccordo: %(n)s reminders due", len(due)) % {
                "n": len(due)}
            lines = [f"- {date_format(timezone.localtime(r.start_at), 'SHORT_DATETIME_FORMAT')} "
                     f"[{r.get_importance_display()}] {r.text}"
                     + (f" ({r.counterparty})" if r.counterparty_id else "") for r in due]
            body = "\n".join([_("Due reminders:"), "", *lines])
        EmailMessage(subject=subject, body=body, to=[person.email]).send(fail_silently=False)
        for reminder in due:
            reminder_emailed(reminder=reminder, when=now)
        sent += 1
    return sent


def invoice_reminders_apply() -> int:
    """Apply the automatic invoice reminder rule to every unpaid issued invoice (daily; idempotent)."""
    made = 0
    for invoice in (Invoice.objects.filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID],
                                           due_date__isnull=False)
                    .select_related("responsible", "counterparty__responsible")):
        made += len(invoice_reminders_schedule(user=None, invoice=invoice))
    return made
