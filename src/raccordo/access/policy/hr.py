"""The access policy on staff from HR (1C:ZUP, issue #22): which exchange node may send it, when a dismissal
applies, when a dismissed person's clients must be handed over, and who sees absences.

HR decides who works here; Raccordo decides who may log in. So an account HR creates starts inactive (an
administrator activates it), HR's dismissal switches an account off, and only an account HR itself switched off
is switched on again by a rehire.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from raccordo.core.errors import PermissionDenied

from .people import assignable_users, may_configure

HR_NODE_KIND = "zup-hr"


def hr_node_may_send(node) -> bool:
    """May this exchange node send HR documents? Only an active node of the HR kind (one 1C:ZUP base)."""
    return node is not None and node.is_active and node.kind == HR_NODE_KIND


def hr_dismissal_applies(last_worked: dt.date | None, today: dt.date) -> bool:
    """An employment ends once its last worked day is in the past (as in Bitrix: the day itself still counts)."""
    return last_worked is not None and last_worked < today


def hr_handover_needed(user) -> bool:
    """Is a dismissed user still responsible for clients, so that an administrator must reassign them?"""
    from raccordo.parties.models import Counterparty  # noqa: PLC0415  (the policy package loads before the apps)
    return Counterparty.objects.filter(responsible=user).exists()


def may_take_clients_from(user, from_user) -> bool:
    """May `user` hand over everything of `from_user`? Someone in their reach; and an administrator also
    someone who left (an inactive account: a dismissal from HR switches it off before the hand-over)."""
    if assignable_users(user).filter(pk=from_user.pk).exists():
        return True
    return not from_user.is_active and may_configure(user)


def may_manage_staff(user) -> bool:
    """HR's data in Raccordo (links, vacancies, the hand-over list) is the administrators'."""
    return may_configure(user)


def require_staff_manager(user) -> None:
    """Refuse anyone but an administrator the HR pages and hand-overs."""
    if not may_manage_staff(user):
        raise PermissionDenied(_("Only administrators manage staff from HR."), code="staff.denied")


def may_see_absence(viewer, absent_user=True) -> bool:
    """Anyone signed in may see that a colleague is away (not why): the card, the team view, the calendar."""
    return bool(viewer and viewer.is_authenticated and absent_user is not None)
