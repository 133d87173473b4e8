"""A small company for the scheduled reports and plans, with the clock fixed: Monday 2 March 2026 happened.

Hana heads "Sales" (Anna and Dmitry); Marco is in "Italy". Yesterday, as seen on Tuesday 3 March, is Monday
2 March. What each of them did that day is written out below, and the figures the tests expect come from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.access.models import Department
from raccordo.activities.models import Direction, Interaction, InteractionKind, Task
from raccordo.reports.models import SalesPlan
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment
from tests import factories

D = Decimal
MONDAY = dt.date(2026, 3, 2)


def at(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)),
                               timezone.get_current_timezone())


@dataclass
class World:
    users: dict
    clients: dict
    ref: dict


def _deal(ref, cp, amount, stage, *, created, closed=None, currency="RUB"):
    deal = Deal.objects.create(title=f"{cp.name} {amount}", counterparty=cp, manager=cp.responsible,
                               funnel=ref["funnel"], stage=ref["stages"][stage], amount=D(amount), currency=currency,
                               closed_at=closed)
    Deal.objects.filter(pk=deal.pk).update(created_at=created)
    return deal


def _invoice(ref, cp, total, *, paid="0", due, currency="RUB"):
    status = InvoiceStatus.PARTLY_PAID if D(paid) else InvoiceStatus.ISSUED
    return Invoice.objects.create(own_company=ref["own_company"], counterparty=cp, date=due - dt.timedelta(days=10),
                                  due_date=due, currency=currency, status=status, subtotal=D(total), total=D(total),
                                  paid_amount=D(paid), responsible=cp.responsible)


@pytest.fixture
def world(db, reference_data) -> World:
    ref = reference_data
    sales, italy = Department.objects.create(name="Sales"), Department.objects.create(name="Italy")
    mk = factories.UserFactory
    users = {
        "root": mk(username="root", role="admin", is_superuser=True, is_staff=True, email="root@example.com"),
        "hana": mk(username="hana", first_name="Hana", last_name="Head", role="head", department=sales),
        "anna": mk(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=sales),
        "dmitry": mk(username="dmitry", first_name="Dmitry", last_name="Orlov", role="manager", department=sales),
        "marco": mk(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=italy),
    }
    a = factories.CounterpartyFactory(name="Alfa Client", responsible=users["anna"])
    m = factories.CounterpartyFactory(name="Milano Client", responsible=users["marco"])
    # Anna yesterday: a new deal, one won for 1500, one lost; Marco: one won for 900 euros.
    _deal(ref, a, "700", "New", created=at(MONDAY, 10))
    _deal(ref, a, "1500", "Won", created=at(MONDAY - dt.timedelta(days=20)), closed=at(MONDAY, 15))
    _deal(ref, a, "300", "Lost", created=at(MONDAY - dt.timedelta(days=20)), closed=at(MONDAY, 16))
    _deal(ref, a, "2000", "Proposal", created=at(MONDAY - dt.timedelta(days=40)))
    _deal(ref, m, "900", "Won", created=at(MONDAY - dt.timedelta(days=5)), closed=at(MONDAY, 11), currency="EUR")
    _deal(ref, m, "5000", "Negotiation", created=at(MONDAY - dt.timedelta(days=5)), currency="EUR")
    # Overdue tasks on Tuesday morning: Anna's due on Friday, Marco's due yesterday.
    Task.objects.create(title="Call Alfa back", assignee=users["anna"], counterparty=a,
                        due_at=at(MONDAY - dt.timedelta(days=3), 18))
    Task.objects.create(title="Send the Milano offer", assignee=users["marco"], counterparty=m, due_at=at(MONDAY, 18))
    # Missed calls logged by hand yesterday: one of Anna's (no duration), one of Marco's ("missed").
    Interaction.objects.create(kind=InteractionKind.CALL, direction=Direction.INBOUND, counterparty=a,
                               subject="Incoming", occurred_at=at(MONDAY, 9), duration_seconds=0, author=users["anna"])
    Interaction.objects.create(kind=InteractionKind.CALL, direction=Direction.INBOUND, counterparty=a,
                               subject="Incoming", occurred_at=at(MONDAY, 9, 30), duration_seconds=120,
                               outcome="Talked", author=users["anna"])
    Interaction.objects.create(kind=InteractionKind.CALL, direction=Direction.INBOUND, counterparty=m,
                               subject="Incoming", occurred_at=at(MONDAY, 10), outcome="Missed",
                               author=users["marco"])
    # Receivables: Alfa owes 1000 (400 overdue since 20 February); Milano owes 250 euros, not yet due.
    _invoice(ref, a, "1000", paid="600", due=dt.date(2026, 2, 20))
    _invoice(ref, a, "600", due=dt.date(2026, 3, 20))
    _invoice(ref, m, "250", due=dt.date(2026, 3, 25), currency="EUR")
    # Plans for March and what came in: Anna 10000 RUB and 2 deals, paid 1500 + 500; Marco 3000 EUR, paid 900.
    SalesPlan.objects.create(manager=users["anna"], period_kind="month", period_start=dt.date(2026, 3, 1),
                             amount=D("10000"), currency="RUB", deals=2)
    SalesPlan.objects.create(manager=users["marco"], period_kind="month", period_start=dt.date(2026, 3, 1),
                             amount=D("3000"), currency="EUR")
    Payment.objects.create(counterparty=a, date=MONDAY, amount=D("1500"), currency="RUB")
    Payment.objects.create(counterparty=a, date=dt.date(2026, 3, 1), amount=D("500"), currency="RUB")
    Payment.objects.create(counterparty=a, date=dt.date(2026, 2, 27), amount=D("4444"), currency="RUB")
    Payment.objects.create(counterparty=m, date=MONDAY, amount=D("900"), currency="EUR")
    return World(users=users, clients={"a": a, "m": m}, ref=ref)
