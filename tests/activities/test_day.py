"""Reminders by e-mail (once), the automatic invoice reminders (idempotent), repeating reminders, complaints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from raccordo.activities.models import ComplaintStatus, Reminder
from raccordo.activities.selectors import calendar_entries, complaints_overdue
from raccordo.activities.services import (
    complaint_register,
    complaint_update,
    interaction_log,
    invoice_reminders_apply,
    next_occurrence,
    reminder_create,
    reminder_done,
    reminders_email_due,
    task_create,
)
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(db):
    return UserFactory(username="anna", role="manager", email="anna@example.com")


def test_due_reminders_are_emailed_once_per_person(anna, smtp_server):
    marco = UserFactory(username="marco", role="manager", email="marco@example.com")
    past = timezone.now() - dt.timedelta(hours=1)
    reminder_create(user=anna, data={"subject": "Call Romashka", "start_at": past})
    reminder_create(user=anna, data={"subject": "Chase invoice", "start_at": past})
    reminder_create(user=anna, data={"subject": "Tomorrow", "start_at": timezone.now() + dt.timedelta(days=1)})
    reminder_create(user=marco, data={"subject": "Marco's own", "start_at": past})
    assert reminders_email_due() == 2
    by_to = {m["To"]: m for m in smtp_server.messages}
    body = by_to["anna@example.com"].get_content()
    assert "Call Romashka" in body and "Chase invoice" in body and "Tomorrow" not in body
    assert "Marco's own" not in body and "Marco's own" in by_to["marco@example.com"].get_content()
    assert reminders_email_due() == 0 and len(smtp_server.messages) == 2
    assert Reminder.objects.filter(emailed_at__isnull=False).count() == 3


def test_repeating_reminder_moves_on_when_done_and_is_emailed_again(anna, smtp_server):
    start = timezone.now() - dt.timedelta(hours=2)
    weekly = reminder_create(user=anna, data={"subject": "Weekly report", "start_at": start, "periodicity": "weekly"})
    assert reminders_email_due() == 1
    weekly = reminder_done(user=anna, reminder=weekly)
    assert not weekly.is_done and weekly.start_at == start + dt.timedelta(weeks=1) and weekly.emailed_at is None
    assert reminders_email_due(now=weekly.start_at + dt.timedelta(minutes=1)) == 1


def test_next_occurrence_monthly_clamps_to_month_end():
    start = timezone.make_aware(dt.datetime(2026, 1, 31, 9, 0))
    assert next_occurrence(start, "monthly", now=start).date() == dt.date(2026, 2, 28)
    assert next_occurrence(start, "daily", now=start + dt.timedelta(days=3)).date() == dt.date(2026, 2, 4)


def test_invoice_reminder_rule_is_idempotent(anna, settings):
    settings.INVOICE_REMINDER_DAYS = [-2, 0, 5]
    ref = reference_data()
    client = CounterpartyFactory(responsible=anna)
    invoice = invoice_issue(user=anna, invoice=invoice_create(user=anna, data={
        "own_company": ref["own_company"], "counterparty": client,
        "due_date": timezone.localdate() + dt.timedelta(days=10)},
        lines=[LineInput(description="x", quantity=Decimal("1"), price=Decimal("5"))]))
    assert Reminder.objects.filter(target_id=invoice.pk).count() == 3
    assert invoice_reminders_apply() == 0
    settings.INVOICE_REMINDER_DAYS = [-2, 0, 5, 10]     # a new offset adds only what is missing
    assert invoice_reminders_apply() == 1 and invoice_reminders_apply() == 0
    due = Reminder.objects.get(target_id=invoice.pk, rule="invoice:+0")
    assert timezone.localtime(due.start_at).date() == invoice.due_date and due.user == anna


def test_complaint_status_flow(anna):
    client = CounterpartyFactory(responsible=anna)
    complaint = complaint_register(user=anna, data={"counterparty": client, "subject": "Broken pump",
                                                    "deadline": timezone.localdate() - dt.timedelta(days=1)})
    assert complaint.status == ComplaintStatus.NEW and complaint.responsible == anna
    with pytest.raises(ValidationError):
        complaint_update(user=anna, complaint=complaint, data={"status": "resolved"})   # no resolution
    complaint = complaint_update(user=anna, complaint=complaint, data={"status": "in_progress"})
    assert list(complaints_overdue(user=anna)) == [complaint]
    complaint = complaint_update(user=anna, complaint=complaint, data={"status": "resolved",
                                                                      "resolution": "Replaced"})
    with pytest.raises(ValidationError):
        complaint_update(user=anna, complaint=complaint, data={"status": "new"})
    assert list(complaints_overdue(user=anna)) == []


def test_calendar_entries_mix_tasks_meetings_and_reminders(anna):
    client = CounterpartyFactory(responsible=anna)
    now = timezone.now()
    task_create(user=anna, data={"title": "Send offer", "due_at": now + dt.timedelta(hours=1)})
    interaction_log(user=anna, data={"kind": "meeting", "subject": "Visit", "counterparty": client,
                                     "occurred_at": now + dt.timedelta(hours=2)})
    interaction_log(user=anna, data={"kind": "call", "subject": "A call", "counterparty": client,
                                     "occurred_at": now + dt.timedelta(hours=2)})
    reminder_create(user=anna, data={"subject": "Birthday", "start_at": now + dt.timedelta(hours=3)})
    marco = UserFactory(username="marco", role="manager")
    task_create(user=marco, data={"title": "Not mine", "due_at": now + dt.timedelta(hours=1)})
    entries = calendar_entries(user=anna, start=now, end=now + dt.timedelta(days=1))
    assert [(e["kind"], e["title"]) for e in entries] == [("task", "Send offer"), ("meeting", "Visit"),
                                                          ("reminder", "Birthday")]
