"""The run page's conflicts: listing those a person may see, settling one (accounting's value or the CRM's), and
the rows that show each conflicting field. Finding conflicts during an import is `conflicts`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import allows, can
from raccordo.access.records import record_update
from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import snapshot

from .conflicts import ACCOUNTING, CONFLICT, CRM, SUPERSEDED
from .importers.documents import invoice_status_apply
from .models import ConflictPolicy, Run, RunItem
from .selectors import run_items


def conflict_list(*, user, run: Run):
    """The conflicts of a run `user` may see (those who may view the exchange), in the order they arose:
    only of records they may see, since a conflict shows the CRM's value (M1)."""
    if not allows(user, "view", "exchange"):
        return RunItem.objects.none()
    return run_items(user=user, run=run, qs=run.items.filter(outcome=CONFLICT)).select_related(
        "resolved_by").order_by("id")


def _value_for(model: type[models.Model], name: str, value):
    """A journal-form value (text for decimals and ids) back to what the model's field holds: (attname, value)."""
    f = cast("models.Field[Any, Any]", model._meta.get_field(name))  # journal names are concrete fields
    if f.is_relation:
        target = f.target_field  # type: ignore[attr-defined]  # a relation (ForeignKey) has a target_field
        return f.attname, (target.to_python(value) if value is not None else None)
    return f.attname, f.to_python(value) if value is not None else (None if f.null else f.get_default())


@transaction.atomic
def conflict_resolve(*, user, item: RunItem, choice: str) -> RunItem:
    """Settle a conflict left for someone to decide: take accounting's value or keep the CRM's.

    Whoever may view the exchange (administrators, accountants) may settle it. Accounting's value is
    written through record_update, journaled with no exchange node (a local change), under the
    request id "conflict-<item id>" that ties the journal entry to this item; who chose and when is kept
    on the item. Only an open question may be settled, and only while the record still holds the CRM
    value it was asked about.
    """
    if not allows(user, "view", "exchange"):
        raise PermissionDenied(_("You may not settle exchange conflicts."), code="access.denied")
    item = RunItem.objects.select_for_update().get(pk=item.pk)
    if item.outcome != CONFLICT or item.resolution or not item.changes:
        raise ApplicationError(_("This conflict is already settled."), code="exchange.conflict.settled")
    if choice not in (ACCOUNTING, CRM):
        raise ApplicationError(_("Choose accounting's value or the CRM's."), code="exchange.conflict.choice")
    model = apps.get_model(item.object_type)
    obj = model._default_manager.select_for_update().filter(pk=item.object_id).first()
    if obj is None:
        raise ApplicationError(_("The record no longer exists."), code="exchange.conflict.gone")
    # The write below is the exchange's (user=None), so the settler's sight of the record is checked here:
    # nobody settles, or learns through the error messages, the values of a record they do not see.
    if user is not None and not can(user, "view", obj):
        raise PermissionDenied(_("You may not settle exchange conflicts."), code="access.denied")
    now = snapshot(obj)
    data = {}
    for name, (crm, accounting) in item.changes.items():
        if now.get(name) != crm:
            raise ApplicationError(
                _("%(field)s changed since the conflict was recorded (now “%(now)s”); settle it on the record.")
                % {"field": name, "now": now.get(name)}, code="exchange.conflict.stale")
        attname, value = _value_for(model, name, accounting)
        data[attname] = value
    if choice == ACCOUNTING:
        with change_context(node="", request_id=f"conflict-{item.pk}"):
            # The exchange's right, not the catalog's: an accountant settles it for the exchange (user=None
            # skips the record's own access check); who did it is on the item.
            if item.object_type == "sales.invoice" and set(item.changes) == {"status"}:
                # A status is a transition the sales services rule on (a paid invoice is not cancelled
                # before its payment is taken back): through them, never written over.
                node = item.run.node
                invoice_status_apply(invoice=obj, status=item.changes["status"][1], node_code=node.code if node else "")
            else:
                # Only the fields the conflict named (each checked against the record above) may be written.
                record_update(obj, user=None, data=data, fields=list(item.changes))
    item.resolution, item.resolved_at, item.resolved_by = choice, timezone.now(), user
    item.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    return item


@dataclass
class ConflictRow:
    """A conflict as the run page shows it: the field's label and both values in words."""

    item: RunItem
    field: str
    label: str
    crm: Any
    accounting: Any
    waiting: bool
    superseded: bool
    policy: str = ""        # the policy's name ("Ask", "Newer wins" ...)
    record: str = ""        # the record's name, when it still exists


def conflict_rows(items) -> list[ConflictRow]:
    """The run page's view of conflict items: values of relations (a group, a unit) by their names."""
    items = list(items)
    wanted: dict[type, set] = {}
    meta_of: dict[str, Any] = {}
    for item in items:
        try:
            meta_of[item.object_type] = apps.get_model(item.object_type)._meta
        except (LookupError, ValueError):
            continue
        for name, pair in (item.changes or {}).items():
            f = _field(meta_of[item.object_type], name)
            if f is not None and f.is_relation and f.related_model is not None:
                wanted.setdefault(f.related_model, set()).update(v for v in pair if v)
    names: dict[tuple, str] = {}
    records: dict[tuple, str] = {}
    by_type: dict[str, set] = {}
    for item in items:
        if item.object_type in meta_of and item.object_id:
            by_type.setdefault(item.object_type, set()).add(item.object_id)
    for object_type, pks in by_type.items():
        model = apps.get_model(object_type)
        records.update({(object_type, o.pk): str(o) for o in model._default_manager.filter(pk__in=pks)})
    policies = dict(ConflictPolicy.choices)
    for model, pks in wanted.items():
        valid = [pk for pk in pks if _pk_ok(model, pk)]
        names.update({(model, str(o.pk)): str(o) for o in model._default_manager.filter(pk__in=valid)})
    rows = []
    for item in items:
        meta = meta_of.get(item.object_type)
        for name, pair in (item.changes or {}).items():
            f = _field(meta, name) if meta else None
            crm, accounting = (pair + [None, None])[:2] if isinstance(pair, list) else (None, None)
            if f is not None and f.is_relation and f.related_model is not None:
                crm = names.get((f.related_model, str(crm)), crm)
                accounting = names.get((f.related_model, str(accounting)), accounting)
            elif f is not None and f.choices:
                # A status reads "Paid" / "Cancelled", not its stored code.
                labels = {str(k): v for k, v in f.flatchoices}
                crm, accounting = labels.get(str(crm), crm), labels.get(str(accounting), accounting)
            rows.append(ConflictRow(item=item, field=name, label=str(f.verbose_name) if f is not None else name,
                                    crm=crm, accounting=accounting, waiting=not item.resolution,
                                    superseded=item.resolution == SUPERSEDED,
                                    policy=str(policies.get(item.code.rsplit(".", 1)[-1], "")),
                                    record=records.get((item.object_type, item.object_id), "")))
    return rows


def _field(meta, name: str):
    try:
        return meta.get_field(name)
    except FieldDoesNotExist:   # a field removed since the run is shown by its name
        return None


def _pk_ok(model: type[models.Model], value) -> bool:
    try:
        model._meta.pk.to_python(value)
    except (ValidationError, ValueError, TypeError):   # a value that cannot be a key names nothing
        return False
    return True
