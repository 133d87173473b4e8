"""Working days: deadlines of process steps and rule tasks skip weekends and the holidays of the list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

# A step due "in 2 working days" is due at the end of that day, not at the minute it started.
WORKDAY_END = dt.time(18, 0)


def is_working_day(day: dt.date, holidays: Iterable[dt.date] = ()) -> bool:
    """Monday to Friday, and not a holiday of the list."""
    return day.weekday() < 5 and day not in set(holidays)


def add_working_days(start: dt.date, days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    """The date `days` working days after `start` (0: `start` itself, or the next working day if it is off)."""
    off = set(holidays)
    day = start
    while days == 0 and not is_working_day(day, off):
        day += dt.timedelta(days=1)
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day, off):
            left -= 1
    return day


def holidays() -> set[dt.date]:
    """The holiday list administrators keep (Settings → Business processes → Holidays)."""
    from .models import Holiday  # here, not above: the pure date arithmetic above needs no database

    return set(Holiday.objects.values_list("date", flat=True))


def deadline(now: dt.datetime, days: int) -> dt.datetime:
    """When something started at `now` with `days` working days is due: the end of that working day."""
    local = timezone.localtime(now)
    day = add_working_days(local.date(), days, holidays())
    return timezone.make_aware(dt.datetime.combine(day, WORKDAY_END), timezone.get_current_timezone())
