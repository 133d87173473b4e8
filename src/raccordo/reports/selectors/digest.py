"""The parts of a scheduled report ("the report to the head"), computed as the people whose access applies.

Every part reads querysets narrowed by `visible` for each of the report's viewers (`policy.report_viewers`:
the person it is computed as, and the head who set it up), so a report computed as a manager holds only that
manager's clients, deals, tasks and calls; and figures are grouped in the database, one query per part.
Parts that list records (overdue tasks, receivables) stop at ROW_LIMIT rows and say so.

Each part is a `Section`: a title, typed columns and rows of plain values (numbers stay numbers, so the XLSX
file holds figures a spreadsheet can add up), rendered by reports.digest_render.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from raccordo.access.policy import report_viewers, scheduled_reports_visible
from raccordo.activities.models import Task, TaskStatus
from raccordo.core.errors import NotFound
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, StageKind

from ..missed_calls import logged_missed_calls, missed_calls_source, telephony_connected
from ..models import ReportSection, SalesPlan, ScheduledReport, ScheduledReportSend
from ..periods import day_start, period_bounds, plan_period_end
from .plans import narrowed, plan_rows

ROW_LIMIT = 500
ZERO = Decimal("0")
MONEY = DecimalField(max_digits=18, decimal_places=2)
OPEN_INVOICES = [InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID]
OPEN_TASKS = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]


@dataclass
class Column:
    """A column of a part: its heading and what its values are (text, int, money, percent, date, datetime)."""

    label: str
    kind: str = "text"


@dataclass
class Section:
    """One part of a report: a table, and a note under it."""

    code: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    note: str = ""
    truncated: bool = False


@dataclass
class Digest:
    """A scheduled report as made at one moment: its period, as whom, and its parts."""

    name: str
    run_as: str
    start: dt.date
    end: dt.date
    made_at: dt.datetime
    sections: list[Section]

    @property
    def has_data(self) -> bool:
        return any(section.rows for section in self.sections)


@dataclass
class _Scope:
    viewers: list
    start: dt.date
    end: dt.date
    now: dt.datetime

    @property
    def start_at(self) -> dt.datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> dt.datetime:
        return day_start(self.end + dt.timedelta(days=1))

    def narrow(self, queryset: QuerySet) -> QuerySet:
        return narrowed(queryset, self.viewers)


def _names(ids) -> dict:
    ids = [pk for pk in ids if pk is not None]
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)}


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _funnel(scope: _Scope) -> Section:
    """Open deals now, per manager and stage: how many, for how much."""
    rows = (scope.narrow(Deal.objects.filter(stage__kind=StageKind.OPEN)).order_by()
            .values("manager", "currency", funnel_name=F("stage__funnel__name"), stage_name=F("stage__name"),
                    order=F("stage__order"))
            .annotate(n=Count("pk"), amount=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)))
    rows = list(rows)
    names = _names({r["manager"] for r in rows})
    rows.sort(key=lambda r: (r["manager"] is None, names.get(r["manager"], "").lower(), r["funnel_name"], r["order"],
                             r["currency"]))
    return Section(ReportSection.FUNNEL, _("Funnel by manager"),
                   [Column(_("Manager")), Column(_("Funnel")), Column(_("Stage")), Column(_("Deals"), "int"),
                    Column(_("Amount"), "money"), Column(_("Currency"))],
                   [[names.get(r["manager"], _("Nobody")), r["funnel_name"], r["stage_name"], r["n"], _money(r["amount"]),
                     r["currency"]] for r in rows],
                   note=_("Open deals at the moment the report was made."))


def _deals(scope: _Scope) -> Section:
    """Deals created, won and lost in the period, per manager; won amounts per currency."""
    deals = scope.narrow(Deal.objects.all()).order_by()
    per: dict = defaultdict(lambda: {"new": 0, "won": 0, "lost": 0, "amount": {}})
    for r in deals.filter(created_at__gte=scope.start_at, created_at__lt=scope.end_at).values("manager").annotate(
            n=Count("pk")):
        per[r["manager"]]["new"] = r["n"]
    closed = deals.filter(closed_at__gte=scope.start_at, closed_at__lt=scope.end_at,
                          stage__kind__in=[StageKind.WON, StageKind.LOST])
    won = Q(stage__kind=StageKind.WON)
    for r in closed.values("manager", "currency").annotate(
            won=Count("pk", filter=won), lost=Count("pk", filter=Q(stage__kind=StageKind.LOST)),
            amount=Coalesce(Sum("amount", filter=won), Value(ZERO), output_field=MONEY)):
        person = per[r["manager"]]
        person["won"] += r["won"]
        person["lost"] += r["lost"]
        if r["won"]:
            person["amount"][r["currency"]] = _money(r["amount"])
    currencies = sorted({c for p in per.values() for c in p["amount"]})
    names = _names(per)
    order = sorted(per, key=lambda pk: (pk is None, names.get(pk, "").lower()))
    columns = [Column(_("Manager")), Column(pgettext("deals counted", "New"), "int"),
               Column(pgettext("deals counted", "Won"), "int"), Column(pgettext("deals counted", "Lost"), "int")]
    columns += [Column(_("Won, %(currency)s") % {"currency": c}, "money") for c in currencies]
    return Section(ReportSection.DEALS, _("New, won and lost deals"), columns,
                   [[names.get(pk, _("Nobody")), per[pk]["new"], per[pk]["won"], per[pk]["lost"],
                     *[per[pk]["amount"].get(c) for c in currencies]] for pk in order])


def _overdue_tasks(scope: _Scope) -> Section:
    """Open tasks past their due time when the report is made, oldest first."""
    tasks = list(scope.narrow(Task.objects.filter(status__in=OPEN_TASKS, due_at__lt=scope.now))
                 .select_related("assignee", "counterparty").order_by("due_at", "id")[:ROW_LIMIT + 1])
    today = timezone.localtime(scope.now).date()
    rows = [[str(t.assignee), t.title, str(t.counterparty) if t.counterparty_id else "", t.due_at,
             (today - timezone.localtime(t.due_at).date()).days] for t in tasks[:ROW_LIMIT]]
    return Section(ReportSection.OVERDUE_TASKS, _("Overdue tasks"),
                   [Column(_("Assignee")), Column(_("Task")), Column(_("Counterparty")), Column(_("Due"), "datetime"),
                    Column(_("Days overdue"), "int")], rows, truncated=len(tasks) > ROW_LIMIT)


def _missed_calls(scope: _Scope) -> Section:
    """Missed calls in the period, per person: from telephony when it is connected, else calls logged by hand."""
    source = missed_calls_source()
    if source is not None:
        counts = source(narrow=scope.narrow, start_at=scope.start_at, end_at=scope.end_at)
        note = ""
    else:
        counts = logged_missed_calls(narrow=scope.narrow, start_at=scope.start_at, end_at=scope.end_at)
        note = (_("Telephony is connected but reports no missed calls yet: counted from calls logged by hand.")
                if telephony_connected() else
                _("Telephony not connected: counted from inbound calls logged by hand as missed."))
    names = _names(counts)
    order = sorted((pk for pk, n in counts.items() if n), key=lambda pk: (pk is None, names.get(pk, "").lower()))
    return Section(ReportSection.MISSED_CALLS, _("Missed calls"),
                   [Column(_("Person")), Column(_("Missed calls"), "int")],
                   [[names.get(pk, _("Nobody")), counts[pk]] for pk in order], note=note)


def _receivables(scope: _Scope) -> Section:
    """What each client owes on open invoices (paid amounts as accounting reports them), and how much is late."""
    today = timezone.localtime(scope.now).date()
    owed = F("total") - F("paid_amount")
    late = Q(due_date__lt=today)
    rows = list(scope.narrow(Invoice.objects.filter(status__in=OPEN_INVOICES)).order_by()
                .values("counterparty", "currency", name=F("counterparty__name"),
                        person=F("counterparty__responsible"))
                .annotate(owed=Coalesce(Sum(owed, output_field=MONEY), Value(ZERO), output_field=MONEY),
                          late=Coalesce(Sum(owed, filter=late, output_field=MONEY), Value(ZERO), output_field=MONEY),
                          since=Min("due_date", filter=late)))
    rows = [r for r in rows if _money(r["owed"]) > 0]
    rows.sort(key=lambda r: (-_money(r["late"]), -_money(r["owed"]), r["name"]))
    names = _names({r["person"] for r in rows})
    return Section(ReportSection.RECEIVABLES, _("Receivables from accounting"),
                   [Column(_("Counterparty")), Column(_("Responsible")), Column(_("Currency")),
                    Column(_("Receivable"), "money"), Column(_("Overdue"), "money"), Column(_("Overdue since"), "date")],
                   [[r["name"], names.get(r["person"], ""), r["currency"], _money(r["owed"]), _money(r["late"]),
                     r["since"]] for r in rows[:ROW_LIMIT]],
                   note=_("Open invoices less the payments recorded, on %(date)s.") % {"date": today.isoformat()},
                   truncated=len(rows) > ROW_LIMIT)


def _plan(scope: _Scope) -> Section:
    """Plan vs actual for every plan whose month or quarter overlaps the period."""
    earliest = scope.start - dt.timedelta(days=93)
    plans = [p for p in scope.narrow(SalesPlan.objects.select_related("manager"))
             .filter(period_start__lte=scope.end, period_start__gt=earliest)
             if plan_period_end(p.period_kind, p.period_start) >= scope.start]
    rows = plan_rows(viewers=scope.viewers, plans=plans, until=timezone.localtime(scope.now).date())
    return Section(ReportSection.PLAN, _("Plan vs actual"),
                   [Column(_("Manager")), Column(_("Period")), Column(_("Currency")), Column(_("Plan"), "money"),
                    Column(pgettext("plan vs actual", "Actual"), "money"), Column(_("Done, %"), "percent"), Column(_("Deals planned"), "int"),
                    Column(_("Deals won"), "int")],
                   [[str(r.manager), r.period_label, r.plan.currency, r.plan.amount, r.actual, r.percent,
                     r.plan.deals, r.won] for r in rows if r.plan is not None],
                   note=_("Actual: payments received from the manager's clients and deals won, in the plan's "
                          "month or quarter."))


SECTION_BUILDERS = {
    ReportSection.FUNNEL: _funnel, ReportSection.DEALS: _deals, ReportSection.OVERDUE_TASKS: _overdue_tasks,
    ReportSection.MISSED_CALLS: _missed_calls, ReportSection.RECEIVABLES: _receivables, ReportSection.PLAN: _plan,
}


def report_period(report: ScheduledReport, at: dt.datetime) -> tuple[dt.date, dt.date]:
    """The dates the report covers when made at `at` (its due time, or now for a send by hand)."""
    return period_bounds(report.period, timezone.localtime(at).date())


def digest_make(*, report: ScheduledReport, at: dt.datetime, now: dt.datetime | None = None) -> Digest:
    """The report's parts as its viewers may see them: the period is the one of `at` (the due time), the
    state of things (open deals, overdue tasks, receivables) that of `now` (when it is made)."""
    now = now or at
    start, end = report_period(report, at)
    scope = _Scope(viewers=report_viewers(report), start=start, end=end, now=now)
    sections = [SECTION_BUILDERS[ReportSection(code)](scope) for code in ReportSection.values
                if code in report.sections]
    return Digest(name=report.name, run_as=str(report.run_as), start=start, end=end, made_at=now, sections=sections)


def scheduled_report_list(*, user) -> QuerySet[ScheduledReport]:
    """The scheduled reports `user` manages (heads: computed as someone of their team; administrators: all)."""
    return scheduled_reports_visible(ScheduledReport.objects.select_related("run_as", "owner"), user)


def scheduled_report_get(*, user, pk) -> ScheduledReport:
    report = scheduled_report_list(user=user).filter(pk=pk).first()
    if report is None:
        raise NotFound("No such scheduled report.", code="reports.schedule_not_found")
    return report


def scheduled_report_sends(*, user, report: ScheduledReport) -> QuerySet[ScheduledReportSend]:
    """The log of a report's sendings, for someone who may see the report."""
    scheduled_report_get(user=user, pk=report.pk)
    return report.sends.select_related("by_hand").order_by("-created_at")
