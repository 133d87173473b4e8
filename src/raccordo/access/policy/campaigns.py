"""The access policy on campaigns: who plans them, who sets up web forms, whose payments a campaign's ROI counts.

Campaigns are the company's plan, read by whoever reads reference data. Planning them (and their events on the
Gantt chart) is for administrators, marketers and heads of sales. Web forms hand leads to people and publish an
endpoint on the company's site: administrators only (`may_configure`). A campaign's ROI sums payments through
`visible`, so a manager's figure is the part their own clients paid; the cost is the campaign's, shown whole.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from raccordo.core.errors import PermissionDenied

from ..roles import holds_role
from .people import may_configure
from .rows import allows, is_admin

PLANNERS = ("head", "marketer")


def may_plan_campaigns(user) -> bool:
    """May `user` create and change campaigns and their events (`user=None` is the system)?"""
    if user is None:
        return True
    return is_admin(user) or (holds_role(user, PLANNERS) and allows(user, "view", "reference"))


def require_campaign_planner(user) -> None:
    """Raise unless `user` may plan campaigns."""
    if not may_plan_campaigns(user):
        raise PermissionDenied(_("Only administrators, marketers and heads of sales plan campaigns."),
                               code="campaigns.denied")


def may_manage_web_forms(user) -> bool:
    """Administrators only: a web form publishes an endpoint and hands leads to people."""
    return user is None or may_configure(user)


def may_view_roi(user) -> bool:
    """May `user` open the campaign and ROI pages? Their revenue figures are narrowed to the payments they may
    see (none for a role without payments: the page says so rather than hiding the plan)."""
    return user is not None and allows(user, "view", "reference")
