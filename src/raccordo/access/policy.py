"""The access policy: the one place that decides who sees and changes which records.

    visible(queryset, user, action="view") -> queryset narrowed to what `user` may `action`
    can(user, action, obj) -> bool
    require(user, action, obj) -> raises PermissionDenied / NotFound

Deny by default: a model that is not registered in RULES is invisible to everyone but
administrators. Every selector, list, search, export, report and API endpoint goes through
`visible`; services call `require` before writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class Rule:
    """How a model's rows relate to the people allowed to see them.

    counterparty: lookup path from the model to its Counterparty ("" for Counterparty itself,
        None when the model hangs off no counterparty).
    owners: user foreign keys that grant access to a record that hangs off no counterparty (a task
        with no client assigned to me, my own reminder). When a record has a counterparty, the
        counterparty alone decides, so nobody reaches a client's data by naming themselves owner.
    shared: catalog-like reference data every signed-in user may view; only administrators write it.
    """

    counterparty: str | None = None
    owners: tuple[str, ...] = field(default_factory=tuple)
    shared: bool = False


RULES: dict[str, Rule] = {
    "parties.counterparty": Rule(counterparty=""),
    "parties.contactperson": Rule(counterparty="counterparty"),
    "parties.address": Rule(counterparty="counterparty"),
    "parties.phone": Rule(counterparty="counterparty"),
    "parties.email": Rule(counterparty="counterparty"),
    "parties.bankaccount": Rule(counterparty="counterparty"),
    "parties.tag": Rule(shared=True),
    "parties.owncompany": Rule(shared=True),
    "catalog.unit": Rule(shared=True),
    "catalog.productgroup": Rule(shared=True),
    "catalog.product": Rule(shared=True),
    "catalog.pricetype": Rule(shared=True),
    "catalog.property": Rule(shared=True),
    "catalog.price": Rule(shared=True),
    "catalog.warehouse": Rule(shared=True),
    "catalog.stocklevel": Rule(shared=True),
    "sales.funnel": Rule(shared=True),
    "sales.stage": Rule(shared=True),
    "sales.deal": Rule(counterparty="counterparty"),
    "sales.dealline": Rule(counterparty="deal__counterparty"),
    "sales.contract": Rule(counterparty="counterparty"),
    "sales.invoice": Rule(counterparty="counterparty"),
    "sales.invoiceline": Rule(counterparty="invoice__counterparty"),
    "sales.payment": Rule(counterparty="counterparty"),
    "sales.paymentallocation": Rule(counterparty="payment__counterparty"),
    "activities.interaction": Rule(counterparty="counterparty", owners=("author",)),
    "activities.task": Rule(counterparty="counterparty", owners=("assignee", "author")),
    "activities.reminder": Rule(counterparty="counterparty", owners=("user",)),
    "activities.complaint": Rule(counterparty="counterparty", owners=("responsible",)),
    # The exchange is the administrators' (and, from issue 5 on, accountants') business.
    "exchange.exchangenode": Rule(),
    "exchange.binding": Rule(),
    "exchange.mapping": Rule(),
    "exchange.run": Rule(),
    "exchange.runitem": Rule(),
}


def rule_for(model: type[models.Model]) -> Rule | None:
    return RULES.get(model._meta.label_lower)


def is_admin(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_administrator)


def _counterparty_q(user, prefix: str) -> Q:
    """Counterparties `user` may reach, as a filter on the path `prefix` leading to a counterparty."""
    lookup = f"{prefix}__" if prefix else ""
    return Q(**{f"{lookup}responsible": user})


def _scope_q(rule: Rule, user) -> Q | None:
    parts: list[Q] = []
    if rule.counterparty is not None:
        parts.append(_counterparty_q(user, rule.counterparty))
    if rule.owners:
        owned = reduce(or_, (Q(**{owner: user}) for owner in rule.owners))
        if rule.counterparty:
            owned &= Q(**{f"{rule.counterparty}__isnull": True})
        parts.append(owned)
    return reduce(or_, parts) if parts else None


def visible(queryset: models.QuerySet, user, action: str = "view") -> models.QuerySet:
    """Narrow `queryset` to the rows `user` may `action`; anonymous and unknown users get nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if is_admin(user):
        return queryset
    rule = rule_for(queryset.model)
    if rule is None:
        return queryset.none()
    if rule.shared:
        return queryset if action == "view" else queryset.none()
    scope = _scope_q(rule, user)
    if scope is None:
        return queryset.none()
    # distinct() only where an owner path crosses a to-many relation; all paths here are to-one.
    return queryset.filter(scope)


def _follow(obj, path: str):
    for part in path.split("__"):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj


def can(user, action: str, obj: models.Model) -> bool:
    """May `user` do `action` to this object? Works for unsaved objects too (used before a create)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_admin(user):
        return True
    rule = rule_for(type(obj))
    if rule is None:
        return False
    if rule.shared:
        return action == "view"
    counterparty = None
    if rule.counterparty is not None:
        counterparty = obj if rule.counterparty == "" else _follow(obj, rule.counterparty)
        if counterparty is not None:
            return counterparty.responsible_id == user.pk
    for owner in rule.owners:
        owner_obj = _follow(obj, owner)
        if owner_obj is not None and owner_obj.pk == user.pk:
            return True
    return False


def require(user, action: str, obj: models.Model) -> None:
    """Raise unless `user` may `action` `obj`. `user=None` is the system itself (exchange, demo seeding)."""
    from raccordo.core.errors import PermissionDenied

    if user is None:
        return
    if not can(user, action, obj):
        raise PermissionDenied(
            f"You may not {action} this {obj._meta.verbose_name}.", code="access.denied",
            extra={"action": action, "object_type": obj._meta.label_lower},
        )
