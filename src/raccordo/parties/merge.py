"""Merging two counterparties that are one client: everything of the duplicate moves to the survivor.

    merge_preview(survivor=, duplicate=)           -> what would move (counts by kind) and what the survivor keeps
    counterparty_merge(user=, survivor=, duplicate=) -> do it, in one transaction, journaled on both

Every record that points at the duplicate moves: contact persons, phones, e-mails, addresses, bank accounts,
deals, contracts, invoices, payments, shipments, interactions, tasks, reminders (and reminders attached to it
by type and id), complaints, shares, tags. They are found from the model's own relations, so a model added
later that points at a counterparty moves too. What this app cannot see (the exchange's bindings to 1C) is
moved by whoever listens to `counterparty_merged` inside the same transaction.

The duplicate is then **deleted**, not archived: an archived copy keeps its INN, so the duplicate check, the
1C mapping ("inn+kpp is not unique") and the search would keep finding the very record the merge was meant to
remove. Nothing is lost with it: the journal keeps every entry of its history (they stay where they were,
under its id), the merge adds an entry on both records naming the other, and each moved record gets an entry
of its own saying it changed counterparty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from raccordo.access.models import CounterpartyShare
from raccordo.access.policy import can_merge
from raccordo.access.records import record_delete, record_update
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import journal_bulk, journal_record, plain
from raccordo.core.models import Operation

from . import search
from .models import BankAccount, Counterparty, Email, Phone, SearchDocument

# Sent inside the merge's transaction, before the duplicate is deleted, with survivor=, duplicate= and
# dry_run= (True: only count). A receiver returns {model label: number of records} of what it moved (or would).
counterparty_merged = Signal()

# The survivor's own fields that it takes from the duplicate when its own are empty. Not the tax ids (they
# are why the two are one client) nor the responsible manager (the survivor's stays).
FILLED_FIELDS = ("full_name", "ogrn", "vat_number", "tax_code", "segment", "price_type", "website", "notes")
# Rows derived from a counterparty, rewritten rather than moved.
DERIVED = (SearchDocument,)


@dataclass
class MergePlan:
    """What a merge moves (by kind, the number of records) and which of the survivor's fields it fills."""

    moves: dict[str, int] = field(default_factory=dict)   # model label ("sales.invoice") -> records
    fills: dict[str, Any] = field(default_factory=dict)
    becomes_vip: bool = False

    @property
    def total(self) -> int:
        return sum(self.moves.values())


def _relations() -> list[models.ForeignKey]:
    """Every foreign key to Counterparty (but the derived rows and the tags' own through table)."""
    keys = []
    for rel in Counterparty._meta.get_fields(include_hidden=True):
        if not isinstance(rel, models.ManyToOneRel) or not isinstance(rel.field, models.ForeignKey):
            continue
        model = rel.related_model
        if model is None or model in DERIVED or model._meta.auto_created:
            continue
        keys.append(rel.field)
    return keys


def _generic_targets() -> list[tuple[type[models.Model], GenericForeignKey]]:
    """Models that name a record by (type, id) (a reminder attached to a counterparty)."""
    return [(m, f) for m in apps.get_models() for f in m._meta.private_fields if isinstance(f, GenericForeignKey)]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def kind_name(label: str) -> str:
    """The words for a key of `MergePlan.moves` ("sales.invoice" -> "invoices")."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return label


def _shares_in_the_way(survivor: Counterparty, duplicate: Counterparty) -> models.QuerySet:
    """The duplicate's shares with people the survivor is already shared with or belongs to: dropped."""
    taken = set(CounterpartyShare.objects.filter(counterparty=survivor).values_list("user_id", flat=True))
    if survivor.responsible_id is not None:
        taken.add(survivor.responsible_id)
    return CounterpartyShare.objects.filter(counterparty=duplicate, user_id__in=taken)


def _moving(fk: models.ForeignKey, survivor: Counterparty, duplicate: Counterparty) -> models.QuerySet:
    qs = fk.model._default_manager.filter(**{fk.name: duplicate})
    if fk.model is CounterpartyShare:
        qs = qs.exclude(pk__in=_shares_in_the_way(survivor, duplicate).values("pk"))
    return qs


def merge_preview(*, survivor: Counterparty, duplicate: Counterparty) -> MergePlan:
    """What `counterparty_merge` would do, without doing it (the merge page's side-by-side)."""
    plan = MergePlan()
    for fk in _relations():
        count = _moving(fk, survivor, duplicate).count()
        if count:
            plan.moves[_label(fk.model)] = plan.moves.get(_label(fk.model), 0) + count
    ct = ContentType.objects.get_for_model(Counterparty)
    for model, gfk in _generic_targets():
        count = model._default_manager.filter(**{gfk.ct_field: ct, gfk.fk_field: duplicate.pk}).count()
        if count:
            plan.moves[_label(model)] = plan.moves.get(_label(model), 0) + count
    tags = duplicate.tags.exclude(pk__in=survivor.tags.values("pk")).count()
    if tags:
        plan.moves[_label(duplicate.tags.model)] = tags
    for _receiver, counts in counterparty_merged.send(Counterparty, survivor=survivor, duplicate=duplicate,
                                                      dry_run=True):
        plan.moves.update(counts if isinstance(counts, dict) else {})
    plan.fills = {name: getattr(duplicate, name) for name in FILLED_FIELDS
                  if getattr(duplicate, name) and not getattr(survivor, name)}
    plan.becomes_vip = duplicate.is_vip and not survivor.is_vip
    return plan


def _keep_one_primary(user, survivor: Counterparty, duplicate: Counterparty) -> None:
    """The survivor's primary phone, e-mail and bank account stay primary: the duplicate's become ordinary ones
    (a contact person's own phones and e-mails move with their person and keep theirs)."""
    for model in (Phone, Email, BankAccount):
        own = {"contact__isnull": True} if model is not BankAccount else {}
        if not model.objects.filter(counterparty=survivor, is_primary=True, **own).exists():
            continue
        rows = list(model.objects.filter(counterparty=duplicate, is_primary=True, **own))
        model.objects.filter(pk__in=[r.pk for r in rows]).update(is_primary=False)
        journal_bulk(entries=[(row, Operation.UPDATE, {"is_primary": [True, False]}) for row in rows], user=user)


def _move_rows(user, survivor: Counterparty, duplicate: Counterparty) -> None:
    """Point every row of the duplicate at the survivor; one journal entry per moved row."""
    _shares_in_the_way(survivor, duplicate).delete()
    _keep_one_primary(user, survivor, duplicate)
    for fk in _relations():
        rows = list(_moving(fk, survivor, duplicate))
        if not rows:
            continue
        fk.model._default_manager.filter(pk__in=[r.pk for r in rows]).update(**{fk.name: survivor})
        change = {fk.name: [plain(duplicate.pk), plain(survivor.pk)]}
        journal_bulk(entries=[(row, Operation.UPDATE, change) for row in rows], user=user)
    ct = ContentType.objects.get_for_model(Counterparty)
    for model, gfk in _generic_targets():
        rows = list(model._default_manager.filter(**{gfk.ct_field: ct, gfk.fk_field: duplicate.pk}))
        if rows:
            model._default_manager.filter(pk__in=[r.pk for r in rows]).update(**{gfk.fk_field: survivor.pk})
            change = {gfk.fk_field: [plain(duplicate.pk), plain(survivor.pk)]}
            journal_bulk(entries=[(row, Operation.UPDATE, change) for row in rows], user=user)
    survivor.tags.add(*duplicate.tags.all())


def counterparty_merge(*, user, survivor: Counterparty, duplicate: Counterparty) -> MergePlan:
    """Move everything of `duplicate` to `survivor` and delete `duplicate`, all or nothing (see the module).

    The survivor keeps its own fields, takes the duplicate's where its own are empty (FILLED_FIELDS), and
    becomes VIP when the duplicate was one (the duplicate's records stay out of reach of those who could
    not see them). Only administrators merge (`policy.can_merge`).
    """
    if not can_merge(user):
        raise PermissionDenied(_("Only administrators merge counterparties."), code="access.merge.denied")
    if survivor.pk == duplicate.pk:
        raise ApplicationError(_("A counterparty cannot be merged with itself."), code="parties.merge.same")
    with transaction.atomic(), search.deferred():
        # Locked in a fixed order, so that two merges of the same pair cannot wait for each other.
        locked = {cp.pk: cp for cp in Counterparty.objects.select_for_update().filter(
            pk__in=[survivor.pk, duplicate.pk]).order_by("pk")}
        if len(locked) != 2:
            raise ApplicationError(_("One of the two counterparties no longer exists."), code="parties.merge.gone")
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        plan = merge_preview(survivor=survivor, duplicate=duplicate)
        _move_rows(user, survivor, duplicate)
        for _receiver, _counts in counterparty_merged.send(Counterparty, survivor=survivor, duplicate=duplicate,
                                                           dry_run=False):
            pass
        fills = dict(plan.fills, **({"is_vip": True} if plan.becomes_vip else {}))
        if fills:
            # The survivor's fields go through the service rules (validated, journaled); its own INN stays.
            record_update(survivor, user=user, data=fills, fields=(*FILLED_FIELDS, "is_vip"))
        # Plain values, so that the History tab reads them as words (access.history.EXTRA_LABELS names them).
        journal_record(obj=survivor, operation=Operation.UPDATE, user=user, changes={
            "merged": [None, duplicate.name], "merged_id": [None, str(duplicate.pk)],
            "merged_records": [None, plan.total]})
        journal_record(obj=duplicate, operation=Operation.UPDATE, user=user, changes={
            "merged_into": [None, survivor.name], "merged_into_id": [None, str(survivor.pk)]})
        duplicate.refresh_from_db()
        record_delete(duplicate, user=user)
        search.index_refresh(counterparty_ids=[survivor.pk])
    return plan
