"""Periods of the reports, as plain dates: the dynamic period a scheduled report covers ("last week", "this
month to date"), and the month or quarter a sales plan is set for.

Pure date arithmetic (no database): a scheduled report's period is worked out from the day it is due, so the
report the worker sends at 08:00 on Monday, 3 March covers the same "last week" however late it runs.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DynamicPeriod(models.TextChoices):
    """A period relative to the day a report is made."""

    TODAY = "today", _("Today")
    YESTERDAY = "yesterday", _("Yesterday")
    THIS_WEEK = "this_week", _("This week to date")
    LAST_WEEK = "last_week", _("Last week")
    LAST_7_DAYS = "last_7_days", _("Last 7 days")
    THIS_MONTH = "this_month", _("This month to date")
    LAST_MONTH = "last_month", _("Last month")
    LAST_30_DAYS = "last_30_days", _("Last 30 days")
    THIS_QUARTER = "this_quarter", _("This quarter to date")
    LAST_QUARTER = "last_quarter", _("Last quarter")
    THIS_YEAR = "this_year", _("This year to date")
    LAST_YEAR = "last_year", _("Last year")


class PlanPeriodKind(models.TextChoices):
    """What a sales plan is set for."""

    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_bounds(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and the last day (both included) of `period` as seen on `today`."""
    one = dt.timedelta(days=1)
    week = today - dt.timedelta(days=today.weekday())
    bounds = {
        DynamicPeriod.TODAY: (today, today),
        DynamicPeriod.YESTERDAY: (today - one, today - one),
        DynamicPeriod.THIS_WEEK: (week, today),
        DynamicPeriod.LAST_WEEK: (week - 7 * one, week - one),
        DynamicPeriod.LAST_7_DAYS: (today - 7 * one, today - one),
        DynamicPeriod.THIS_MONTH: (month_start(today), today),
        DynamicPeriod.LAST_MONTH: (add_months(today, -1), month_start(today) - one),
        DynamicPeriod.LAST_30_DAYS: (today - 30 * one, today - one),
        DynamicPeriod.THIS_QUARTER: (quarter_start(today), today),
        DynamicPeriod.LAST_QUARTER: (add_months(quarter_start(today), -3), quarter_start(today) - one),
        DynamicPeriod.THIS_YEAR: (dt.date(today.year, 1, 1), today),
        DynamicPeriod.LAST_YEAR: (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    }
    try:
        return bounds[DynamicPeriod(period)]
    except ValueError:
        raise ValueError(f"unknown period {period!r}") from None


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day`, local time, as an aware datetime (for timestamp columns)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def plan_period_start(kind: str, day: dt.date) -> dt.date:
    """The first day of the month or quarter `day` falls in."""
    return quarter_start(day) if kind == PlanPeriodKind.QUARTER else month_start(day)


def plan_period_end(kind: str, start: dt.date) -> dt.date:
    """The last day (included) of the plan period that starts on `start`."""
    return add_months(start, 3 if kind == PlanPeriodKind.QUARTER else 1) - dt.timedelta(days=1)


def plan_period_label(kind: str, start: dt.date) -> str:
    """"2026-03" for a month, "2026 Q1" for a quarter: short, the same in every language, sortable."""
    if kind == PlanPeriodKind.QUARTER:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def parse_plan_period(kind: str, raw: str) -> dt.date:
    """The start of a plan period from its label ("2026-03", "2026 Q1", also "2026-q1"); ValueError if unreadable."""
    text = (raw or "").strip().upper().replace("-Q", " Q")
    try:
        if kind == PlanPeriodKind.QUARTER:
            year, quarter = text.split(" Q")
            number = int(quarter)
            if not 1 <= number <= 4:
                raise ValueError
            return dt.date(int(year), 3 * number - 2, 1)
        year, month = text.split("-")
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValueError(f"not a {kind}: {raw!r}") from None
