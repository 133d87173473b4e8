"""The ABC/XYZ pages: the matrix (cached like the KPI report), the items of one cell, and both as XLSX."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from raccordo.access.policy import allows
from raccordo.web.charts import Series, chart_data
from raccordo.web.exports import table_response

from .. import services
from ..models import SnapshotKind
from .abc import ABC, XYZ, cell_items

KINDS = {"clients": SnapshotKind.ABC_CLIENTS, "products": SnapshotKind.ABC_PRODUCTS}
# Paid revenue is payments; a product's share needs the invoices' lines too.
SUBJECTS_NEEDED = {"clients": ("payments",), "products": ("payments", "invoices")}


def require_subject(user, subject: str) -> None:
    if subject not in KINDS or not all(allows(user, "view", s) for s in SUBJECTS_NEEDED[subject]):
        raise Http404


def _titles() -> dict:
    return {"clients": _("ABC/XYZ of clients"), "products": _("ABC/XYZ of products")}


def _grid(data: dict) -> list[dict]:
    """The matrix as rows for the template: one per ABC class, its three cells and its total."""
    return [{"abc": a, "cells": [{"code": f"{a}{x}", **data["cells"][f"{a}{x}"]} for x in XYZ],
             "total": data["rows"][a]} for a in ABC]


def _share(part, whole) -> float | None:
    return round(float(part) * 100 / float(whole), 1) if whole else None


def _abc_chart(subject: str, data: dict) -> dict:
    """Pareto of the classes: each class's share of the paid revenue and of the items, and the running share of
    the revenue from A to C (80 % by the end of A, 95 % by the end of B, by definition)."""
    total, rows = data["total"], data["rows"]
    revenue = [_share(rows[a]["revenue"], total["revenue"]) for a in ABC]
    cumulative = [_share(sum(rows[b]["revenue"] for b in ABC[:i + 1]), total["revenue"]) for i in range(len(ABC))]
    items = _("Share of clients") if subject == "clients" else _("Share of products")
    return chart_data(list(ABC), [
        Series(_("Share of paid revenue"), "revenue", revenue),
        Series(items, "items", [_share(data["rows"][a]["count"], total["count"]) for a in ABC]),
        Series(_("Cumulative share of paid revenue"), "cumulative", cumulative, kind="line"),
    ], unit="percent")


@login_required
@require_GET
def abc_view(request, subject: str):
    user = request.user
    require_subject(user, subject)
    figures = services.report_figures(user=user, kind=KINDS[subject])
    data = figures.data
    return render(request, "reports/analytics/abc.html", {
        "subject": subject, "title": _titles()[subject], "figures": figures, "data": data, "grid": _grid(data),
        "columns": [{"xyz": x, **data["columns"][x]} for x in XYZ], "kind": KINDS[subject],
        "chart": _abc_chart(subject, data),
        "other": "products" if subject == "clients" else "clients",
        "may_products": all(allows(user, "view", s) for s in SUBJECTS_NEEDED["products"]),
    })


def _cell(raw: str) -> str:
    cell = (raw or "").upper()
    if len(cell) != 2 or cell[0] not in ABC or cell[1] not in XYZ:
        raise Http404
    return cell


@login_required
@require_GET
def abc_cell_view(request, subject: str, cell: str):
    user = request.user
    require_subject(user, subject)
    cell = _cell(cell)
    items = cell_items(user=user, subject=subject, as_of=timezone.localdate(), cell=cell)
    return render(request, "reports/analytics/abc_cell.html", {
        "subject": subject, "title": _titles()[subject], "cell": cell, "items": items,
        "limit": len(items) >= 500})


@login_required
@require_GET
def abc_export_view(request, subject: str):
    """The matrix as XLSX, or with ?cell=AX the items of that cell."""
    user = request.user
    require_subject(user, subject)
    if request.GET.get("cell"):
        cell = _cell(request.GET["cell"])
        items = cell_items(user=user, subject=subject, as_of=timezone.localdate(), cell=cell, limit=100_000)
        columns = [(_("Name"), lambda r: r["name"]), (_("Paid revenue"), lambda r: r["revenue"]),
                   (_("Coefficient of variation, %"), lambda r: r["cv"]), (_("Class"), lambda r: cell)]
        return table_response(items, columns, basename=f"abc-{subject}-{cell}", fmt="xlsx")
    data = services.report_figures(user=user, kind=KINDS[subject]).data
    rows = [{"name": f"{a}{x}", **data["cells"][f"{a}{x}"]} for a in ABC for x in XYZ]
    rows += [{"name": a, **data["rows"][a]} for a in ABC] + [{"name": x, **data["columns"][x]} for x in XYZ]
    rows.append({"name": _("Total"), **data["total"]})
    columns = [(_("Class"), lambda r: r["name"]), (_("Count"), lambda r: r["count"]),
               (f"{_('Paid revenue')}, {data['currency']}", lambda r: r["revenue"])]
    summary = [(_("From"), data["start"]), (_("To"), data["end"]), (_("Currency"), data["currency"])]
    return table_response(rows, columns, basename=f"abc-{subject}", fmt="xlsx", summary=summary)


def _cohorts_chart(data: dict, width: int) -> dict:
    """One line per cohort: the share of its clients paying again 1, 2, ... months after their first payment
    (month 0 is everyone, by definition, so it is left out). Six colours, then the same six dashed."""
    series = []
    for row in data["cohorts"]:
        if not row["size"] or len(row["months"]) < 2:
            continue
        shares = [m["share"] for m in row["months"][1:]]
        n = len(series)
        series.append(Series(row["month"][:7], str(n % 6 + 1), shares + [None] * (width - 1 - len(shares)),
                             kind="line", dashed=n >= 6))
    return chart_data([f"+{k}" for k in range(1, width)], series, unit="percent")


@login_required
@require_GET
def cohorts_view(request):
    user = request.user
    require_subject(user, "clients")
    figures = services.report_figures(user=user, kind=SnapshotKind.COHORTS)
    data = figures.data
    width = max((len(row["months"]) for row in data["cohorts"]), default=0)
    return render(request, "reports/analytics/cohorts.html", {
        "figures": figures, "data": data, "kind": SnapshotKind.COHORTS, "offsets": list(range(width)),
        "chart": _cohorts_chart(data, width),
        "may_products": all(allows(user, "view", s) for s in SUBJECTS_NEEDED["products"])})


@login_required
@require_GET
def cohorts_export_view(request):
    user = request.user
    require_subject(user, "clients")
    data = services.report_figures(user=user, kind=SnapshotKind.COHORTS).data
    rows = [{"cohort": row["month"], "size": row["size"], **m} for row in data["cohorts"] for m in row["months"]]
    columns = [(_("First payment in"), lambda r: r["cohort"]), (_("New clients"), lambda r: r["size"]),
               (_("Months after"), lambda r: r["k"]), (_("Clients paying"), lambda r: r["clients"]),
               (_("Share of the cohort, %"), lambda r: r["share"]),
               (f"{_('Paid revenue')}, {data['currency']}", lambda r: r["revenue"])]
    return table_response(rows, columns, basename="cohorts", fmt="xlsx")


def _require_forecast(user) -> None:
    if not allows(user, "view", "deals"):
        raise Http404


@login_required
@require_GET
def forecast_view(request):
    user = request.user
    _require_forecast(user)
    figures = services.report_figures(user=user, kind=SnapshotKind.FORECAST)
    data = figures.data
    history = data["history"]
    chart = chart_data([row["month"][:7] for row in history], [
        Series(_("Won"), "won", [row["won"] for row in history]),
        Series(_("Lost"), "lost", [row["lost"] for row in history]),
        Series(_("Win rate"), "rate", [row["win_rate"] for row in history], kind="line", axis="percent"),
    ])
    return render(request, "reports/analytics/forecast.html", {
        "figures": figures, "data": data, "kind": SnapshotKind.FORECAST, "chart": chart,
        "may_products": all(allows(user, "view", s) for s in SUBJECTS_NEEDED["products"])})


@login_required
@require_GET
def forecast_export_view(request):
    user = request.user
    _require_forecast(user)
    data = services.report_figures(user=user, kind=SnapshotKind.FORECAST).data
    rows = [{"part": _("Pipeline"), **r} for r in data["pipeline"]]
    rows += [{"part": _("Month"), "name": r["month"], **r} for r in data["history"]]
    rows += [{"part": _("Plan"), **r} for r in data["plans"]]
    columns = [(_("Part"), lambda r: r["part"]), (_("Manager or month"), lambda r: r.get("name")),
               (_("Currency"), lambda r: r.get("currency")), (_("Open deals"), lambda r: r.get("deals")),
               (_("Amount"), lambda r: r.get("amount")), (_("Weighted by probability"), lambda r: r.get("weighted")),
               (_("Win rate, %"), lambda r: r.get("win_rate")), (_("By win rate"), lambda r: r.get("by_win_rate")),
               (_("Won"), lambda r: r.get("won")), (_("Lost"), lambda r: r.get("lost")),
               (_("Average cycle, days"), lambda r: r.get("cycle_days")), (_("Plan"), lambda r: r.get("plan")),
               (_("Received"), lambda r: r.get("received")), (_("Forecast"), lambda r: r.get("forecast"))]
    return table_response(rows, columns, basename="forecast", fmt="xlsx")
