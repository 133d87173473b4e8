"""Generic write services that every domain service builds on: validate, check access, save, journal.

Domain services (`counterparty_create`, `invoice_issue`, ...) call these so that every write in
Raccordo is validated with `full_clean()`, allowed by the access policy and recorded in the journal.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction

from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation

from . import policy

M = TypeVar("M", bound=models.Model)


def _assign(obj: models.Model, data: dict[str, Any]) -> None:
    for key, value in data.items():
        setattr(obj, key, value)


@transaction.atomic
def record_create(model: type[M], *, user, data: dict[str, Any], exclude_validation: list[str] | None = None) -> M:
    """Create one record of `model` from `data` (validated, access-checked, journaled)."""
    obj = model()
    _assign(obj, data)
    obj.full_clean(exclude=exclude_validation)
    policy.require(user, "add", obj)
    policy.require_assignable(user, obj)
    obj.save(force_insert=True)
    journal_record(obj=obj, operation=Operation.CREATE, changes=diff({}, snapshot(obj)), user=user)
    return obj


@transaction.atomic
def record_update(obj: M, *, user, data: dict[str, Any], exclude_validation: list[str] | None = None) -> M:
    """Change fields of `obj`; a change that alters nothing writes nothing (not even the journal)."""
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
