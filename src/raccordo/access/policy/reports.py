"""The access policy on the head's reports: who sets sales plans, and who sets up scheduled reports.

A plan is set for a manager by the manager's head (a person of her team other than herself: nobody sets their
own target) or by an administrator. A scheduled report is set up by a head for her team (it is computed as a
person of her team) or by an administrator for anyone; what it shows is what that person may see
(reports.selectors.digest narrows every part with `visible` for that person).
"""

from __future__ import annotations

from django.db import models

from raccordo.core.errors import PermissionDenied

from .people import oversees_team, team_members
from .rows import can, is_admin, visible


def may_plan(user) -> bool:
    """Does `user` set sales plans at all (the plans page)? Heads and administrators."""
    return is_admin(user) or oversees_team(user)


def can_plan_for(user, manager) -> bool:
    """May `user` set (or remove) the plan of `manager`? Administrators anyone's; a head the people of her team
    other than herself."""
    if manager is None:
        return False
    if is_admin(user):
        return True
    return (oversees_team(user) and manager.pk != user.pk
            and team_members(user).filter(pk=manager.pk).exists())


def require_plan_for(user, manager) -> None:
    """Raise unless `user` may set `manager`'s plan (`user=None` is the system itself)."""
    if user is not None and not can_plan_for(user, manager):
        raise PermissionDenied("You may not set this person's sales plan.", code="reports.plan_denied",
                               extra={"manager": str(getattr(manager, "pk", ""))})


def plan_managers(user):
    """The people whose plans `user` sets (the plans page's rows)."""
    if not may_plan(user):
        return team_members(user).none()
    people = team_members(user)
    return people if is_admin(user) else people.exclude(pk=user.pk)


def may_schedule_reports(user) -> bool:
    """Does `user` set up scheduled reports (the page and its menu entry)? Heads and administrators."""
    return is_admin(user) or oversees_team(user)


def scheduled_reports_visible(queryset: models.QuerySet, user) -> models.QuerySet:
    """The scheduled reports `user` sees: all for administrators, those computed as someone of her team for a
    head, none for anyone else."""
    if not may_schedule_reports(user):
        return queryset.none()
    return visible(queryset, user)


def can_manage_scheduled_report(user, report) -> bool:
    """May `user` change, send, preview or delete `report` (or create it, unsaved)? Its person must be in reach."""
    if user is None:
        return True
    if not may_schedule_reports(user) or report.run_as_id is None:
        return False
    if is_admin(user):
        return True
    action = "add" if report._state.adding else "change"
    return can(user, action, report) and team_members(user).filter(pk=report.run_as_id).exists()


def require_scheduled_report(user, report) -> None:
    """Raise unless `user` may manage `report`."""
    if not can_manage_scheduled_report(user, report):
        raise PermissionDenied("You may not manage this scheduled report.", code="reports.schedule_denied",
                               extra={"report": str(report.pk)})


def report_recipients_reach(user):
    """The people `user` may name as recipients of a scheduled report, or reach through a role: her team (a
    head), everyone (administrators)."""
    return team_members(user) if may_schedule_reports(user) else team_members(user).none()


def report_viewers(report) -> list:
    """Whose access narrows a scheduled report's figures: the person it is computed as, and the person who set
    it up unless that is an administrator. A head's report on one of her managers so never shows her a client
    shared with that manager from another department (one she may not see herself)."""
    viewers = [report.run_as]
    owner = report.owner
    if owner is not None and owner.pk != report.run_as_id and not is_admin(owner):
        viewers.append(owner)
    return viewers
