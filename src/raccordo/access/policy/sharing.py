"""The access policy on sharing clients, merging them, asking for them, rows that name other records, and
sending documents out."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from raccordo.activities.models import Interaction
from raccordo.core.errors import PermissionDenied
from raccordo.parties.models import Email

from ..roles import permission_set
from .rows import _active, _check_action, _counterparty_reachable, allows, can, is_admin, visible

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
    return strangers_refused(invoice.counterparty_id, recipients)


def strangers_refused(counterparty_id, recipients) -> list[str]:
    """Why the company's mail server will not carry a client's paperwork to `recipients` (empty: allowed): an
    address that is not on that client's card (its own e-mails and its contact persons')."""
    known = {a.lower() for a in Email.objects.filter(counterparty_id=counterparty_id)
             .values_list("address", flat=True)}
    strangers = [a for a in recipients if a.strip().lower() not in known]
    if strangers:
        return [_("Not an address of this client: %(addresses)s. Add it to the client's card first.")
                % {"addresses": ", ".join(strangers)}]
    return []
