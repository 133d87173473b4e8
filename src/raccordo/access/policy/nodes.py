"""The access policy for exchange peers: what a node (a 1C base, a branch office) may see and change, and
which 1C session token serves which request."""

from __future__ import annotations

from django.db import models

from ..rules import rule_for
from .rows import _follow

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


def onec_token_usable(session, *, type_: str) -> bool:
    """Whether a 1C session token may serve a request of exchange type `type_` (catalog or sale).

    A token serves the exchange type it was issued for only, and never after 1C was told its exchange is
    over (`complete`); an exchange node that is switched off serves nothing.
    """
    return session.ended_at is None and session.type == type_ and session.node.is_active
