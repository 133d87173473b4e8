"""Cohorts of new clients by the month of their first payment, and how many of them pay again in later months.

Definitions (docs/user-guide.md, "Analytics"): a client's first payment is its earliest payment in the currency
(reversed payments left out), whenever it was; its cohort is that month when it falls in the twelve-month window of
the ABC/XYZ pages (reports.analytics.abc.window). For each cohort and each month k = 0, 1, ... after it: how many
of its clients paid in that month, that as a percentage of the cohort, and what they paid. Computed in the
database: first payments and monthly revenue are Django aggregates over the visible payments, joined in SQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import F, Min

from raccordo.access.policy import visible
from raccordo.core.money import round_money
from raccordo.sales.models import Payment

from .abc import MONTHS, _month_index, monthly_clients, window


def _firsts(user, starts: list[dt.date], currency: str):
    """(item, c) rows: clients whose first payment falls in the window, with its month's index."""
    payments = visible(Payment.objects.all(), user).filter(currency=currency, reversed_at__isnull=True)
    return (payments.order_by().values(item=F("counterparty")).annotate(first=Min("date"))
            .filter(first__gte=starts[0], first__lt=starts[-1])
            .annotate(c=_month_index("first", starts)).values("item", "c"))


def cohorts(*, user, as_of: dt.date, currency: str | None = None) -> dict:
    """The cohorts of the window as `user` may see them: per cohort month its size and, per month after,
    clients paying, their share of the cohort (%) and their paid revenue."""
    currency = currency or settings.DEFAULT_CURRENCY
    starts = window(as_of)
    firsts_sql, firsts_params = _firsts(user, starts, currency).query.sql_with_params()
    monthly_sql, monthly_params = monthly_clients(user, starts, currency).query.sql_with_params()
    sql = (f"WITH firsts AS ({firsts_sql}), monthly AS ({monthly_sql}) "
           "SELECT firsts.c, monthly.m - firsts.c, COUNT(DISTINCT monthly.item), SUM(monthly.s) "
           "FROM firsts JOIN monthly ON monthly.item = firsts.item WHERE monthly.m >= firsts.c "
           "GROUP BY firsts.c, monthly.m - firsts.c")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*firsts_params, *monthly_params])
        rows = cursor.fetchall()
    table: dict[int, dict] = {c: {} for c in range(MONTHS)}
    for c, k, clients, revenue in rows:
        table[c][k] = (clients, round_money(Decimal(str(revenue or 0))))
    result = []
    for c in range(MONTHS):
        size = table[c].get(0, (0, Decimal("0")))[0]
        months = [{"k": k, "clients": table[c].get(k, (0, 0))[0],
                   "share": round(table[c].get(k, (0, 0))[0] * 100 / size, 1) if size else None,
                   "revenue": table[c].get(k, (0, Decimal("0")))[1]} for k in range(MONTHS - c)]
        result.append({"month": starts[c].isoformat(), "size": size, "months": months})
    return {"currency": currency, "as_of": as_of.isoformat(), "start": starts[0].isoformat(),
            "end": (starts[-1] - dt.timedelta(days=1)).isoformat(), "cohorts": result}
