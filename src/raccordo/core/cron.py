"""Cron schedules: reading `minute hour day month weekday`, the next times it starts something, and the last.

Exchange tasks (exchange.scheduling) and scheduled reports (reports.schedule) read their schedules here, so a
schedule means the same thing on both pages and in the worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab


def cron_parse(expr: str) -> Callable[[datetime], bool]:
    """`minute hour day month weekday` -> a test of a datetime (huey's crontab; weekday 0 is Sunday)."""
    parts = (expr or "").split()
    if len(parts) != 5:
        raise ValueError(_("A schedule has five fields: minute hour day month weekday."))
    minute, hour, day, month, weekday = parts
    try:
        # strict: huey otherwise drops a piece it cannot read ("0,x" would quietly mean "0").
        return crontab(month=month, day=day, day_of_week=weekday, hour=hour, minute=minute, strict=True)
    except ValueError as exc:
        raise ValueError(_("The schedule %(expr)s cannot be read: %(reason)s (minute 0-59, hour 0-23, day 1-31, "
                           "month 1-12, weekday 0-6 with 0 for Sunday; * , - and */n).")
                         % {"expr": expr, "reason": exc}) from exc


class _Fields:
    """A schedule's five fields expanded to the values each one allows (each read by `cron_parse` alone, the
    other four "*", so the previews and the worker agree with huey's own reading)."""

    def __init__(self, expr: str):
        cron_parse(expr)   # raises ValueError with the reason
        minute, hour, day, month, weekday = expr.split()
        base = datetime(2001, 1, 1)   # a Monday
        self.minutes = [m for m in range(60) if cron_parse(f"{minute} * * * *")(base.replace(minute=m))]
        self.hours = [h for h in range(24) if cron_parse(f"* {hour} * * *")(base.replace(hour=h))]
        self.days = {d for d in range(1, 32) if cron_parse(f"* * {day} * *")(base.replace(day=d))}
        self.months = {m for m in range(1, 13) if cron_parse(f"* * * {month} *")(base.replace(month=m))}
        self.weekdays = {w for w in range(7) if cron_parse(f"* * * * {weekday}")(base + timedelta(days=w))}

    def day_matches(self, date) -> bool:
        return date.month in self.months and date.day in self.days and date.weekday() in self.weekdays


def cron_next(expr: str, *, after: datetime, count: int = 3, years: int = 5) -> list[datetime]:
    """The next `count` minutes after `after` at which the schedule `expr` starts a task (the server's time
    zone, as the dispatcher reads it); fewer when it never comes within `years` (e.g. "0 0 31 2 *")."""
    fields = _Fields(expr)
    tz = timezone.get_default_timezone()
    start = timezone.localtime(after, tz).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
    found: list[datetime] = []
    date = start.date()
    for _day in range(366 * years):
        if fields.day_matches(date):
            for h in fields.hours:
                for m in fields.minutes:
                    moment = datetime(date.year, date.month, date.day, h, m)
                    if moment >= start:
                        found.append(timezone.make_aware(moment, tz))
                        if len(found) == count:
                            return found
        date += timedelta(days=1)
    return found


def cron_previous(expr: str, *, at: datetime, years: int = 5) -> datetime | None:
    """The last minute at or before `at` at which the schedule `expr` starts something (the server's time
    zone), or None when there was none within `years`. A worker that checks every minute, or one that was
    stopped for a while, finds the one time that is due now this way, without walking every missed minute."""
    fields = _Fields(expr)
    tz = timezone.get_default_timezone()
    end = timezone.localtime(at, tz).replace(second=0, microsecond=0, tzinfo=None)
    date = end.date()
    for _day in range(366 * years):
        if fields.day_matches(date):
            for h in reversed(fields.hours):
                for m in reversed(fields.minutes):
                    moment = datetime(date.year, date.month, date.day, h, m)
                    if moment <= end:
                        return timezone.make_aware(moment, tz)
        date -= timedelta(days=1)
    return None
