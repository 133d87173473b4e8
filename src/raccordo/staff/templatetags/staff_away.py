"""The "away" state in other apps' templates: a badge beside a person who is absent (today, or on a given day),
and the absences of a calendar's days. Reads go through staff.selectors, which ask the policy."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .. import selectors

register = template.Library()


def _badge(absence) -> str:
    until = absence.ends_on.strftime("%d.%m.%Y")
    return format_html('<span class="badge rounded-pill badge-soft-warning ms-1" data-testid="away" title="{}">'
                       '<i class="bi bi-airplane me-1" aria-hidden="true"></i>{}</span>',
                       f"{absence.get_kind_display()} {absence.starts_on:%d.%m.%Y}–{until}",
                       _("away until %(date)s") % {"date": until})


def _upcoming(context, viewer, user_id) -> list:
    """The person's absences from today on, loaded once per page (a team panel or a list of reminders names the
    same people again and again: its queries must not grow with its rows)."""
    cache = context.render_context.setdefault("staff_away_user", {})
    if user_id not in cache:
        today = timezone.localdate()
        cache[user_id] = list(selectors.absences_between(viewer, today, dt.date.max, [user_id]))
    return cache[user_id]


def _away_today(context, viewer) -> dict:
    cache = context.render_context.get("staff_away_today")
    if cache is None:
        today = timezone.localdate()
        cache = {a.user_id: a for a in selectors.absences_between(viewer, today, today)}
        context.render_context["staff_away_today"] = cache
    return cache


@register.simple_tag(takes_context=True)
def away(context, person, when=None):
    """A badge when `person` is away today (or on `when`, a date or date-time: a task due during an absence)."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    user_id = getattr(person, "pk", person)
    if user_id is None or viewer is None:
        return ""
    if when is None:
        absence = _away_today(context, viewer).get(user_id)
        return _badge(absence) if absence else ""
    day = when
    if isinstance(when, dt.datetime):
        day = timezone.localtime(when).date() if timezone.is_aware(when) else when.date()
    absence = next((a for a in _upcoming(context, viewer, user_id) if a.starts_on <= day <= a.ends_on), None)
    return _badge(absence) if absence else ""


@register.simple_tag(takes_context=True)
def away_on_day(context, day):
    """Who is away on `day` of the calendar: loaded once for all the calendar's weeks, then read per cell."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if viewer is None or not day:
        return ""
    cache = context.render_context.get("staff_away")
    if cache is None:
        days = [cell["date"] for week in context.get("weeks", []) for cell in week] or [day]
        mine = [viewer.pk] if context.get("mine") else None
        cache = list(selectors.absences_between(viewer, min(days), max(days), mine))
        context.render_context["staff_away"] = cache
    names = [a for a in cache if a.starts_on <= day <= a.ends_on]
    return format_html("".join(
        format_html('<span class="rc-cal-item rc-cal-away d-block" data-testid="cal-away" title="{}">'
                    '<i class="bi bi-airplane me-1" aria-hidden="true"></i>{}</span>',
                    a.get_kind_display(), a.user) for a in names))
