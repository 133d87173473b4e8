"""Figures of reports kept in the database so that pages need not recompute them on every view; sales plans;
scheduled reports and their log of sendings.

The cache lives in the database, not in Django's cache: the web processes and the Huey worker that
refreshes the figures do not share a local-memory cache, and a database row is there for every process.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from raccordo.core.cron import cron_parse
from raccordo.core.ids import new_id
from raccordo.core.models import BaseModel
from raccordo.core.money import default_currency, validate_currency

from .periods import DynamicPeriod, PlanPeriodKind, plan_period_end, plan_period_label, plan_period_start


class SnapshotKind(models.TextChoices):
    KPI = "kpi", _("KPI report for a year")
    RECEIVABLES = "receivables", _("Receivable and overdue totals")
    ABC_CLIENTS = "abc_clients", _("ABC/XYZ of clients")
    ABC_PRODUCTS = "abc_products", _("ABC/XYZ of products")
    COHORTS = "cohorts", _("Cohorts of new clients")
    FORECAST = "forecast", _("Sales forecast")
    FUNNEL = "funnel", _("Funnel conversion")


class ReportSnapshot(models.Model):
    """One report's figures computed for one access scope (and year), with when they were computed.

    `scope_key` names the set of records the figures were computed from (see reports.selectors.scope_key):
    two people share a snapshot only when the access policy shows them exactly the same records. `user` is
    the person whose access computed it; the worker recomputes the figures as that person. `params` holds what
    else a page was asked for (the funnel page's funnel, period and manager), as the page's own key.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    kind = models.CharField(_("report"), max_length=16, choices=SnapshotKind.choices)
    year = models.PositiveIntegerField(_("year"), default=0, help_text=_("0 for figures that have no year."))
    scope_key = models.CharField(_("access scope"), max_length=200)
    params = models.CharField(_("parameters"), max_length=200, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("computed for"))
    data = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed"))
    seconds = models.FloatField(_("computing time, s"), default=0)
    # Last time a page asked for it (updated at most once a minute): the worker keeps only these warm.
    requested_at = models.DateTimeField(_("last requested"), db_index=True)

    class Meta:
        verbose_name = _("report snapshot")
        verbose_name_plural = _("report snapshots")
        constraints = [models.UniqueConstraint(fields=["kind", "scope_key", "year", "params"],
                                               name="reports_snapshot_unique_params")]

    def __str__(self) -> str:
        return " ".join(str(part) for part in (self.kind, self.year or "", self.params, self.scope_key) if part)


# --- Sales plans and scheduled reports (issue #19) -----------------------------------------------------------

class SalesPlan(BaseModel):
    """What a manager is to sell in one month or quarter: revenue (money received) and, optionally, deals won.

    Set by the manager's head or an administrator (access.policy.reports), compared with the payments received
    from the manager's clients and the deals the manager won in the same period (reports.selectors.plans).
    """

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_plans",
                                verbose_name=_("manager"))
    period_kind = models.CharField(_("period"), max_length=8, choices=PlanPeriodKind.choices,
                                   default=PlanPeriodKind.MONTH)
    period_start = models.DateField(_("period starts"), help_text=_("The first day of the month or quarter."))
    amount = models.DecimalField(_("revenue plan"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency,
                                validators=[validate_currency])
    deals = models.PositiveIntegerField(_("deals to win"), null=True, blank=True)

    class Meta:
        verbose_name = _("sales plan")
        verbose_name_plural = _("sales plans")
        ordering = ["-period_start", "manager"]
        constraints = [models.UniqueConstraint(fields=["manager", "period_kind", "period_start"],
                                               name="reports_salesplan_unique")]
        indexes = [models.Index(fields=["period_kind", "period_start", "manager"])]

    def __str__(self) -> str:
        return f"{self.manager} {plan_period_label(self.period_kind, self.period_start)}"

    def clean(self) -> None:
        if self.period_start and self.period_start != plan_period_start(self.period_kind, self.period_start):
            raise ValidationError({"period_start": _("A plan starts on the first day of its month or quarter.")})
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": _("A plan cannot be negative.")})

    @property
    def period_label(self) -> str:
        return plan_period_label(self.period_kind, self.period_start)

    @property
    def period_end(self):
        return plan_period_end(self.period_kind, self.period_start)


class ReportSection(models.TextChoices):
    """The parts a scheduled report can hold."""

    FUNNEL = "funnel", _("Funnel by manager")
    DEALS = "deals", _("New, won and lost deals")
    OVERDUE_TASKS = "overdue_tasks", _("Overdue tasks")
    MISSED_CALLS = "missed_calls", _("Missed calls")
    RECEIVABLES = "receivables", _("Receivables from accounting")
    PLAN = "plan", _("Plan vs actual")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Every day")
    WEEKDAYS = "weekdays", _("On weekdays (Monday to Friday)")
    WEEKLY = "weekly", _("Once a week")
    MONTHLY = "monthly", _("Once a month")
    CRON = "cron", _("Cron expression")


class ScheduledReport(BaseModel):
    """A report e-mailed on a schedule ("the report to the head"): its parts, computed as `run_as` may see
    them, for a period relative to the day it is sent, as HTML in the body and an XLSX file attached."""

    name = models.CharField(_("name"), max_length=200)
    sections = models.JSONField(_("parts"), default=list)
    run_as = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("computed as"),
                               help_text=_("The report shows only what this person may see."))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("set up by"))
    frequency = models.CharField(_("schedule"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKDAYS)
    time_of_day = models.TimeField(_("at"), default=datetime.time(8, 0))
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=sorted(WEEKDAYS.items()), default=0)
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1,
                                                    validators=[MinValueValidator(1), MaxValueValidator(28)])
    cron = models.CharField(_("cron expression"), max_length=100, blank=True,
                            help_text=_("minute hour day month weekday, e.g. “30 7 * * 1-5”; weekday 0 is Sunday."))
    period = models.CharField(_("period"), max_length=16, choices=DynamicPeriod.choices,
                              default=DynamicPeriod.YESTERDAY)
    only_if_data = models.BooleanField(_("send only if there is data"), default=True)
    recipient_users = models.JSONField(_("people"), default=list, blank=True)
    recipient_roles = models.JSONField(_("roles"), default=list, blank=True)
    recipient_addresses = models.TextField(_("other addresses"), blank=True,
                                           help_text=_("One or more e-mail addresses, separated by commas."))
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    is_active = models.BooleanField(_("active"), default=True)
    # Due times after this moment count: a report set up (or rescheduled) at 10:00 does not send the 08:00 one.
    schedule_from = models.DateTimeField(_("scheduled from"), default=timezone.now)

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def cron_expression(self) -> str:
        """The schedule as cron (weekday 0 is Sunday there, Monday here)."""
        at = f"{self.time_of_day.minute} {self.time_of_day.hour}"
        if self.frequency == Frequency.CRON:
            return self.cron.strip()
        return {Frequency.DAILY: f"{at} * * *", Frequency.WEEKDAYS: f"{at} * * 1-5",
                Frequency.WEEKLY: f"{at} * * {(self.weekday + 1) % 7}",
                Frequency.MONTHLY: f"{at} {self.day_of_month} * *"}[Frequency(self.frequency)]

    def clean(self) -> None:
        errors: dict[str, object] = {}
        sections = self.sections if isinstance(self.sections, list) else None
        if not sections:
            errors["sections"] = _("Choose at least one part of the report.")
        elif unknown := [s for s in sections if s not in ReportSection.values]:
            errors["sections"] = _("Unknown parts: %(parts)s.") % {"parts": ", ".join(map(str, unknown))}
        if self.frequency == Frequency.CRON:
            try:
                cron_parse(self.cron)
            except ValueError as exc:
                errors["cron"] = str(exc)
        bad = [a for a in self.addresses() if not _valid_email(a)]
        if bad:
            errors["recipient_addresses"] = _("Not an e-mail address: %(addresses)s.") % {"addresses": ", ".join(bad)}
        if errors:
            raise ValidationError(errors)

    def addresses(self) -> list[str]:
        """The other addresses, one per item, in the order given."""
        parts = (self.recipient_addresses or "").replace(";", ",").replace("\n", ",").split(",")
        return [p.strip() for p in parts if p.strip()]


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


class SendStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped: no data")
    FAILED = "failed", _("Failed")


class ScheduledReportSend(BaseModel):
    """One sending of a scheduled report: when, to whom, with what result; the log of the report's page.

    A scheduled send names its due time (`slot`), unique per report: two workers that find the same report
    due both try to write this row first, and the one that fails does not send (a "sent for slot" record).
    A send started by hand ("send now") has no slot.
    """

    report = models.ForeignKey(ScheduledReport, on_delete=models.CASCADE, related_name="sends",
                               verbose_name=_("scheduled report"))
    slot = models.DateTimeField(_("due at"), null=True, blank=True)
    by_hand = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("sent by hand by"))
    status = models.CharField(_("status"), max_length=8, choices=SendStatus.choices, default=SendStatus.SENDING)
    recipients = models.TextField(_("recipients"), blank=True)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("scheduled report sending")
        verbose_name_plural = _("scheduled report sendings")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["report", "slot"], condition=models.Q(slot__isnull=False),
                                               name="reports_send_once_per_slot")]
        indexes = [models.Index(fields=["report", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.report} {self.slot or self.created_at}"
