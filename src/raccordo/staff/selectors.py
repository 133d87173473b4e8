"""Reads of HR's data: who is away when, the hand-over list, vacancies (access decided in `access.policy.hr`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

from raccordo.access.policy import may_manage_staff, may_see_absence

from .models import Absence, Employee, Vacancy


def absences_on(viewer, user_ids: Iterable, on: dt.date | None = None) -> dict:
    """{user id: the absence covering `on` (today)} for these users, as far as `viewer` may see it."""
    if not may_see_absence(viewer, True):
        return {}
    on = on or timezone.localdate()
    rows = Absence.objects.filter(user_id__in=list(user_ids), starts_on__lte=on, ends_on__gte=on).order_by("starts_on")
    return {row.user_id: row for row in rows}


def absence_covering(viewer, user_id, when: dt.date | None) -> Absence | None:
    """The absence of `user_id` on day `when`, if any (for flagging a task or reminder due then)."""
    if when is None or user_id is None or not may_see_absence(viewer, True):
        return None
    return Absence.objects.filter(user_id=user_id, starts_on__lte=when, ends_on__gte=when).first()


def absences_between(viewer, start: dt.date, end: dt.date, user_ids: Iterable | None = None) -> QuerySet[Absence]:
    """Absences overlapping [start, end] (the calendar), optionally of these users only."""
    if not may_see_absence(viewer, True):
        return Absence.objects.none()
    rows = Absence.objects.select_related("user").filter(starts_on__lte=end, ends_on__gte=start)
    return rows.filter(user_id__in=list(user_ids)) if user_ids is not None else rows


def handovers_pending(viewer) -> QuerySet[Employee]:
    """Dismissed employees whose clients wait for an administrator to reassign them."""
    if not may_manage_staff(viewer):
        return Employee.objects.none()
    return Employee.objects.select_related("user").filter(handover_pending=True).order_by("dismissed_on")


def employees(viewer) -> QuerySet[Employee]:
    """Everyone HR sent, newest first (administrators)."""
    if not may_manage_staff(viewer):
        return Employee.objects.none()
    return Employee.objects.select_related("user", "user__department").order_by("-created_at")


def vacancies(viewer) -> QuerySet[Vacancy]:
    """Vacancies, open first (administrators)."""
    if not may_manage_staff(viewer):
        return Vacancy.objects.none()
    return Vacancy.objects.select_related("department").order_by("closed_on", "title")
