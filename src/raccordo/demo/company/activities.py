"""The small demo's interactions, tasks, reminders and complaints: what two months of work leave behind."""

from __future__ import annotations

import datetime as dt

from raccordo.activities import services as activities
from raccordo.activities.models import Complaint, Interaction, Reminder, Task, TaskStatus
from raccordo.parties import services as parties
from raccordo.parties.models import ContactPerson
from raccordo.sales.models import Invoice, InvoiceStatus

from .. import data
from ..words import Phrase, say
from .state import DemoState

# When the demo's client tasks are due, in the order they are made.
TASK_PLAN = ["overdue"] * 6 + ["today"] * 5 + ["upcoming"] * 9 + ["done"] * 6


def create_activities(demo: DemoState) -> None:
    """Interactions, then tasks, reminders and complaints, in this order (later ones look at earlier ones)."""
    create_interactions(demo)
    create_tasks(demo)
    create_reminders(demo)
    dismiss_past_reminders(demo)
    create_complaints(demo)


def create_interactions(demo: DemoState) -> None:
    """One to five calls, e-mails, meetings or notes per counterparty over the last two months."""
    rnd = demo.rnd
    kinds = [("call", data.CALL_SUBJECTS), ("email", data.EMAIL_SUBJECTS), ("meeting", data.MEETING_SUBJECTS),
             ("note", data.NOTE_SUBJECTS)]
    deals_by_cp: dict = {}
    for d in demo.deals:
        deals_by_cp.setdefault(d.counterparty_id, []).append(d)
    for cp in demo.counterparties:
        for _ in range(rnd.randint(1, 5)):
            kind, subjects = rnd.choices(kinds, weights=[5, 3, 1, 1])[0]
            when = demo.at(demo.days_ago(0, 59))
            if when > demo.now:
                when = demo.now - dt.timedelta(minutes=rnd.randint(5, 120))
            contacts = demo.contacts.get(cp.pk) or [None]
            interaction = activities.interaction_log(user=cp.responsible, data={
                "kind": kind, "direction": rnd.choice(["in", "out", "out"]) if kind in ("call", "email") else "out",
                "counterparty": cp, "contact": rnd.choice(contacts),
                "deal": rnd.choice(deals_by_cp[cp.pk]) if cp.pk in deals_by_cp and rnd.random() < 0.5 else None,
                "subject": rnd.choice(subjects), "occurred_at": when,
                "duration_seconds": rnd.randint(40, 900) if kind == "call" else None,
                "outcome": rnd.choice(data.OUTCOMES) if kind in ("call", "meeting") else ""})
            demo.backdate.append((Interaction, interaction.pk, when))


def _task_due(demo: DemoState, when: str) -> dt.datetime:
    """When a task of the `when` kind (overdue, today, upcoming, done) is due."""
    rnd, today = demo.rnd, demo.today
    if when == "overdue":
        return demo.at(today - dt.timedelta(days=rnd.randint(1, 6)))
    if when == "today":
        return demo.at(today, hour=rnd.choice([10, 12, 15, 17]))
    if when == "upcoming":
        return demo.at(today + dt.timedelta(days=rnd.randint(1, 14)))
    return demo.at(today - dt.timedelta(days=rnd.randint(1, 20)))


def create_tasks(demo: DemoState) -> None:
    """Client tasks overdue, due today, upcoming and done, a few set by the head of sales; then each
    manager's own task with no client (internal work)."""
    ref, rnd = demo.ref, demo.rnd
    for k, when in enumerate(TASK_PLAN):
        cp = demo.counterparties[(k * 5) % len(demo.counterparties)]
        deal = next((d for d in demo.deals if d.counterparty_id == cp.pk), None)
        due = _task_due(demo, when)
        by_head = ref.head is not None and k % 7 == 0
        task = activities.task_create(user=None if by_head else cp.responsible, data={
            "title": say(rnd.choice(data.TASK_TITLES), ref.language), "assignee": cp.responsible,
            "author": ref.head if by_head else cp.responsible, "counterparty": cp, "deal": deal,
            "due_at": due, "priority": rnd.choice(["normal", "normal", "high", "low"]),
            "description": say("Set by the head of sales", ref.language) if by_head else ""})
        if when == "done":
            activities.task_update(user=cp.responsible, task=task, data={"status": TaskStatus.DONE})
        elif when == "today" and k % 2 == 0:
            activities.task_update(user=cp.responsible, task=task, data={"status": TaskStatus.IN_PROGRESS})
        demo.backdate.append((Task, task.pk, min(due, demo.now) - dt.timedelta(days=rnd.randint(1, 5))))
    for manager in ref.managers:
        activities.task_create(user=manager, data={
            "title": say("Update the monthly sales forecast", ref.language),
            "due_at": demo.at(demo.today + dt.timedelta(days=3))})


def _ahead(demo: DemoState, day: dt.date, hour: int | None = None) -> dt.datetime:
    """A moment on `day` in working hours, but never in the past: a demo seeded at 18:00 must not start with
    a dashboard of stale reminders (finding: ten from past months on one manager's dashboard)."""
    when = demo.at(day, hour)
    return when if when > demo.now else demo.now + dt.timedelta(minutes=demo.rnd.choice([30, 60, 90]))


def create_reminders(demo: DemoState) -> None:
    """Reminders, all still ahead: chase the overdue invoices, call a few clients back, a contact's birthday."""
    rnd, today, language = demo.rnd, demo.today, demo.ref.language
    overdue = Invoice.objects.filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID],
                                     due_date__lt=today).select_related("counterparty").order_by("number")
    for invoice in overdue:
        activities.reminder_create(user=invoice.counterparty.responsible, target=invoice, data={
            "subject": say(Phrase("Payment overdue: {number}", number=invoice.number), language),
            "start_at": _ahead(demo, today, hour=10),
            "importance": "high"})
    for cp in demo.counterparties[:4]:
        activities.reminder_create(user=cp.responsible, target=cp, data={
            "counterparty": cp, "subject": say(Phrase("Call back: {name}", name=cp.name), language),
            "start_at": _ahead(demo, today + dt.timedelta(days=rnd.randint(0, 3))), "importance": "normal"})
    contact = ContactPerson.objects.filter(counterparty__in=demo.counterparties).order_by("last_name").first()
    if contact is not None:
        birthday = today + dt.timedelta(days=2)
        parties.contact_update(user=None, contact=contact,
                               data={"birthday": dt.date(1980, birthday.month, min(birthday.day, 28))})
        activities.reminder_create(user=contact.counterparty.responsible, target=contact, data={
            "subject": say(Phrase("Birthday: {name}", name=str(contact)), language),
            "start_at": _ahead(demo, today + dt.timedelta(days=1), hour=9),
            "periodicity": "once", "importance": "low"})


def dismiss_past_reminders(demo: DemoState) -> None:
    """The reminders the app set by itself on the demo's invoices ("due in 1 day") for days already gone: in the
    two months the demo pretends, their managers saw and dismissed them, so none is left stale on a dashboard."""
    for reminder in Reminder.objects.filter(is_done=False, start_at__lt=demo.now).order_by("start_at"):
        activities.reminder_done(user=reminder.user, reminder=reminder, final=True)


def create_complaints(demo: DemoState) -> None:
    """The word lists' complaints: one new, one being worked on, one resolved."""
    statuses = ["new", "in_progress", "resolved"]
    for k, (subject, description) in enumerate(data.COMPLAINTS):
        cp = demo.counterparties[[1, 25, 7][k] % len(demo.counterparties)]
        received = demo.at(demo.days_ago(2, 20))
        complaint = activities.complaint_register(user=cp.responsible, data={
            "counterparty": cp, "subject": subject, "description": description, "received_at": received,
            "deadline": received.date() + dt.timedelta(days=10)})
        if statuses[k] != "new":
            activities.complaint_update(user=cp.responsible, complaint=complaint, data={
                "status": statuses[k],
                "resolution": say("Replaced free of charge; credit note issued.", demo.ref.language)
                if statuses[k] == "resolved" else ""})
        demo.backdate.append((Complaint, complaint.pk, received))
