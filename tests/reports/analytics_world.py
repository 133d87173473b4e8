"""A generated year of payments for the analytics tests, and the definitions restated in plain Python.

The restatement walks the rows one by one with Decimals, exactly as docs/user-guide.md ("Analytics") words the
definitions; the pages compute the same in the database. Amounts are chosen so that every share of a payment
split over invoice lines is exact in binary (allocations are multiples of 4, line weights 1/4, 1/2, 3/4), so the
two computations give the same cents.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from raccordo.access.models import Department
from raccordo.sales.models import Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentAllocation
from tests import factories

D = Decimal
AS_OF = dt.date(2026, 6, 15)
START, END = dt.date(2025, 6, 1), dt.date(2026, 6, 1)   # the twelve complete months before June 2026
LINE_SPLITS = [[D(400)], [D(100), D(300)], [D(100), D(100), D(200)]]


@dataclass
class World:
    users: dict
    clients: list
    products: list
    payments: list = field(default_factory=list)       # (client, date, amount, currency, reversed)
    allocations: list = field(default_factory=list)    # (date, amount, currency, reversed, [(product, weight)])


def _month_dates(rng: random.Random):
    """Payment dates from 14 months before AS_OF to just after it: some fall outside the window."""
    for back in range(-1, 15):
        y, m = divmod(AS_OF.year * 12 + AS_OF.month - 1 - back, 12)
        yield dt.date(y, m + 1, rng.randint(1, 28))


def _invoice(world: World, ref, client, day, amount, currency, rng) -> tuple[Invoice, list]:
    inv = Invoice.objects.create(own_company=ref["own_company"], counterparty=client, date=day, currency=currency,
                                 status=InvoiceStatus.PAID, subtotal=amount, total=amount, paid_amount=amount,
                                 responsible=client.responsible)
    split = rng.choice(LINE_SPLITS)
    lines = []
    for position, weight in enumerate(split):
        product = rng.choice([*world.products, None])   # a line without a product counts for nobody
        InvoiceLine.objects.create(invoice=inv, product=product, description="goods", quantity=1, price=weight,
                                   amount=weight, position=position)
        lines.append((product, weight / sum(split)))
    return inv, lines


def build(ref, seed: int) -> World:
    rng = random.Random(seed)
    sales, italy = Department.objects.create(name="Sales"), Department.objects.create(name="Italy")
    users = {"root": factories.UserFactory(username="root", role="admin", is_superuser=True, is_staff=True),
             "anna": factories.UserFactory(username="anna", role="manager", department=sales),
             "marco": factories.UserFactory(username="marco", role="manager", department=italy)}
    clients = [factories.CounterpartyFactory(name=f"Client {i:02d}", responsible=users[("anna", "marco")[i % 2]])
               for i in range(24)]
    world = World(users, clients, [factories.ProductFactory(name=f"Product {i}") for i in range(6)])
    for i, client in enumerate(clients):
        style = i % 4   # 0: the same amount every month, 1: a little varying, 2: sporadic, 3: nothing paid
        base = rng.choice([40, 400, 4000, 40000])
        for day in _month_dates(rng):
            if style == 3 or (style == 2 and rng.random() < 0.7):
                continue
            # Style 1 varies by up to 30 % a month; euros and reversals only for the sporadic ones.
            amount = D(base if style == 0 else base + 4 * rng.randint(-base * 3 // 40, base * 3 // 40))
            currency = "EUR" if style == 2 and rng.random() < 0.2 else "RUB"
            reversed_ = style == 2 and rng.random() < 0.1
            pay = Payment.objects.create(counterparty=client, date=day, amount=amount, currency=currency,
                                         reversed_at=timezone.now() if reversed_ else None)
            world.payments.append((client, day, amount, currency, reversed_))
            if rng.random() < 0.6:
                inv, lines = _invoice(world, ref, client, day, amount, currency, rng)
                PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=amount)
                world.allocations.append((client, day, amount, currency, reversed_, lines))
    return world


# --- the definitions, restated -------------------------------------------------------------------------------

def _month(day: dt.date) -> int:
    return (day.year - START.year) * 12 + day.month - START.month


def classify(monthly: dict) -> dict:
    """{item: [12 monthly revenues]} -> {item: (abc, xyz, revenue)} for the items with revenue > 0."""
    revenue = {item: sum(months, D(0)) for item, months in monthly.items()}
    ranked = sorted((item for item in revenue if revenue[item] > 0), key=lambda i: (-revenue[i], i.hex))
    total = sum((revenue[i] for i in ranked), D(0))
    result, before = {}, D(0)
    for item in ranked:
        abc = "A" if before < D("0.80") * total else "B" if before < D("0.95") * total else "C"
        before += revenue[item]
        months = monthly[item]
        mean = revenue[item] / 12
        cv = (sum((m - mean) ** 2 for m in months) / 12).sqrt() / mean
        xyz = "X" if cv < D("0.10") else "Y" if cv < D("0.25") else "Z"
        result[item] = (abc, xyz, revenue[item])
    return result


def clients_monthly(world: World, visible_clients) -> dict:
    monthly: dict = defaultdict(lambda: [D(0)] * 12)
    for client, day, amount, currency, reversed_ in world.payments:
        if client in visible_clients and currency == "RUB" and not reversed_ and START <= day < END:
            monthly[client.pk][_month(day)] += amount
    return monthly


def products_monthly(world: World, visible_clients) -> dict:
    monthly: dict = defaultdict(lambda: [D(0)] * 12)
    for client, day, amount, currency, reversed_, lines in world.allocations:
        if client in visible_clients and currency == "RUB" and not reversed_ and START <= day < END:
            for product, weight in lines:
                if product is not None:
                    monthly[product.pk][_month(day)] += amount * weight
    return monthly


def matrix(classes: dict) -> dict:
    cells = {f"{a}{x}": {"count": 0, "revenue": D(0)} for a in "ABC" for x in "XYZ"}
    for abc, xyz, revenue in classes.values():
        cells[abc + xyz]["count"] += 1
        cells[abc + xyz]["revenue"] += revenue
    return {code: {"count": c["count"], "revenue": c["revenue"].quantize(D("0.01"))} for code, c in cells.items()}


def cohorts(world: World, visible_clients) -> dict:
    """{(cohort month index, k): (clients paying, revenue)} as the definition words it."""
    firsts: dict = {}
    for client, day, _amount, currency, reversed_ in world.payments:
        if client in visible_clients and currency == "RUB" and not reversed_:
            firsts[client] = min(day, firsts.get(client, day))
    paying: dict = defaultdict(set)
    revenue: dict = defaultdict(lambda: D(0))
    for client, day, amount, currency, reversed_ in world.payments:
        first = firsts.get(client)
        if first is None or not START <= first < END or currency != "RUB" or reversed_ or not START <= day < END:
            continue
        c, k = _month(first), _month(day) - _month(first)
        paying[(c, k)].add(client)
        revenue[(c, k)] += amount
    return {key: (len(paying[key]), revenue[key]) for key in paying}


def pin_today(monkeypatch) -> None:
    """The pages compute as of today: make today AS_OF, so a page's figures are the restated definitions'."""
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda value=None, tz=None: AS_OF if value is None else real(value, tz))
