"""The forecast (weighted pipeline, win rates and cycles, plan) against its definition restated in plain Python."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.reports.analytics.forecast import forecast
from raccordo.reports.models import SalesPlan
from raccordo.sales.models import Deal
from tests.chart_blocks import chart_block

from . import analytics_world as w

pytestmark = pytest.mark.django_db
D = Decimal
STAGES = ["New", "Proposal", "Negotiation", "Won", "Lost"]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)), timezone.get_current_timezone())


def _deals(world, ref, seed):
    rng = random.Random(seed)
    made = []
    for client in world.clients:
        for _ in range(3):
            stage = ref["stages"][rng.choice(STAGES)]
            closed = None
            if stage.kind != "open":
                closed = _at(w.START + dt.timedelta(days=rng.randint(-20, 380)), rng.randint(0, 23))
            deal = Deal.objects.create(
                title="deal", counterparty=client, manager=client.responsible, funnel=ref["funnel"], stage=stage,
                amount=D(100 * rng.randint(1, 50)), currency="RUB",
                probability=rng.choice([None, 25, 50, 90]) if stage.kind == "open" else None, closed_at=closed,
                expected_close=w.AS_OF + dt.timedelta(days=rng.randint(-20, 40)) if stage.kind == "open" else None)
            created = (closed or _at(w.AS_OF, 12)) - dt.timedelta(days=rng.randint(1, 90), hours=rng.randint(0, 9))
            Deal.objects.filter(pk=deal.pk).update(created_at=created)
            deal.created_at = created
            made.append(deal)
    return made


def _expected(deals, mine):
    deals = [d for d in deals if d.counterparty in mine]
    lo, hi = _at(w.START, 0), _at(w.END, 0)
    closed = [d for d in deals if d.closed_at and lo <= d.closed_at < hi]
    rates = defaultdict(lambda: [0, 0])
    months = defaultdict(lambda: [0, 0, dt.timedelta(0)])
    for d in closed:
        won = d.stage.kind == "won"
        rates[d.manager_id][0 if won else 1] += 1
        local = timezone.localtime(d.closed_at).date()
        m = months[(local.year - w.START.year) * 12 + local.month - w.START.month]
        m[0 if won else 1] += 1
        if won:
            m[2] += d.closed_at - d.created_at
    pipe = defaultdict(lambda: [0, D(0), D(0)])
    for d in deals:
        if d.stage.kind == "open":
            p = pipe[d.manager_id]
            p[0] += 1
            p[1] += d.amount
            p[2] += d.amount * (d.probability if d.probability is not None else d.stage.probability) / 100
    history = []
    for i in range(12):
        won, lost, cycle = months.get(i, [0, 0, dt.timedelta(0)])
        history.append((won, lost, round(won * 100 / (won + lost), 1) if won + lost else None,
                        round(cycle.total_seconds() / 86400 / won, 1) if won else None))
    return pipe, rates, history


@pytest.mark.parametrize("seed", [2, 9])
@pytest.mark.parametrize("username", ["root", "anna"])
def test_forecast_is_the_definition(reference_data, seed, username):
    world = w.build(reference_data, seed)
    deals = _deals(world, reference_data, seed)
    mine = set(world.clients) if username == "root" else {
        c for c in world.clients if c.responsible == world.users[username]}
    pipe, rates, history = _expected(deals, mine)
    data = forecast(user=world.users[username], as_of=w.AS_OF)
    assert [(m["won"], m["lost"], m["win_rate"], m["cycle_days"]) for m in data["history"]] == history
    got = {row["manager"]: row for row in data["pipeline"]}
    assert set(got) == {str(pk) for pk in pipe}
    for pk, (n, amount, weighted) in pipe.items():
        row = got[str(pk)]
        assert (row["deals"], row["amount"], row["weighted"]) == (n, amount, weighted.quantize(D("0.01")))
        won, lost = rates.get(pk, (0, 0))
        rate = D(won) / (won + lost) if won + lost else None
        assert row["by_win_rate"] == (None if rate is None else (amount * rate).quantize(D("0.01")))


def test_forecast_against_the_plan_and_the_page(reference_data, client):
    world = w.build(reference_data, 4)
    deals = _deals(world, reference_data, 4)
    anna = world.users["anna"]
    SalesPlan.objects.create(manager=anna, period_start=w.END, amount=D("100000"), currency="RUB")
    data = forecast(user=anna, as_of=w.AS_OF)
    [row] = data["plans"]
    received = sum((amount for c, day, amount, cur, rev in world.payments
                    if c.responsible == anna and cur == "RUB" and not rev and w.END <= day <= w.AS_OF.replace(day=30)),
                   D(0))
    weighted = sum((d.amount * (d.probability or d.stage.probability) / 100 for d in deals
                    if d.manager == anna and d.stage.kind == "open" and w.END <= d.expected_close <= dt.date(2026, 6, 30)),
                   D(0))
    assert (row["received"], row["weighted"]) == (received, weighted.quantize(D("0.01")))
    assert row["forecast"] == row["received"] + row["weighted"]
    client.force_login(anna)
    page = client.get(reverse("reports:forecast"))
    assert page.status_code == 200 and b'data-testid="forecast-history"' in page.content
    assert client.get(reverse("reports:forecast_export")).status_code == 200


def test_the_page_charts_won_lost_and_the_win_rate_by_month(reference_data, client, monkeypatch):
    world = w.build(reference_data, 9)
    deals = _deals(world, reference_data, 9)
    anna = world.users["anna"]
    _pipe, _rates, history = _expected(deals, {c for c in world.clients if c.responsible == anna})
    w.pin_today(monkeypatch)
    client.force_login(anna)
    chart = chart_block(client.get(reverse("reports:forecast")).content.decode(), "chart-history")
    assert chart["labels"] == [f"{w.START.year + (w.START.month - 1 + i) // 12}-{(w.START.month - 1 + i) % 12 + 1:02d}"
                               for i in range(12)]
    won, lost, rate = chart["series"]
    assert (won["label"], won["kind"], lost["label"], rate["label"], rate["kind"], rate["axis"]) == (
        "Won", "bar", "Lost", "Win rate", "line", "percent")
    assert [(a, b, c) for a, b, c in zip(won["values"], lost["values"], rate["values"], strict=True)] == [
        (h[0], h[1], h[2]) for h in history]
    assert sum(won["values"]) + sum(lost["values"]) > 0
