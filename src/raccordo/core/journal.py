"""Writing the change journal: snapshots of a record's fields and their differences."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .context import current
from .models import ChangeJournal, Operation
from .rows import RowWriter


def plain(value: Any) -> Any:
    """A value as the journal keeps it: JSON-ready, decimals in plain notation, ids and times as text."""
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, Decimal):
        # Plain notation ("100", "20.5"), never exponents: 100.00 and 100 are the same amount.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return str(value)



# Fields whose values are secrets (a user's password hash, a 1C node's, an FTP password kept to be sent, API
# token hashes): the journal records that they changed, never what they hold, and no page shows them.
SECRET_FIELD = re.compile(r"password|secret|token|key_hash", re.IGNORECASE)
MASK = "********"


def is_secret_field(name: str) -> bool:
    return bool(SECRET_FIELD.search(name))


def mask_secrets(changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` with every secret field's values replaced by a mask (an empty value stays empty)."""
    if not any(is_secret_field(k) for k in changes):
        return changes
    return {k: [v if v in (None, "") else MASK for v in pair] if is_secret_field(k) and isinstance(pair, list)
            else pair for k, pair in changes.items()}


def journaled_fields(model: type[models.Model]) -> list[models.Field]:
    skip = {"created_at", "updated_at"}
    return [f for f in model._meta.concrete_fields if f.name not in skip and not f.primary_key]


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The record's own fields as JSON-ready values, keyed by field name (foreign keys by their id)."""
    return {f.name: plain(getattr(obj, f.attname)) for f in journaled_fields(type(obj))}


_JOURNALED: dict[type, list[tuple[str, str]]] = {}


def row_snapshot(model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
    """snapshot() of a plain row (attname -> value, see core.rows), without a model instance."""
    names = _JOURNALED.get(model)
    if names is None:
        names = _JOURNALED[model] = [(f.name, f.attname) for f in journaled_fields(model)]
    out = {}
    for name, attname in names:
        value = row[attname]
        out[name] = value if value is None or type(value) is str or type(value) is bool else plain(value)
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def journal_record(*, obj: models.Model, operation: str, changes: dict[str, list[Any]], user=None,
                   ) -> ChangeJournal:
    """Append one journal entry for `obj`, stamped with the current origin, node and request."""
    ctx = current()
    return ChangeJournal.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        object_repr=str(obj)[:255],
        operation=operation,
        changes=mask_secrets(changes),
        user=user if getattr(user, "pk", None) else None,
        origin=ctx.origin,
        node=ctx.node,
        request_id=ctx.request_id,
    )


def journal_bulk(*, entries: list[tuple[models.Model, str, dict[str, list[Any]]]], user=None) -> None:
    """Append many entries with a few multi-row INSERTs (500 rows each): batch services use it so batching never
    skips the journal."""
    if not entries:
        return
    ctx = current()
    rows = [
        ChangeJournal(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk,
            object_repr=str(obj)[:255], operation=op, changes=mask_secrets(changes),
            user=user if getattr(user, "pk", None) else None, origin=ctx.origin, node=ctx.node,
            request_id=ctx.request_id,
        )
        for obj, op, changes in entries
    ]
    ChangeJournal.objects.bulk_create(rows, batch_size=500)


class JournalRows:
    """Journal entries as plain rows: the same content as journal_bulk, stamped alike; for the bulk services."""

    def __init__(self):
        self.rows: list[dict[str, Any]] = []
        self._types: dict[type, int] = {}

    def add(self, model: type[models.Model], pk: Any, repr_: str, operation: str, changes: dict) -> None:
        """Keep one entry; nothing is written before write()."""
        ct = self._types.get(model)
        if ct is None:
            ct = self._types[model] = ContentType.objects.get_for_model(model).pk
        self.rows.append({"content_type_id": ct, "object_id": pk, "object_repr": repr_[:255],
                          "operation": operation, "changes": changes})

    def write(self) -> None:
        """Insert the entries kept so far, stamped with the current origin, node and request."""
        if not self.rows:
            return
        ctx = current()
        now = timezone.now()
        for row in self.rows:
            row.update(seq=None, at=now, user_id=None, origin=ctx.origin, node=ctx.node, request_id=ctx.request_id)
        # seq is the database's own sequence: leave it out of the INSERT
        writer = RowWriter(ChangeJournal, [f.attname for f in ChangeJournal._meta.concrete_fields
                                           if f.attname != "seq"])
        writer.insert(self.rows)
        self.rows = []


def history_for(obj: models.Model):
    """Journal entries of one record, newest first."""
    return ChangeJournal.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk
    ).select_related("user").order_by("-seq")


__all__ = ["MASK", "JournalRows", "Operation", "diff", "history_for", "is_secret_field", "journal_bulk",
           "journal_record", "mask_secrets", "plain", "row_snapshot", "snapshot"]
