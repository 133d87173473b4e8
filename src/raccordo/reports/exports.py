"""The KPI report as a table for CSV/XLSX (raccordo.web.exports writes the file).

One table: the twelve months, the year, then one row per person. Amounts get one column per currency,
so a spreadsheet can sum them without mixing roubles and euros.
"""

from __future__ import annotations

from django.utils.dates import MONTHS
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from raccordo.web.exports import table_response


def _money(key: str, currency: str):
    return lambda row: row[key].get(currency)


def kpi_columns(report: dict) -> list[tuple]:
    sections, currencies = report["sections"], report["currencies"]
    columns: list[tuple] = [(_("Section"), lambda r: r["_section"]), (_("Period or person"), lambda r: r["_name"])]

    def per_currency(label: str, key: str) -> None:
        for currency in currencies:
            columns.append((f"{label}, {currency}", _money(key, currency)))

    if sections["invoices"]:
        columns.append((_("Invoices issued"), lambda r: r["invoices"]))
        per_currency(_("Invoiced"), "invoiced")
    if sections["payments"]:
        per_currency(_("Received"), "received")
    if sections["deals"]:
        columns.append((_("Deals won"), lambda r: r["won"]))
        per_currency(_("Won amount"), "won_amount")
        columns.append((_("Deals lost"), lambda r: r["lost"]))
        columns.append((_("Conversion, %"), lambda r: r.get("conversion")))
        per_currency(_("Average deal"), "average_deal")
    if sections["counterparties"]:
        columns.append((_("New counterparties"), lambda r: r["new_counterparties"]))
    if sections["activities"]:
        columns.append((_("Interactions"), lambda r: r["interactions"]))
        columns.append((_("Tasks done"), lambda r: r["tasks_done"]))
    if sections["invoices"]:
        per_currency(_("Receivable"), "receivable")
        per_currency(_("Overdue"), "overdue")
    return columns


def kpi_rows(report: dict) -> list[dict]:
    rows = [{**m, "_section": _("Month"), "_name": str(MONTHS[m["month"]])} for m in report["months"]]
    rows.append({**report["totals"], "_section": _("Year"), "_name": str(report["year"])})
    rows.extend({**p, "_section": pgettext("report section", "Manager"), "_name": p["name"] or _("Nobody")} for p in report["managers"])
    return rows


def kpi_response(report: dict, *, fmt: str):
    return table_response(kpi_rows(report), kpi_columns(report), basename=f"kpi-{report['year']}", fmt=fmt)
