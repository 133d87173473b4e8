"""The built-in roles as permission sets, in one table, and the permissions a user holds.

A permission is an action on an object type (a *subject*: "counterparties", "invoices", ...). A role
also has a *scope* (own records, own department and below, everything) and may be granted "view VIP".
Custom roles (`CustomRole`) have exactly this shape; a user with a custom role gets it instead of the
built-in role's set. The actions and subjects themselves are named in `access.subjects`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import CustomRole, Role, Scope
from .subjects import ACTIONS, ALL_ACTIONS, SUBJECTS

__all__ = ["ACTIONS", "ALL_ACTIONS", "BUILTIN_ROLES", "NOTHING", "SUBJECTS", "PermissionSet", "permission_set"]

READ = ["view"]
WORK = ["view", "add", "change", "delete", "export"]


@dataclass(frozen=True)
class PermissionSet:
    """What one role may do: actions per subject, the scope of rows, and whether VIP clients are in reach."""

    permissions: dict[str, frozenset[str]]
    scope: str
    view_vip: bool = False

    def allows(self, subject: str, action: str) -> bool:
        return action in self.permissions.get(subject, ())


def _set(scope: str, view_vip: bool = False, **permissions: list[str]) -> PermissionSet:
    return PermissionSet({k: frozenset(v) for k, v in permissions.items()}, scope, view_vip)


BUILTIN_ROLES: dict[str, PermissionSet] = {
    Role.ADMIN: PermissionSet({s: ALL_ACTIONS for s in SUBJECTS}, Scope.ALL, view_vip=True),
    Role.HEAD: _set(Scope.DEPARTMENT, counterparties=WORK, deals=WORK, invoices=WORK, payments=["view", "add", "export"],
                    activities=WORK, catalog=READ, reference=READ),
    Role.MANAGER: _set(Scope.OWN, counterparties=WORK, deals=WORK, invoices=WORK, payments=["view", "add"],
                       activities=WORK, catalog=READ, reference=READ),
    Role.MARKETER: _set(Scope.ALL, counterparties=["view", "add", "change", "export"], activities=["view", "add"],
                        catalog=READ, reference=READ),
    Role.ACCOUNTANT: _set(Scope.ALL, counterparties=READ, deals=READ, invoices=WORK, payments=WORK,
                          exchange=["view", "run"], catalog=READ, reference=READ),
}
NOTHING = PermissionSet({}, Scope.OWN)


def permission_set(user) -> PermissionSet:
    """The permissions `user` holds (nothing for anonymous or inactive users)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return BUILTIN_ROLES[Role.ADMIN]
    key = (user.role, user.custom_role_id)
    cached = getattr(user, "_raccordo_permission_set", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    if user.custom_role_id:
        role = user.custom_role
        result = PermissionSet({k: frozenset(v) & ALL_ACTIONS for k, v in (role.permissions or {}).items()
                                if k in SUBJECTS}, role.scope, role.view_vip)
    else:
        result = BUILTIN_ROLES.get(user.role, NOTHING)
    user._raccordo_permission_set = (key, result)
    return result


# --- Roles by name (what the policy's decisions and the task pages ask of a user's role) -----------------------


def role_name(user) -> str:
    """The name of the role that decides what `user` may do: the custom role's name when one replaces the
    built-in role (the `role` field is then ignored), else the built-in role's value ("" for nobody)."""
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
        return ""
    if user.is_superuser:
        return "admin"
    if user.custom_role_id:
        return user.custom_role.name
    return user.role


def role_names() -> list[str]:
    """The names a list of roles may hold (an exchange task's "roles who may run it"): the built-in roles'
    values, then the custom roles' names."""
    return list(Role.values) + list(CustomRole.objects.order_by("name").values_list("name", flat=True))


def holds_role(user, names) -> bool:
    """Is the role that decides what `user` may do one of `names` (built-in values or custom role names)?"""
    name = role_name(user)
    return bool(name) and name in set(names)
