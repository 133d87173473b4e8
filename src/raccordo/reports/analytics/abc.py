"""ABC and XYZ of clients and products by money actually paid, computed in the database.

Definitions (docs/user-guide.md, "Analytics"):

- The window is the twelve calendar months before the month of `as_of` (complete months only).
- Paid revenue of a client: its payments in the window in one currency, reversed payments left out.
  Paid revenue of a product: each payment allocation to an invoice is split over the invoice's lines in
  proportion to the lines' amounts; the product's share of every allocation dated in the window is added up.
- ABC: items with paid revenue > 0 sorted by revenue (largest first; equal revenue by id). An item is A when the
  revenue of the items before it is under 80 % of the total (so the item that crosses 80 % is still A), B when it
  is under 95 % (the next 15 %), C otherwise (the rest).
- XYZ: the twelve monthly revenues (a month without payments counts as 0); coefficient of variation
  CV = population standard deviation / mean. X when CV < 10 %, Y when CV < 25 %, Z otherwise. Compared as
  variance < (k * mean)^2, so the database needs no square root.

The monthly revenue per item is a Django aggregate over the visible rows; the classification and the 3x3 matrix
are one SQL statement over it (window functions), so only nine rows come back whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)

from raccordo.access.policy import visible
from raccordo.catalog.models import Product
from raccordo.core.money import round_money
from raccordo.parties.models import Counterparty
from raccordo.sales.models import InvoiceLine, Payment, PaymentAllocation

MONTHS = 12
A_SHARE, B_SHARE = Decimal("0.80"), Decimal("0.95")
X_CV, Y_CV = Decimal("0.10"), Decimal("0.25")
SUBJECTS = ("clients", "products")
ABC, XYZ = ("A", "B", "C"), ("X", "Y", "Z")
MONEY = DecimalField(max_digits=24, decimal_places=6)
CELL_LIMIT = 500


def window(as_of: dt.date) -> list[dt.date]:
    """The thirteen month starts bounding the twelve complete months before `as_of`'s month."""
    year, month = as_of.year, as_of.month
    starts = []
    for back in range(MONTHS, -1, -1):
        y, m = divmod((year * 12 + month - 1) - back, 12)
        starts.append(dt.date(y, m + 1, 1))
    return starts


def _month_index(field: str, starts: list[dt.date]) -> Case:
    """0-11: which month of the window `field` (a date) falls in, for rows already inside the window."""
    return Case(*[When(**{f"{field}__lt": bound}, then=Value(i)) for i, bound in enumerate(starts[1:-1])],
                default=Value(MONTHS - 1), output_field=IntegerField())


def monthly_clients(user, starts: list[dt.date], currency: str):
    """(item, m, s) rows: paid revenue per client and month of the window."""
    payments = visible(Payment.objects.all(), user).filter(
        date__gte=starts[0], date__lt=starts[-1], currency=currency, reversed_at__isnull=True)
    return (payments.order_by().values(item=F("counterparty"), m=_month_index("date", starts))
            .annotate(s=Sum("amount", output_field=MONEY)))


def monthly_products(user, starts: list[dt.date], currency: str):
    """(item, m, s) rows: paid revenue per product and month, allocations split over the invoice's lines."""
    line_total = Subquery(InvoiceLine.objects.filter(invoice=OuterRef("invoice")).order_by().values("invoice")
                          .annotate(t=Sum("amount")).values("t")[:1])
    allocations = visible(PaymentAllocation.objects.all(), user).filter(
        payment__date__gte=starts[0], payment__date__lt=starts[-1], payment__reversed_at__isnull=True,
        invoice__currency=currency, invoice__lines__product__isnull=False)
    share = ExpressionWrapper(F("amount") * F("invoice__lines__amount") / line_total, output_field=MONEY)
    return (allocations.order_by()
            .values(item=F("invoice__lines__product"), m=_month_index("payment__date", starts))
            .annotate(s=Sum(share, output_field=MONEY)))


def _classified_sql(monthly) -> tuple[str, list]:
    """The SQL of every item with revenue > 0, its ABC and XYZ class, revenue and sum of squared months.
    (`* 1.0`: SQLite stores whole amounts as integers and would divide them as integers.)"""
    inner, params = monthly.query.sql_with_params()
    sql = f"""
WITH monthly AS ({inner}),
items AS (SELECT item, SUM(s) AS revenue, SUM(s * s) AS squares FROM monthly GROUP BY item HAVING SUM(s) > 0),
ranked AS (SELECT item, revenue, squares,
                  COALESCE(SUM(revenue) OVER (ORDER BY revenue DESC, item
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before,
                  SUM(revenue) OVER () AS total
           FROM items),
classed AS (SELECT item, revenue, squares,
                   CASE WHEN before < {A_SHARE} * total THEN 'A' WHEN before < {B_SHARE} * total THEN 'B'
                        ELSE 'C' END AS abc,
                   CASE WHEN variance < {X_CV * X_CV} * mean * mean THEN 'X'
                        WHEN variance < {Y_CV * Y_CV} * mean * mean THEN 'Y'
                        ELSE 'Z' END AS xyz
            FROM (SELECT ranked.*, squares * 1.0 / {MONTHS} - (revenue * 1.0 / {MONTHS}) * (revenue * 1.0 / {MONTHS})
                         AS variance, revenue * 1.0 / {MONTHS} AS mean
                  FROM ranked) AS measured)"""
    return sql, list(params)


def _monthly(subject: str, user, starts, currency):
    if subject == "clients":
        return monthly_clients(user, starts, currency)
    if subject == "products":
        return monthly_products(user, starts, currency)
    raise ValueError(f"unknown subject {subject!r}")


def _money(value) -> Decimal:
    return round_money(Decimal(str(value or 0)))


def abc_xyz(*, user, subject: str, as_of: dt.date, currency: str | None = None) -> dict:
    """The 3x3 matrix of `subject` ("clients" or "products") as `user` may see it: count and paid revenue per
    ABC x XYZ cell, with the row, column and grand totals."""
    currency = currency or settings.DEFAULT_CURRENCY
    starts = window(as_of)
    sql, params = _classified_sql(_monthly(subject, user, starts, currency))
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT abc, xyz, COUNT(*), SUM(revenue) FROM classed GROUP BY abc, xyz", params)
        rows = cursor.fetchall()
    cells: dict[str, dict] = {f"{a}{x}": {"count": 0, "revenue": Decimal("0")} for a in ABC for x in XYZ}
    for abc, xyz, count, revenue in rows:
        cells[f"{abc}{xyz}"] = {"count": count, "revenue": _money(revenue)}
    total = sum((c["revenue"] for c in cells.values()), Decimal("0"))
    return {
        "subject": subject, "currency": currency, "as_of": as_of.isoformat(),
        "start": starts[0].isoformat(), "end": (starts[-1] - dt.timedelta(days=1)).isoformat(),
        "cells": cells,
        "rows": {a: _line([cells[f"{a}{x}"] for x in XYZ]) for a in ABC},
        "columns": {x: _line([cells[f"{a}{x}"] for a in ABC]) for x in XYZ},
        "total": {"count": sum(c["count"] for c in cells.values()), "revenue": total},
    }


def _line(cells: list[dict]) -> dict:
    return {"count": sum(c["count"] for c in cells), "revenue": sum((c["revenue"] for c in cells), Decimal("0"))}


def classed_items_sql(*, user, subject: str, as_of: dt.date, abc: list[str] | None = None,
                      xyz: list[str] | None = None, currency: str | None = None) -> tuple[str, list]:
    """SQL (and its parameters) selecting the ids of the items of the given ABC and XYZ classes, as `user`
    classifies them on the matrix page: for a filter such as `pk__in=RawSQL(...)` (segments' "ABC class")."""
    currency = currency or settings.DEFAULT_CURRENCY
    sql, params = _classified_sql(_monthly(subject, user, window(as_of), currency))
    conditions, extra = [], []
    for column, chosen, allowed in (("abc", abc, ABC), ("xyz", xyz, XYZ)):
        chosen = [c for c in (chosen or []) if c in allowed]
        if chosen:
            conditions.append(f"{column} IN ({', '.join(['%s'] * len(chosen))})")
            extra.extend(chosen)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"{sql} SELECT item FROM classed{where}", [*params, *extra]


def cell_items(*, user, subject: str, as_of: dt.date, cell: str, currency: str | None = None,
               limit: int = CELL_LIMIT) -> list[dict]:
    """The items of one cell ("AX" ... "CZ"), largest revenue first (at most `limit`): name, revenue, CV %."""
    currency = currency or settings.DEFAULT_CURRENCY
    sql, params = _classified_sql(_monthly(subject, user, window(as_of), currency))
    query = sql + " SELECT item, revenue, squares FROM classed WHERE abc = %s AND xyz = %s ORDER BY revenue DESC, item"
    with connection.cursor() as cursor:
        cursor.execute(query + f" LIMIT {int(limit)}", [*params, cell[0], cell[1]])
        rows = cursor.fetchall()
    model = Counterparty if subject == "clients" else Product
    field = model._meta.pk
    ids = [field.to_python(r[0]) for r in rows]
    names = {obj.pk: obj for obj in model.objects.filter(pk__in=ids)}
    items = []
    for pk, (_, revenue, squares) in zip(ids, rows, strict=True):
        mean = float(revenue) / MONTHS
        variance = max(float(squares) / MONTHS - mean * mean, 0.0)
        items.append({"id": str(pk), "name": str(names.get(pk, pk)), "revenue": _money(revenue),
                      "cv": round(math.sqrt(variance) / mean * 100, 1) if mean else None, "object": names.get(pk)})
    return items
