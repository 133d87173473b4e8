"""Generic write services that every domain service builds on: validate, check access, save, journal.

Domain services (`counterparty_create`, `invoice_issue`, ...) call these so that every write in
Raccordo is validated with `full_clean()`, allowed by the access policy and recorded in the journal.

Each domain service names the fields it lets its callers set (`fields=`, as HackSoft's
`model_update(*, instance, fields, data)` does): a key outside that list is refused with the field's
name, so a rule such as "a stage changes only through `deal_move`" holds whatever the caller sends.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils.translation import gettext as _

from raccordo.core.errors import ApplicationError
from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation

from . import policy

M = TypeVar("M", bound=models.Model)


class FieldNotAllowed(ApplicationError):
    """A service was asked to set a field it does not let its callers set (or one the model lacks)."""

    code = "records.field_not_allowed"


def _field_name(model: type[models.Model], key: str) -> str | None:
    """The model field `key` names (`responsible_id` names `responsible`), or None when it names none."""
    try:
        return model._meta.get_field(key).name
    except FieldDoesNotExist:
        pass
    for field in model._meta.concrete_fields:
        if field.attname == key:
            return field.name
    return None


def check_fields(model: type[models.Model], data: dict[str, Any], fields: Collection[str] | None) -> None:
    """Refuse a key of `data` that is not a field of `model` or, when `fields` is given, not one of them.

    A foreign key may be given by its attribute name as well (`counterparty_id` for `counterparty`).
    """
    # Both sides by field name: a service may list `responsible_id` and a caller send `responsible`, or back.
    allowed = None if fields is None else {_field_name(model, f) or f for f in fields}
    for key in data:
        name = _field_name(model, key)
        if name is None or (allowed is not None and name not in allowed):
            raise FieldNotAllowed(
                _("%(model)s: the field “%(field)s” cannot be set here.") % {
                    "model": model._meta.verbose_name, "field": key},
                extra={"field": key, "object_type": model._meta.label_lower})


def _assign(obj: models.Model, data: dict[str, Any]) -> None:
    for key, value in data.items():
        setattr(obj, key, value)


@transaction.atomic
def record_create(model: type[M], *, user, data: dict[str, Any], fields: Collection[str],
                  exclude_validation: list[str] | None = None) -> M:
    """Create one record of `model` from `data` (validated, access-checked, journaled).

    `fields` lists what the calling service lets be set: a key outside it is refused with its name.
    """
    check_fields(model, data, fields)
    obj = model()
    _assign(obj, data)
    obj.full_clean(exclude=exclude_validation)
    policy.require(user, "add", obj)
    policy.require_assignable(user, obj)
    obj.save(force_insert=True)
    journal_record(obj=obj, operation=Operation.CREATE, changes=diff({}, snapshot(obj)), user=user)
    return obj


@transaction.atomic
def record_update(obj: M, *, user, data: dict[str, Any], fields: Collection[str],
                  exclude_validation: list[str] | None = None) -> M:
    """Change fields of `obj`; a change that alters nothing writes nothing (not even the journal).

    `fields` lists what the calling service lets be changed, as for `record_create`.
    """
    check_fields(type(obj), data, fields)
    policy.require(user, "change", obj)
    before = snapshot(obj)
    _assign(obj, data)
    obj.full_clean(exclude=exclude_validation)
    # Re-check after assignment: moving a record out of the user's reach is not allowed either.
    policy.require(user, "change", obj)
    policy.require_assignable(user, obj, before)
    changes = diff(before, snapshot(obj))
    if not changes:
        return obj
    obj.save()
    journal_record(obj=obj, operation=Operation.UPDATE, changes=changes, user=user)
    return obj


@transaction.atomic
def record_delete(obj: models.Model, *, user) -> None:
    """Delete `obj`, journaling its last state."""
    policy.require(user, "delete", obj)
    changes = {k: [v, None] for k, v in snapshot(obj).items()}
    journal_record(obj=obj, operation=Operation.DELETE, changes=changes, user=user)
    obj.delete()
