"""Read queries of the reports: the sales KPI report for a year and the receivable totals, through the policy.

Every figure is a database aggregate (Count/Sum with `filter=`, Coalesce, grouped by month, person and currency)
over querysets narrowed by `access.policy.visible`: one grouped query per source table, whatever the number of
rows. Python only folds the aggregate rows (at most 12 months x people x currencies) into the report's shape.

Money is never added across currencies: every amount is a {currency: Decimal} map.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from raccordo.access.models import Scope
from raccordo.access.policy import allows, is_admin, visible
from raccordo.access.roles import permission_set
from raccordo.activities.models import Interaction, Task, TaskStatus
from raccordo.core.money import round_money
from raccordo.parties.models import Counterparty
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment, PaymentAllocation, StageKind
from raccordo.sales.selectors import overdue_total, receivable_total

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=18, decimal_places=2)
FIRST_YEAR = 2000
# Statuses of an invoice that was really issued (a draft was not, a cancelled one no longer counts).
ISSUED_STATUSES = [InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID]
OPEN_STATUSES = [InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID]

# Figures of one month / one person / the year. Money keys hold {currency: Decimal}; the others numbers.
COUNT_KEYS = ("invoices", "won", "lost", "new_counterparties", "interactions", "tasks_done")
MONEY_KEYS = ("invoiced", "received", "won_amount", "average_deal", "receivable", "overdue")
SECTIONS = {"invoices": "invoices", "payments": "payments", "deals": "deals", "counterparties": "counterparties",
            "activities": "activities"}


class ReportYearError(ValueError):
    """A year the report cannot be made for."""


def report_years(today: dt.date | None = None) -> range:
    today = today or timezone.localdate()
    return range(FIRST_YEAR, today.year + 1)


def check_year(year: int) -> int:
    years = report_years()
    if year not in years:
        raise ReportYearError(f"year must be between {years.start} and {years.stop - 1}, not {year}")
    return year


def scope_key(user) -> str:
    """Names the records `user` reaches: two people with the same key are shown exactly the same records.

    Administrators see everything. A role that reaches all records and VIP clients sees the same rows as
    anyone else with the same permissions. Every other reach depends on the person (their own clients, their
    department, clients shared with them, VIP clients they are responsible for), so the key is theirs alone.
    The permissions are part of the key, so a role change never serves figures computed under the old one.
    """
    if is_admin(user):
        return "admin"
    perms = permission_set(user)
    signature = repr((sorted((k, sorted(v)) for k, v in perms.permissions.items()), perms.scope, perms.view_vip))
    digest = hashlib.sha256(signature.encode()).hexdigest()[:16]
    if perms.scope == Scope.ALL and perms.view_vip:
        return f"all:{digest}"
    return f"user:{user.pk}:{user.department_id or '-'}:{digest}"


def report_sections(user) -> dict[str, bool]:
    """Which parts of the report `user` may see at all (an accountant sees no calls, a marketer no invoices)."""
    return {name: allows(user, "view", subject) for name, subject in SECTIONS.items()}


def _blank() -> dict:
    figures: dict = {key: 0 for key in COUNT_KEYS}
    figures.update({key: {} for key in MONEY_KEYS})
    figures["won_by_currency"] = {}
    return figures


def _add_money(target: dict, currency: str, amount) -> None:
    # Rounded to cents: SQLite sums decimals as floating point (PostgreSQL's numeric is exact anyway).
    if amount:
        target[currency] = round_money(target.get(currency, ZERO) + Decimal(str(amount)))


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def month_of(field: str, year: int, *, dates: bool = False) -> Case:
    """The month (1-12) of `field`, for rows already narrowed to `year`, as a plain CASE on the local month
    boundaries. Not TruncMonth/ExtractMonth: on SQLite those run a Python callback for every row (measured
    about twice as slow over a year's rows), and the boundaries computed here are right in any time zone."""
    starts = [dt.date(year, m, 1) for m in range(2, 13)]
    bounds = starts if dates else [_aware(day) for day in starts]
    return Case(*[When(**{f"{field}__lt": bound}, then=Value(m)) for m, bound in enumerate(bounds, start=1)],
                default=Value(12), output_field=IntegerField())


class _Period:
    """The year a report covers, as dates (for date columns) and as aware datetimes (for timestamps)."""

    def __init__(self, year: int):
        self.year = year
        self.start, self.end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        self.start_at, self.end_at = _aware(self.start), _aware(self.end)


class _Figures:
    """The report's figures as they are folded from aggregate rows: per month (1-12) and per person."""

    def __init__(self):
        self.months = {m: _blank() for m in range(1, 13)}
        self.people: dict = defaultdict(_blank)

    def fold(self, month: int, person, key: str, value, currency: str | None = None) -> None:
        """Add `value` to `key` of the month and of the person (a money map when `currency` is given)."""
        for figures in (self.months[month], self.people[person]):
            if currency is None:
                figures[key] += value
            else:
                _add_money(figures[key], currency, value)


def _fold_invoices(figures: _Figures, invoices, period: _Period) -> None:
    """Invoices issued in the year: count and amount, per month of their date and their responsible."""
    rows = (invoices.filter(date__gte=period.start, date__lt=period.end, status__in=ISSUED_STATUSES).order_by()
            .values(m=month_of("date", period.year, dates=True), person=F("responsible"), cur=F("currency"))
            .annotate(n=Count("pk"), amount=Coalesce(Sum("total"), Value(ZERO), output_field=MONEY)))
    for row in rows:
        figures.fold(row["m"], row["person"], "invoices", row["n"])
        figures.fold(row["m"], row["person"], "invoiced", row["amount"], row["cur"])


def _fold_payments(figures: _Figures, payments, period: _Period) -> None:
    """Payments received in the year. A payment has no manager of its own: it counts for the client's responsible."""
    rows = (payments.filter(date__gte=period.start, date__lt=period.end, reversed_at__isnull=True).order_by()
            .values(m=month_of("date", period.year, dates=True), person=F("counterparty__responsible"),
                    cur=F("currency"))
            .annotate(amount=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)))
    for row in rows:
        figures.fold(row["m"], row["person"], "received", row["amount"], row["cur"])


def _fold_deals(figures: _Figures, deals, period: _Period) -> None:
    """Deals closed in the year: won (count, amount) and lost, per month of closing and their manager."""
    won, lost = Q(stage__kind=StageKind.WON), Q(stage__kind=StageKind.LOST)
    rows = (deals.filter(closed_at__gte=period.start_at, closed_at__lt=period.end_at,
                         stage__kind__in=[StageKind.WON, StageKind.LOST])
            .order_by()
            .values(m=month_of("closed_at", period.year), person=F("manager"), cur=F("currency"))
            .annotate(won=Count("pk", filter=won), lost=Count("pk", filter=lost),
                      won_amount=Coalesce(Sum("amount", filter=won), Value(ZERO), output_field=MONEY)))
    for row in rows:
        month = row["m"]
        figures.fold(month, row["person"], "won", row["won"])
        figures.fold(month, row["person"], "lost", row["lost"])
        figures.fold(month, row["person"], "won_amount", row["won_amount"], row["cur"])
        figures.fold(month, row["person"], "won_by_currency", row["won"], row["cur"])


def _fold_counts(figures: _Figures, qs, period: _Period, *, when: str, person: str, key: str) -> None:
    """How many rows of `qs` fall in each month of the year by `when`, per `person`, into `key`."""
    rows = (qs.filter(**{f"{when}__gte": period.start_at, f"{when}__lt": period.end_at}).order_by()
            .values(m=month_of(when, period.year), person=F(person)).annotate(n=Count("pk")))
    for row in rows:
        figures.fold(row["m"], row["person"], key, row["n"])


def _year_totals(figures: _Figures) -> dict:
    """The year's counts and money maps: the months added up."""
    totals = _blank()
    for month in figures.months.values():
        for key in COUNT_KEYS:
            totals[key] += month[key]
        for key in ("invoiced", "received", "won_amount", "won_by_currency"):
            for currency, amount in month[key].items():
                _add_money(totals[key], currency, amount)
    return totals


def _fold_receivables(figures: _Figures, totals: dict, *, user, as_of: dt.date, today: dt.date) -> None:
    """What is owed and overdue on `as_of`, per invoice responsible and for the year."""
    for person, (owed, overdue) in _receivables_at(user=user, as_of=as_of, current=as_of == today).items():
        figures.people[person]["receivable"], figures.people[person]["overdue"] = owed, overdue
        for currency, amount in owed.items():
            _add_money(totals["receivable"], currency, amount)
        for currency, amount in overdue.items():
            _add_money(totals["overdue"], currency, amount)


def kpi_report(*, user, year: int) -> dict:
    """The sales KPI report of `year` as `user` may see it: per month, per person and for the year.

    Per month: invoices issued (count, amount), payments received, deals won (count, amount) and lost, new
    counterparties, interactions logged and tasks done. For the year also the conversion (won / closed), the
    average won deal, and receivables and overdue at the year's end (today for the current year). Per person
    (the invoice's responsible, the deal's manager, the client's responsible for payments and new clients,
    the author of an interaction, the assignee of a task): the same figures.
    """
    check_year(year)
    today = timezone.localdate()
    period = _Period(year)
    sections = report_sections(user)
    figures = _Figures()
    if sections["invoices"]:
        _fold_invoices(figures, visible(Invoice.objects.all(), user), period)
    if sections["payments"]:
        _fold_payments(figures, visible(Payment.objects.all(), user), period)
    if sections["deals"]:
        _fold_deals(figures, visible(Deal.objects.all(), user), period)
    if sections["counterparties"]:
        _fold_counts(figures, visible(Counterparty.objects.all(), user), period, when="created_at",
                     person="responsible", key="new_counterparties")
    if sections["activities"]:
        _fold_counts(figures, visible(Interaction.objects.all(), user), period, when="occurred_at",
                     person="author", key="interactions")
        _fold_counts(figures, visible(Task.objects.filter(status=TaskStatus.DONE), user), period,
                     when="completed_at", person="assignee", key="tasks_done")

    as_of = today if year >= today.year else period.end - dt.timedelta(days=1)
    totals = _year_totals(figures)
    if sections["invoices"]:
        _fold_receivables(figures, totals, user=user, as_of=as_of, today=today)
    months, people = figures.months, figures.people
    for f in [totals, *months.values(), *people.values()]:
        _finish(f)
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "sections": sections,
        "currencies": sorted({c for f in [totals, *people.values()] for k in MONEY_KEYS for c in f[k]}),
        "months": [{"month": m, **_public(f)} for m, f in months.items()],
        "totals": _public(totals),
        "managers": _people_rows(people),
    }


def _receivables_at(*, user, as_of: dt.date, current: bool) -> dict:
    """{person: ({currency: owed}, {currency: overdue})} on `as_of`, per invoice responsible.

    Today's figures come from the invoices' paid amounts. A past year's end is rebuilt: what was issued by then,
    minus the payment allocations dated by then (an invoice cancelled since is left out: the cancellation date is
    not recorded).
    """
    invoices = visible(Invoice.objects.all(), user)
    result: dict = defaultdict(lambda: ({}, {}))
    late = Q(due_date__lt=as_of)
    if current:
        owed = F("total") - F("paid_amount")
        rows = (invoices.filter(status__in=OPEN_STATUSES).order_by()
                .values(person=F("responsible"), cur=F("currency"))
                .annotate(owed=Coalesce(Sum(owed, output_field=MONEY), Value(ZERO), output_field=MONEY),
                          late=Coalesce(Sum(owed, filter=late, output_field=MONEY), Value(ZERO), output_field=MONEY)))
        for row in rows:
            _add_money(result[row["person"]][0], row["cur"], row["owed"])
            _add_money(result[row["person"]][1], row["cur"], row["late"])
        return dict(result)
    issued = invoices.filter(date__lte=as_of, status__in=ISSUED_STATUSES)
    rows = (issued.order_by().values(person=F("responsible"), cur=F("currency"))
            .annotate(owed=Coalesce(Sum("total"), Value(ZERO), output_field=MONEY),
                      late=Coalesce(Sum("total", filter=late), Value(ZERO), output_field=MONEY)))
    for row in rows:
        _add_money(result[row["person"]][0], row["cur"], row["owed"])
        _add_money(result[row["person"]][1], row["cur"], row["late"])
    paid = (PaymentAllocation.objects.filter(invoice__in=issued.values("pk"), payment__date__lte=as_of).order_by()
            .values(person=F("invoice__responsible"), cur=F("invoice__currency"))
            .annotate(paid=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
                      late=Coalesce(Sum("amount", filter=Q(invoice__due_date__lt=as_of)), Value(ZERO),
                                    output_field=MONEY)))
    for row in paid:
        _add_money(result[row["person"]][0], row["cur"], -row["paid"])
        _add_money(result[row["person"]][1], row["cur"], -row["late"])
    return {person: ({c: v for c, v in owed.items() if v}, {c: v for c, v in late.items() if v})
            for person, (owed, late) in result.items()}


def _finish(figures: dict) -> None:
    closed = figures["won"] + figures["lost"]
    figures["conversion"] = round(figures["won"] * 100 / closed, 1) if closed else None
    figures["average_deal"] = {c: (amount / figures["won_by_currency"][c]).quantize(Decimal("0.01"))
                               for c, amount in figures["won_amount"].items() if figures["won_by_currency"].get(c)}


def _public(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "won_by_currency"}


def _people_rows(people: dict) -> list[dict]:
    """One row per person, named, sorted by name; records nobody is responsible for come last."""
    ids = [pk for pk in people if pk is not None]
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)}
    rows = [{"id": str(pk) if pk else "", "name": names.get(pk, "") if pk else "", **_public(f)}
            for pk, f in people.items()]
    rows.sort(key=lambda r: (r["id"] == "", r["name"].lower()))
    return rows


def receivables_summary(*, user) -> dict:
    """What clients visible to `user` owe today and how much of it is overdue, per currency (the dashboard's)."""
    return {"receivable": receivable_total(user=user), "overdue": overdue_total(user=user)}
