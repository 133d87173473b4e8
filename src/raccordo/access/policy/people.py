"""The access policy on people: whose work a user sees, to whom they may give records, who configures the app."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from raccordo.core.errors import PermissionDenied

from ..models import Scope
from ..roles import permission_set
from ..rules import ASSIGNMENT_FIELDS
from .rows import _active, _subtree, _user_in_scope, is_admin

# --- Giving records to people -------------------------------------------------------------------------------

def team_members(user):
    """The active people whose work `user` sees by scope: everyone (administrators, roles reaching every record),
    their department and below (heads), or themselves: the team filters, the board and the team dashboard."""
    users = get_user_model().objects.filter(is_active=True)
    if not _active(user):
        return users.none()
    scope = permission_set(user).scope
    if is_admin(user) or scope == Scope.ALL:
        return users
    if scope == Scope.DEPARTMENT:
        return users.filter(Q(pk=user.pk) | Q(department__in=list(_subtree(user))))
    return users.filter(pk=user.pk)


def assignable_users(user):
    """The active colleagues `user` may make responsible for a record or give a task to, in forms and API alike:
    everyone (administrators), their team (heads), only themselves (others: a marketer hands no work around)."""
    if _active(user) and not is_admin(user) and permission_set(user).scope == Scope.ALL:
        return get_user_model().objects.filter(pk=user.pk, is_active=True)
    return team_members(user)


def require_assignable(user, obj: models.Model, before: dict | None = None) -> None:
    """Refuse to hand `obj` to someone outside `user`'s reach (only fields that changed are checked)."""
    if user is None or is_admin(user):
        return
    for name in ASSIGNMENT_FIELDS.get(obj._meta.label_lower, ()):
        attname = obj._meta.get_field(name).attname
        value = getattr(obj, attname)
        if value is None or (before is not None and str(before.get(name)) == str(value)):
            continue
        held = (before or {}).get(name)
        # Taken only from someone in reach too (even one who left): a share reaches a client, not its hand-over.
        if not assignable_users(user).filter(pk=value).exists() or (held and not _user_in_scope(
                user, permission_set(user), get_user_model().objects.filter(pk=held).first())):
            raise PermissionDenied(
                f"You may not give this {obj._meta.verbose_name} to that person.", code="access.assign_denied",
                extra={"field": name, "object_type": obj._meta.label_lower})


# --- sign-in and credentials (findings H1, M6) ---------------------------------------------------------------------


def may_set_password(user, target) -> bool:
    """Whether `user` may give `target` a new password: everyone their own (the form asks for the old one
    first), administrators anyone's."""
    if target is None or not _active(user):
        return False
    return target.pk == user.pk or is_admin(user)


def may_configure(user) -> bool:
    """Whether `user` manages the settings pages (users, roles, funnels, companies, e-mail): administrators."""
    return is_admin(user)


def oversees_team(user) -> bool:
    """Does `user` lead other people's work (the head's view of overdue complaints, ...)? Administrators,
    and any role, built-in or custom, that reaches more than its own records and may change activities."""
    if not _active(user):
        return False
    if is_admin(user):
        return True
    perms = permission_set(user)
    return perms.scope != Scope.OWN and perms.allows("activities", "change")
