"""The forecast: the weighted pipeline of open deals, the history of win rates and sales cycles, and the plan.

Definitions (docs/user-guide.md, "Analytics"):

- Weighted pipeline: open deals (stage of kind "open"), per manager and currency: their amount, and the amount
  times the deal's probability (the stage's when the deal has none) / 100.
- By win rate: the same open amount times the manager's win rate over the window (won / (won + lost) of the deals
  closed in the twelve complete months before this one); no closed deals, no rate.
- History, per month of the window: deals won and lost (by the month they closed), the win rate, and the average
  sales cycle of the won ones (closed minus created, in days).
- Against the plan: each visible monthly SalesPlan of this month, its manager's payments received this month
  (reports.selectors.plans.actuals) plus the weighted pipeline expected to close this month, in the plan's
  currency.

All figures are grouped database aggregates over `visible` querysets; Python only folds the aggregate rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from raccordo.access.policy import visible
from raccordo.core.money import round_money
from raccordo.sales.models import Deal, StageKind

from ..periods import PlanPeriodKind, day_start, plan_period_end
from ..selectors.plans import actuals, plan_list
from .abc import MONTHS, window

MONEY = DecimalField(max_digits=24, decimal_places=6)
ZERO = Decimal("0")


def _weighted():
    chance = Coalesce(F("probability"), F("stage__probability"))
    return ExpressionWrapper(F("amount") * chance / Value(Decimal(100)), output_field=MONEY)


def _money(value) -> Decimal:
    return round_money(Decimal(str(value or 0)))


def pipeline(deals, *, expected_in: tuple[dt.date, dt.date] | None = None) -> dict:
    """{(manager id, currency): {"deals", "amount", "weighted"}} of the open deals among `deals`."""
    open_deals = deals.filter(stage__kind=StageKind.OPEN)
    if expected_in is not None:
        open_deals = open_deals.filter(expected_close__gte=expected_in[0], expected_close__lte=expected_in[1])
    rows = (open_deals.order_by().values("manager", "currency")
            .annotate(n=Count("pk"), total=Sum("amount", output_field=MONEY), chance=Sum(_weighted())))
    return {(r["manager"], r["currency"]): {"deals": r["n"], "amount": _money(r["total"]),
                                            "weighted": _money(r["chance"])} for r in rows}


def _closed_month(starts: list[dt.date]) -> Case:
    bounds = [day_start(d) for d in starts[1:-1]]
    return Case(*[When(closed_at__lt=b, then=Value(i)) for i, b in enumerate(bounds)], default=Value(MONTHS - 1),
                output_field=IntegerField())


def history(deals, starts: list[dt.date]) -> tuple[list[dict], dict]:
    """Per month of the window: won, lost, win rate and average cycle (days) of won deals; and per manager the
    window's (won, lost)."""
    closed = deals.filter(closed_at__gte=day_start(starts[0]), closed_at__lt=day_start(starts[-1]),
                          stage__kind__in=[StageKind.WON, StageKind.LOST])
    won = Q(stage__kind=StageKind.WON)
    cycle = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    rows = (closed.order_by().values(m=_closed_month(starts))
            .annotate(won=Count("pk", filter=won), lost=Count("pk", filter=~won), cycle=Sum(cycle, filter=won)))
    by_month = {r["m"]: r for r in rows}
    months = []
    for i in range(MONTHS):
        r = by_month.get(i, {"won": 0, "lost": 0, "cycle": None})
        total = r["won"] + r["lost"]
        days = r["cycle"].total_seconds() / 86400 / r["won"] if r["won"] and r["cycle"] is not None else None
        months.append({"month": starts[i].isoformat(), "won": r["won"], "lost": r["lost"],
                       "win_rate": round(r["won"] * 100 / total, 1) if total else None,
                       "cycle_days": round(days, 1) if days is not None else None})
    people = {r["manager"]: (r["won"], r["lost"]) for r in closed.order_by().values("manager")
              .annotate(won=Count("pk", filter=won), lost=Count("pk", filter=~won))}
    return months, people


def forecast(*, user, as_of: dt.date) -> dict:
    """The forecast page's figures as `user` may see them (see the module's definitions)."""
    starts = window(as_of)
    deals = visible(Deal.objects.all(), user)
    months, rates = history(deals, starts)
    month_start = starts[-1]
    month_end = plan_period_end(PlanPeriodKind.MONTH, month_start)
    rows = []
    names = {u.pk: str(u) for u in get_user_model().objects.filter(
        pk__in=[m for m, _c in pipeline(deals)] + list(rates))}
    for (manager, currency), p in sorted(pipeline(deals).items(), key=lambda i: (names.get(i[0][0], ""), i[0][1])):
        won, lost = rates.get(manager, (0, 0))
        rate = Decimal(won) / (won + lost) if won + lost else None
        rows.append({"manager": str(manager or ""), "name": names.get(manager, ""), "currency": currency, **p,
                     "win_rate": round(float(rate) * 100, 1) if rate is not None else None,
                     "by_win_rate": _money(p["amount"] * rate) if rate is not None else None})
    return {"as_of": as_of.isoformat(), "start": starts[0].isoformat(), "month": month_start.isoformat(),
            "pipeline": rows, "history": months, "plans": _plans(user, deals, month_start, month_end)}


def _plans(user, deals, start: dt.date, end: dt.date) -> list[dict]:
    plans = list(plan_list(user=user).filter(period_kind=PlanPeriodKind.MONTH, period_start=start))
    if not plans:
        return []
    received, _won = actuals(viewers=[user], kind=PlanPeriodKind.MONTH, start=start,
                             managers=[p.manager_id for p in plans])
    expected = pipeline(deals, expected_in=(start, end))
    rows = []
    for plan in sorted(plans, key=lambda p: str(p.manager).lower()):
        got = received.get(plan.manager_id, {}).get(plan.currency, ZERO)
        weighted = expected.get((plan.manager_id, plan.currency), {}).get("weighted", ZERO)
        rows.append({"name": str(plan.manager), "currency": plan.currency, "plan": plan.amount, "received": got,
                     "weighted": weighted, "forecast": got + weighted,
                     "percent": round(float((got + weighted) * 100 / plan.amount), 1) if plan.amount else None})
    return rows
