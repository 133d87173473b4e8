"""Bulk creation of records as plain rows: the one path by which bulk services create many records at once.

Rows are validated field by field with the model's own fields (`core.rows.validate_row`), inserted with
executemany and journaled as plain rows, so a bulk service writes what `record_create` would have, at a
fraction of the cost. Used for models whose clean() checks nothing across fields (see
`core.rows.model_has_own_clean`); the others need instances.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from .journal import JournalRows, diff, row_snapshot
from .models import Operation
from .rows import RowWriter, row_repr, validate_row

_STR_FIELDS: dict[type, list[str]] = {}


def rows_create_bulk(model: type[models.Model], rows: list[dict[str, Any]], *, journal: JournalRows,
                     skip: Iterable[str] = ()) -> list[dict | ValidationError]:
    """Validate plain rows of new records (cleaned in place; fields in `skip`, e.g. foreign keys the caller
    resolved, are not queried), INSERT the valid ones and keep their creation in `journal`, which the caller
    writes with the rest of its batch. Per row, in order: its journaled changes, or the ValidationError
    that kept it out."""
    names = _STR_FIELDS.get(model)
    if names is None:
        names = _STR_FIELDS[model] = [f.name for f in model._meta.concrete_fields if not f.is_relation]
    skip = set(skip)
    outcomes: list[dict | ValidationError] = []
    valid = []
    for row in rows:
        try:
            validate_row(model, row, skip)
        except ValidationError as exc:
            outcomes.append(exc)
            continue
        changes = diff({}, row_snapshot(model, row))
        journal.add(model, row["id"], row_repr(model, **{n: row[n] for n in names}), Operation.CREATE, changes)
        valid.append(row)
        outcomes.append(changes)
    RowWriter(model).insert(valid)
    return outcomes
