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
from django.db.models import F

from raccordo.access.policy import visible
from raccordo.core.money import round_money
from raccordo.sales.models import Payment

from .abc import MONTHS, monthly_clients, window


def _earlier(user, starts: list[dt.date], currency: str):
    """The clients with a (visible, unreversed) payment in the currency before the window: their first payment
    is before it, so they are no cohort's. A range of the paid-window index, not every year of payments."""
    payments = visible(Payment.objects.all(), user, semijoin=True).filter(currency=currency, reversed_at__isnull=True,
                                                           date__lt=starts[0])
    return payments.order_by().values(client=F("counterparty")).distinct()


def cohorts(*, user, as_of: dt.date, currency: str | None = None) -> dict:
    """The cohorts of the window as `user` may see them: per cohort month its size and, per month after,
    clients paying, their share of the cohort (%) and their paid revenue.

    A client's first payment falls in the window exactly when it paid in the window and never before it; its
    month is then the earliest month it paid in the window. So the first payments are read off the window's
    monthly rows (computed once, the CTE is used twice) and the clients who paid before the window are left
    out, instead of taking the MIN over every year of payments (5.8-13 s at 1M payments on SQLite)."""
    currency = currency or settings.DEFAULT_CURRENCY
    starts = window(as_of)
    monthly_sql, monthly_params = monthly_clients(user, starts, currency).query.sql_with_params()
    earlier_sql, earlier_params = _earlier(user, starts, currency).query.sql_with_params()
    sql = (f"WITH monthly AS ({monthly_sql}), earlier AS ({earlier_sql}), "
           "firsts AS (SELECT item, MIN(m) AS c FROM monthly "
           "           WHERE NOT EXISTS (SELECT 1 FROM earlier WHERE earlier.client = monthly.item) "
           "           GROUP BY item) "
           "SELECT firsts.c, monthly.m - firsts.c, COUNT(DISTINCT monthly.item), SUM(monthly.s) "
           "FROM firsts JOIN monthly ON monthly.item = firsts.item WHERE monthly.m >= firsts.c "
           "GROUP BY firsts.c, monthly.m - firsts.c")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*monthly_params, *earlier_params])
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
