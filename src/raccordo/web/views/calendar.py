"""A week or month calendar of the user's tasks, meetings and reminders (a server-rendered grid, no JS)."""

from __future__ import annotations

import calendar as pycal
import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from raccordo.activities.selectors import calendar_entries


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
def calendar_view(request):
    mode = "week" if request.GET.get("view") == "week" else "month"
    try:
        anchor = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        anchor = timezone.localdate()
    if mode == "week":
        start = anchor - dt.timedelta(days=anchor.weekday())
        end = start + dt.timedelta(days=7)
        prev_date, next_date = start - dt.timedelta(days=7), end
    else:
        first = anchor.replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        last = first.replace(day=pycal.monthrange(first.year, first.month)[1])
        end = last + dt.timedelta(days=7 - last.weekday())
        prev_date = (first - dt.timedelta(days=1)).replace(day=1)
        next_date = last + dt.timedelta(days=1)
    mine = request.GET.get("all") != "1"
    entries = calendar_entries(user=request.user, start=_aware(start), end=_aware(end), mine=mine)
    by_day: dict = {}
    for entry in entries:
        by_day.setdefault(timezone.localtime(entry["at"]).date(), []).append(entry)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    weeks = [[{"date": d, "entries": by_day.get(d, []), "other": mode == "month" and d.month != anchor.month}
              for d in days[i:i + 7]] for i in range(0, len(days), 7)]
    return render(request, "web/calendar/calendar.html", {
        "mode": mode, "weeks": weeks, "anchor": anchor, "today": timezone.localdate(), "prev": prev_date,
        "next": next_date, "mine": mine, "weekdays": days[:7]})
