"""A small hand-made year of business for two managers in two departments, with figures worked out by hand.

Year Y is last year (complete, so its year-end receivables are rebuilt from dated payments). Anna (department
Sales, headed by Hana) sells in roubles to client A; Marco (department Italy) sells in euros and roubles to M.
The expected figures are written out in EXPECTED below, computed by hand from the rows created here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.access.models import Department
from raccordo.activities.models import Interaction, Task, TaskStatus
from raccordo.parties.models import Counterparty
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment, PaymentAllocation
from tests import factories

D = Decimal


@dataclass
class Company:
    year: int
    users: dict
    clients: dict
    invoices: dict
    ref: dict


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A local (Europe/Moscow) moment: month boundaries are the local ones."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute), timezone.get_current_timezone())


def invoice(ref, cp, date, total, *, status=InvoiceStatus.ISSUED, paid="0", due=None, currency="RUB", number=""):
    return Invoice.objects.create(
        own_company=ref["own_company"], counterparty=cp, number=number, date=date, due_date=due, currency=currency,
        status=status, subtotal=D(total), total=D(total), paid_amount=D(paid), responsible=cp.responsible)


def payment(cp, date, amount, *, currency="RUB", to=()):
    pay = Payment.objects.create(counterparty=cp, date=date, amount=D(amount), currency=currency)
    for inv, part in to:
        PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=D(part))
    return pay


def deal(ref, cp, amount, stage: str, closed_at=None, currency="RUB"):
    return Deal.objects.create(title=f"{cp.name} {amount}", counterparty=cp, manager=cp.responsible,
                               funnel=ref["funnel"], stage=ref["stages"][stage], amount=D(amount),
                               currency=currency, closed_at=closed_at)


def created(obj, when: dt.datetime):
    type(obj).objects.filter(pk=obj.pk).update(created_at=when)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def company(db, reference_data) -> Company:
    ref = reference_data
    y = timezone.localdate().year - 1
    sales = Department.objects.create(name="Sales")
    italy = Department.objects.create(name="Italy")
    users = {
        "root": factories.UserFactory(username="root", role="admin", is_superuser=True, is_staff=True),
        "hana": factories.UserFactory(username="hana", first_name="Hana", last_name="Head", role="head",
                                      department=sales),
        "anna": factories.UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager",
                                      department=sales),
        "marco": factories.UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager",
                                       department=italy),
    }
    a = factories.CounterpartyFactory(name="Client A", responsible=users["anna"])
    m = factories.CounterpartyFactory(name="Client M", responsible=users["marco"])
    old = factories.CounterpartyFactory(name="Old client", responsible=users["anna"])
    created(a, at(y, 2, 10))
    created(m, at(y, 7, 1))
    created(old, at(y - 1, 6, 1))

    inv = {
        # Anna, roubles
        "a1": invoice(ref, a, dt.date(y, 3, 2), "1000", status=InvoiceStatus.PAID, paid="1000", due=dt.date(y, 3, 10)),
        "a2": invoice(ref, a, dt.date(y, 3, 15), "500", status=InvoiceStatus.PARTLY_PAID, paid="200",
                      due=dt.date(y, 4, 1)),
        "a3": invoice(ref, a, dt.date(y, 6, 10), "700", status=InvoiceStatus.DRAFT),
        "a4": invoice(ref, a, dt.date(y, 6, 11), "900", status=InvoiceStatus.CANCELLED),
        "a5": invoice(ref, a, dt.date(y, 12, 28), "400", due=dt.date(y + 1, 1, 10)),
        "a6": invoice(ref, a, dt.date(y + 1, 1, 5), "8000", due=dt.date(y + 1, 1, 20)),
        # Marco: euros paid only after the year's end, roubles not paid at all
        "m1": invoice(ref, m, dt.date(y, 7, 3), "300", status=InvoiceStatus.PAID, paid="300", due=dt.date(y, 7, 15),
                      currency="EUR"),
        "m2": invoice(ref, m, dt.date(y, 8, 20), "2000", due=dt.date(y, 9, 1)),
    }
    payment(a, dt.date(y, 3, 5), "1000", to=[(inv["a1"], "1000")])
    payment(a, dt.date(y, 12, 20), "200", to=[(inv["a2"], "200")])
    payment(a, dt.date(y, 6, 1), "50")                          # an overpayment: received, allocated nowhere
    payment(m, dt.date(y + 1, 1, 2), "300", currency="EUR", to=[(inv["m1"], "300")])

    deal(ref, a, "1000", "Won", at(y, 3, 5))
    deal(ref, a, "3000", "Won", at(y, 3, 25))
    deal(ref, a, "500", "Lost", at(y, 5, 4))
    deal(ref, a, "9999", "New")
    deal(ref, m, "200", "Won", at(y, 7, 20), currency="EUR")
    deal(ref, m, "700", "Lost", at(y, 12, 31, 23, 30))          # the last half hour of the year, local time
    deal(ref, m, "800", "Won", at(y + 1, 1, 1, 0, 30))          # the first half hour of the next one

    for when, who, cp in [(at(y, 3, 1), "anna", a), (at(y, 3, 20), "anna", a), (at(y, 7, 2), "marco", m),
                          (at(y + 1, 1, 3), "anna", a)]:
        Interaction.objects.create(counterparty=cp, subject="Call", occurred_at=when, author=users[who])
    Task.objects.create(title="Send offer", assignee=users["anna"], counterparty=a, status=TaskStatus.DONE,
                        completed_at=at(y, 4, 2))
    Task.objects.create(title="Open one", assignee=users["anna"], counterparty=a)
    Task.objects.create(title="Done long ago", assignee=users["marco"], counterparty=m, status=TaskStatus.DONE,
                        completed_at=at(y - 1, 11, 1))
    assert Counterparty.objects.count() == 3
    return Company(year=y, users=users, clients={"a": a, "m": m, "old": old}, invoices=inv, ref=ref)


# What each person sees of year Y, worked out by hand from the rows above.
ANNA = {
    "invoices": 3, "invoiced": {"RUB": D("1900.00")}, "received": {"RUB": D("1250.00")}, "won": 2, "lost": 1,
    "won_amount": {"RUB": D("4000.00")}, "average_deal": {"RUB": D("2000.00")}, "conversion": 66.7,
    "new_counterparties": 1, "interactions": 2, "tasks_done": 1,
    # a2: 500 - 200 paid on 20 December (overdue since April); a5: 400, due in January
    "receivable": {"RUB": D("700.00")}, "overdue": {"RUB": D("300.00")},
}
MARCO = {
    "invoices": 2, "invoiced": {"EUR": D("300.00"), "RUB": D("2000.00")}, "received": {}, "won": 1, "lost": 1,
    "won_amount": {"EUR": D("200.00")}, "average_deal": {"EUR": D("200.00")}, "conversion": 50.0,
    "new_counterparties": 1, "interactions": 1, "tasks_done": 0,
    # m1 was paid on 2 January: still owed (and overdue) on 31 December
    "receivable": {"EUR": D("300.00"), "RUB": D("2000.00")}, "overdue": {"EUR": D("300.00"), "RUB": D("2000.00")},
}
ALL = {
    "invoices": 5, "invoiced": {"EUR": D("300.00"), "RUB": D("3900.00")}, "received": {"RUB": D("1250.00")},
    "won": 3, "lost": 2, "won_amount": {"EUR": D("200.00"), "RUB": D("4000.00")},
    "average_deal": {"EUR": D("200.00"), "RUB": D("2000.00")}, "conversion": 60.0, "new_counterparties": 2,
    "interactions": 3, "tasks_done": 1,
    "receivable": {"EUR": D("300.00"), "RUB": D("2700.00")}, "overdue": {"EUR": D("300.00"), "RUB": D("2300.00")},
}

from .schedule_world import world  # noqa: E402,F401  (the scheduled reports' company, a fixture)
