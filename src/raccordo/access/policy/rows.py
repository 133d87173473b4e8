"""The access policy's core: which rows of a model a user reaches (`visible`), whether one record (`can`,
`require`), and whether some records of a type at all (`allows`). Read `access.policy` for the whole picture."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import and_, or_

from django.db import models
from django.db.models import Q

from raccordo.core.errors import PermissionDenied

from ..models import CounterpartyShare, Department, Scope
from ..roles import PermissionSet, permission_set
from ..rules import Rule, rule_for
from ..subjects import ACTIONS, SUBJECTS

# What a share of a client gives the colleague, on the client and on everything hanging off it. Not
# "delete": deleting a client takes its contacts, notes, tasks and reminders with it (report M7).
SHARE_GRANTS = frozenset({"view", "add", "change", "export"})


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user) -> bool:
    return bool(_active(user) and user.is_administrator)


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")


# --- Scopes registered by policy modules ---------------------------------------------------------------------

@dataclass(frozen=True)
class RowScope:
    """How the rows of a model whose rule names `scope` are reached, decided by the policy module that owns them.

    visible(queryset, user, action) -> the rows `user` may `action`; can(user, action, obj) -> bool. Both are
    called for active users only, after the role's grant on the rule's subject was checked (administrators
    hold every grant), and they decide for administrators too: a colleague's personal mail stays theirs.
    """

    visible: Callable
    can: Callable


SCOPES: dict[str, RowScope] = {}


def register_scope(name: str, *, visible: Callable, can: Callable) -> None:
    """Make `name` usable as a rule's `scope` (called by the policy module deciding those rows, on import)."""
    SCOPES[name] = RowScope(visible=visible, can=can)


def _scoped(rule: Rule | None) -> RowScope | None:
    """The registered scope deciding `rule`'s rows, None when the rule has none; LookupError for an unknown
    name (a rule naming a scope nobody registered is a programming error, not something to deny quietly)."""
    if rule is None or not rule.scope:
        return None
    if rule.scope not in SCOPES:
        raise LookupError(f"access rule names the unregistered scope {rule.scope!r}")
    return SCOPES[rule.scope]


def _grants(user, rule: Rule, action: str) -> bool:
    return is_admin(user) or permission_set(user).allows(rule.subject, action)


# --- Departments --------------------------------------------------------------------------------------------

def department_subtree(department_id) -> set:
    """The department and every department below it (ids); empty for no department."""
    if department_id is None:
        return set()
    children: dict = {}
    for pk, parent in Department.objects.values_list("pk", "parent_id"):
        children.setdefault(parent, []).append(pk)
    found, stack = set(), [department_id]
    while stack:
        node = stack.pop()
        if node in found:
            continue
        found.add(node)
        stack.extend(children.get(node, ()))
    return found


def _subtree(user) -> set:
    key = user.department_id
    cached = getattr(user, "_raccordo_subtree", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    result = department_subtree(key)
    user._raccordo_subtree = (key, result)
    return result


# --- Querysets ----------------------------------------------------------------------------------------------

TRUE = None  # an always-true condition, kept apart because Q() | x is x in Django


def _or(*parts):
    if any(p is TRUE for p in parts):
        return TRUE
    return reduce(or_, parts)


def _and(*parts):
    parts = [p for p in parts if p is not TRUE]
    return reduce(and_, parts) if parts else TRUE


def _counterparty_q(user, perms: PermissionSet, prefix: str, action: str = "view") -> Q:
    """Counterparties `user` may reach for `action`, as a filter on the path `prefix` leading to a counterparty."""
    lookup = f"{prefix}__" if prefix else ""
    if not perms.allows("counterparties", "view"):
        return Q(pk__in=[])
    own = Q(**{f"{lookup}responsible": user})
    heads = own
    if perms.scope == Scope.DEPARTMENT:
        heads = own | Q(**{f"{lookup}responsible__department__in": list(_subtree(user))})
    shared = Q(**{f"{lookup}pk__in": CounterpartyShare.objects.filter(user=user).values("counterparty_id")}) \
        if action in SHARE_GRANTS else Q(pk__in=[])
    not_vip = Q(**{f"{lookup}is_vip": False})
    not_null = Q(**{f"{prefix}__isnull": False}) if prefix else TRUE
    if perms.view_vip:
        visible_q = _or(TRUE if perms.scope == Scope.ALL else heads, shared)
    elif perms.scope == Scope.ALL:
        visible_q = not_vip | heads
    else:
        # (theirs or shared) and (not VIP or theirs) is the same set as: theirs, or shared and not VIP.
        # Written so, it is one OR of two branches the database answers from an index each (responsible;
        # the shares), without reading every row's VIP flag: a manager's list counts and pages 5x faster.
        visible_q = heads | (shared & not_vip)
    return _and(not_null, visible_q) or Q(pk__isnull=False)


def _counterparty_in_q(user, perms: PermissionSet, prefix: str, action: str = "view") -> Q:
    """The same rows as `_counterparty_q(user, perms, prefix, action)` for a to-one `prefix`, written as
    `prefix IN (the counterparties user reaches)`: a semi-join the database can answer from the clients first
    (a manager's 1/20th) instead of joining every row to its client before filtering. (A NULL `prefix` is in
    no set, as `prefix__isnull=False` said.)"""
    if not prefix:
        return _counterparty_q(user, perms, prefix, action)
    clients = CounterpartyShare._meta.get_field("counterparty").related_model
    return Q(**{f"{prefix}__in": clients.objects.filter(_counterparty_q(user, perms, "", action)).values("pk")})


def _owners_q(rule: Rule, user, perms: PermissionSet):
    if not rule.owners:
        return None
    if perms.scope == Scope.ALL:
        owned = TRUE
    else:
        owned = reduce(or_, (Q(**{owner: user}) for owner in rule.owners))
        if perms.scope == Scope.DEPARTMENT:
            depts = list(_subtree(user))
            owned |= reduce(or_, (Q(**{f"{owner}__department__in": depts}) for owner in rule.owners))
    if rule.counterparty:
        owned = _and(owned, Q(**{f"{rule.counterparty}__isnull": True}))
    return Q(pk__isnull=False) if owned is TRUE else owned


def _scope_q(rule: Rule, user, perms: PermissionSet, action: str = "view", semijoin: bool = False) -> Q | None:
    parts: list[Q] = []
    if rule.counterparty is not None:
        reach = _counterparty_in_q if semijoin else _counterparty_q
        parts.append(reach(user, perms, rule.counterparty, action))
    owned = _owners_q(rule, user, perms)
    if owned is not None:
        parts.append(owned)
    return reduce(or_, parts) if parts else None


def visible(queryset: models.QuerySet, user, action: str = "view", *, semijoin: bool = False) -> models.QuerySet:
    """Narrow `queryset` to the rows `user` may `action`; anonymous and unknown users get nothing.

    `semijoin=True` gives the same rows, the counterparty condition written as "the row's client is among the
    clients `user` reaches" (a subquery) rather than a join on the client: for aggregates over many rows of
    few clients (analytics over a manager's payments), which the databases plan from the clients' side."""
    _check_action(action)
    if not _active(user):
        return queryset.none()
    rule = rule_for(queryset.model)
    scoped = _scoped(rule)
    if scoped is not None and rule is not None:
        return scoped.visible(queryset, user, action) if _grants(user, rule, action) else queryset.none()
    if is_admin(user):
        return queryset
    if rule is None or not rule.subject:
        return queryset.none()
    perms = permission_set(user)
    if not perms.allows(rule.subject, action):
        return queryset.none()
    if rule.shared:
        return queryset
    scope = _scope_q(rule, user, perms, action, semijoin)
    if scope is None:
        return queryset.none()
    # Every path here is to-one (shares are matched with a subquery), so no row is ever repeated.
    return queryset.filter(scope)


def allows(user, action: str, model_or_subject) -> bool:
    """May `user` `action` some records of this type? For showing a menu entry or a button; reading or
    writing a record still goes through `visible`/`can` with the record itself."""
    _check_action(action)
    if not _active(user):
        return False
    if is_admin(user):
        return True
    if isinstance(model_or_subject, str) and model_or_subject in SUBJECTS:
        subject = model_or_subject
    else:
        rule = rule_for(model_or_subject)
        if rule is None or not rule.subject:
            return False
        subject = rule.subject
    return permission_set(user).allows(subject, action)


# --- One object ---------------------------------------------------------------------------------------------

def _follow(obj, path: str):
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def _user_in_scope(user, perms: PermissionSet, other) -> bool:
    if other is None:
        return False
    if other.pk == user.pk or perms.scope == Scope.ALL:
        return True
    return perms.scope == Scope.DEPARTMENT and other.department_id is not None \
        and other.department_id in _subtree(user)


def _counterparty_reachable(user, perms: PermissionSet, counterparty, action: str = "view") -> bool:
    if not perms.allows("counterparties", "view"):
        return False
    own = counterparty.responsible_id is not None and counterparty.responsible_id == user.pk
    heads = own or (perms.scope == Scope.DEPARTMENT and counterparty.responsible_id is not None
                    and counterparty.responsible.department_id in _subtree(user))
    if counterparty.is_vip and not (perms.view_vip or heads):
        return False
    if perms.scope == Scope.ALL or heads:
        return True
    if action not in SHARE_GRANTS:
        return False
    if counterparty.pk and not counterparty._state.adding:
        return CounterpartyShare.objects.filter(counterparty_id=counterparty.pk, user=user).exists()
    return False


def can(user, action: str, obj: models.Model) -> bool:
    """May `user` do `action` to this object? Works for unsaved objects too (used before a create)."""
    _check_action(action)
    if not _active(user):
        return False
    rule = rule_for(type(obj))
    scoped = _scoped(rule)
    if scoped is not None and rule is not None:
        return _grants(user, rule, action) and bool(scoped.can(user, action, obj))
    if is_admin(user):
        return True
    if rule is None or not rule.subject:
        return False
    perms = permission_set(user)
    if not perms.allows(rule.subject, action):
        return False
    if rule.shared:
        return True
    if rule.counterparty is not None:
        counterparty = obj if rule.counterparty == "" else _follow(obj, rule.counterparty)
        if counterparty is not None:
            return _counterparty_reachable(user, perms, counterparty, action)
        if rule.counterparty == "":
            return False
    if rule.owners and perms.scope == Scope.ALL:
        return True
    return any(_user_in_scope(user, perms, _follow(obj, owner)) for owner in rule.owners)


def require(user, action: str, obj: models.Model) -> None:
    """Raise unless `user` may `action` `obj`. `user=None` is the system itself (exchange, demo seeding)."""
    if user is None:
        return
    if not can(user, action, obj):
        raise PermissionDenied(
            f"You may not {action} this {obj._meta.verbose_name}.", code="access.denied",
            extra={"action": action, "object_type": obj._meta.label_lower},
        )
