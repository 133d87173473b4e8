"""The access policy: the one place that decides who sees and changes which records.

    visible(queryset, user, action="view") -> queryset narrowed to what `user` may `action`
    can(user, action, obj) -> bool
    require(user, action, obj) -> raises PermissionDenied
    allows(user, action, model_or_subject) -> may the user do `action` on some records of this type at all
    assignable_users(user) -> the colleagues `user` may give records (and tasks) to
    team_members(user) -> the people whose work `user` sees by scope (team filters and dashboard)
    node_visible(queryset, managers=...) / node_can(obj, managers=...) -> what an exchange node may see
        and change: the records of its managers' counterparties
    can_share(user, counterparty) -> may `user` share this client with colleagues (or stop sharing it)
    can_merge(user) / can_request_access(user, counterparty) -> merging duplicates; asking for a hidden client
    visible_references(qs, user, ...) -> rows that name records by (type, id), narrowed to those records
        `user` sees (run items, change-journal entries of an exchange run)
    holds_role(user, names) -> is the user's effective role (built-in, or the custom role replacing it) named
    oversees_team(user) -> does the user lead other people's work (a head's dashboard)

Deny by default: a model that is not registered in RULES (declared in access.rules) (or whose rule names no subject) is invisible
to everyone but administrators. A user reaches a row when

1. their role (access.roles) grants the action on the rule's subject ("counterparties", "invoices", ...);
2. for rows hanging off a counterparty: they may view counterparties, and the counterparty is
   theirs (responsible), in their scope (department and below / all), or shared with them;
   a VIP counterparty additionally needs: theirs, their department's (they are the manager's head),
   or a role granted "view VIP". Everyone else simply does not see it: not in lists, not in counts.
   A share reaches the client for SHARE_GRANTS only (view, add, change, export): deleting it, or sharing
   it onward, stays with its responsible manager, their heads and roles that reach every client;
3. for rows with no counterparty: one of the owner fields is them (or in their scope).

Every selector, list, search, export, report and API endpoint goes through `visible`; services call
`require` before writing.
"""

from __future__ import annotations

from functools import reduce
from operator import and_, or_

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from raccordo.activities.models import Interaction
from raccordo.core.errors import PermissionDenied
from raccordo.parties.models import Email

from .models import CounterpartyShare, Department, Scope
from .roles import PermissionSet, holds_role, permission_set, role_name, role_names
from .rules import ASSIGNMENT_FIELDS, RULES, Rule, rule_for
from .subjects import ACTIONS, SUBJECTS

__all__ = ["ACTIONS", "allows", "assignable_users", "ASSIGNMENT_FIELDS", "can", "can_merge", "can_request_access",
           "can_share", "department_subtree", "holds_role", "invoice_send_refused", "is_admin", "may_configure",
           "may_set_password", "node_can", "node_visible", "onec_token_usable", "oversees_team", "require",
           "require_assignable", "require_share", "role_name", "role_names", "Rule", "rule_for", "RULES",
           "SHARE_GRANTS", "team_members", "visible", "visible_references"]


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


def _scope_q(rule: Rule, user, perms: PermissionSet, action: str = "view") -> Q | None:
    parts: list[Q] = []
    if rule.counterparty is not None:
        parts.append(_counterparty_q(user, perms, rule.counterparty, action))
    owned = _owners_q(rule, user, perms)
    if owned is not None:
        parts.append(owned)
    return reduce(or_, parts) if parts else None


def visible(queryset: models.QuerySet, user, action: str = "view") -> models.QuerySet:
    """Narrow `queryset` to the rows `user` may `action`; anonymous and unknown users get nothing."""
    _check_action(action)
    if not _active(user):
        return queryset.none()
    if is_admin(user):
        return queryset
    rule = rule_for(queryset.model)
    if rule is None or not rule.subject:
        return queryset.none()
    perms = permission_set(user)
    if not perms.allows(rule.subject, action):
        return queryset.none()
    if rule.shared:
        return queryset
    scope = _scope_q(rule, user, perms, action)
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
    if is_admin(user):
        return True
    rule = rule_for(type(obj))
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


# --- Exchange nodes -----------------------------------------------------------------------------------------

# A peer (a 1C base, a branch office) is not a person: it has no role, and what it may see and change is
# its mapping's scope. A node whose counterparty mapping names managers exchanges only the records of
# their counterparties — it is told of no other, and what it sends about another is refused (findings
# M2: a node limited to one manager received every invoice, VIP ones too, and could mark any invoice
# paid by guessing its number). A node that names no managers exchanges everything, as before.

def _node_manager_ids(managers) -> list[str]:
    return sorted({str(m) for m in managers or () if str(m).strip()})


def node_visible(queryset: models.QuerySet, *, managers) -> models.QuerySet:
    """Narrow `queryset` to the records an exchange node may see or change, given the managers its
    counterparty mapping is limited to (its filter; empty: no limit). Records that hang off a counterparty
    count when that counterparty's responsible is one of them; shared records (the catalog) always count;
    any other record only for a node without a limit."""
    ids = _node_manager_ids(managers)
    if not ids:
        return queryset
    rule = rule_for(queryset.model)
    if rule is not None and rule.shared:
        return queryset
    if rule is None or rule.counterparty is None:
        return queryset.none()
    lookup = f"{rule.counterparty}__responsible_id__in" if rule.counterparty else "responsible_id__in"
    return queryset.filter(**{lookup: ids})


def node_can(obj: models.Model, *, managers) -> bool:
    """May an exchange node limited to `managers` (empty: no limit) see or change `obj`? The record form
    of `node_visible`, for a document that names one record."""
    ids = _node_manager_ids(managers)
    if not ids:
        return True
    rule = rule_for(type(obj))
    if rule is not None and rule.shared:
        return True
    if rule is None or rule.counterparty is None:
        return False
    counterparty = obj if rule.counterparty == "" else _follow(obj, rule.counterparty)
    return counterparty is not None and str(counterparty.responsible_id) in ids


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


def onec_token_usable(session, *, type_: str) -> bool:
    """Whether a 1C session token may serve a request of exchange type `type_` (catalog or sale).

    A token serves the exchange type it was issued for only, and never after 1C was told its exchange is
    over (`complete`); an exchange node that is switched off serves nothing.
    """
    return session.ended_at is None and session.type == type_ and session.node.is_active

# --- Sharing ------------------------------------------------------------------------------------------------

def can_share(user, counterparty) -> bool:
    """May `user` share this client with a colleague, or stop sharing it? Its responsible manager, their
    heads, roles that reach every client and may change them, and administrators: never a colleague it was
    shared with, who would otherwise hand it on or cut the others off without the owner (report M7)."""
    if not _active(user):
        return False
    if is_admin(user):
        return True
    perms = permission_set(user)
    # "share" is in no role's actions and not in SHARE_GRANTS: only a reach of one's own counts.
    return perms.allows("counterparties", "change") and _counterparty_reachable(user, perms, counterparty, "share")


def require_share(user, counterparty) -> None:
    """Raise unless `user` may share `counterparty` (or stop sharing it). `user=None` is the system."""
    if user is not None and not can_share(user, counterparty):
        raise PermissionDenied(_("Only the responsible manager and their heads share this counterparty."),
                               code="access.share.denied",
                               extra={"object_type": counterparty._meta.label_lower})


def can_merge(user) -> bool:
    """May `user` merge two counterparties (it moves other people's deals, invoices and history, and deletes a
    client)? Administrators only, whatever a role grants; `user=None` is the system."""
    return user is None or is_admin(user)


def can_request_access(user, counterparty) -> bool:
    """May `user` ask for a client they cannot see (the duplicate check found it)? Anyone who works with clients."""
    return allows(user, "view", "counterparties") and not can(user, "view", counterparty)


# --- Rows that name records of other types (run items, journal entries) -------------------------------------

def visible_references(queryset: models.QuerySet, user, *, type_field: str, models_by_type: dict,
                       id_field: str = "object_id", keep: Q | None = None, action: str = "view") -> models.QuerySet:
    """Narrow rows that name a record by (type, id) to those whose record `user` may `action`.

    `models_by_type` maps each value of `type_field` found in the rows to the model it names; a value
    mapped to None, or missing, names records only administrators reach (deny by default). Rows that name
    no record (an empty id: a file that could not be read, a row that failed before it was a record) stay,
    and so do the rows `keep` selects (a dry run's planned records, which exist nowhere but in the file).
    """
    _check_action(action)
    if not _active(user):
        return queryset.none()
    if is_admin(user):
        return queryset
    condition = Q(**{f"{id_field}__isnull": True})
    if keep is not None:
        condition |= keep
    for type_value, model in models_by_type.items():
        if model is None:
            continue
        reachable = visible(model._default_manager.all(), user, action)
        if reachable.query.is_empty():
            continue
        condition |= Q(**{type_field: type_value, f"{id_field}__in": reachable.values("pk")})
    return queryset.filter(condition)


def oversees_team(user) -> bool:
    """Does `user` lead other people's work (the head's view of overdue complaints, ...)? Administrators,
    and any role, built-in or custom, that reaches more than its own records and may change activities."""
    if not _active(user):
        return False
    if is_admin(user):
        return True
    perms = permission_set(user)
    return perms.scope != Scope.OWN and perms.allows("activities", "change")


# --- sending documents out (findings L6: a free-text e-mail from the company's server to anyone) ---------------------


def invoice_send_refused(user, invoice, recipients) -> list[str]:
    """Why `user` may not e-mail `invoice` to `recipients`, as messages (empty: allowed).

    Sending is a change of the invoice's relation with its client, so it needs `change` on the invoice;
    and the company's mail server carries the invoice only to addresses on that client's card (its own
    e-mails and its contact persons'): anyone may add an address there first, journaled, but no one can
    turn the server into a relay for free text to strangers.
    """
    # The send is logged on the client's timeline: who may not write there may not send (else a mail would
    # leave with no trace of it in the CRM).
    if not can(user, "change", invoice) or not allows(user, "add", Interaction):
        return [_("You may not send this invoice: it needs the right to change it and to log contacts.")]
    known = {a.lower() for a in Email.objects.filter(counterparty_id=invoice.counterparty_id)
             .values_list("address", flat=True)}
    strangers = [a for a in recipients if a.strip().lower() not in known]
    if strangers:
        return [_("Not an address of this client: %(addresses)s. Add it to the client's card first.")
                % {"addresses": ", ".join(strangers)}]
    return []
