"""Keyset pagination and capped counts: paging through a million rows without counting or skipping them.

A page after another one is found by the sort values of the last row shown ("name > 'Romashka' or name =
'Romashka' and id > ...") instead of OFFSET, which reads and throws away every row before the page; with
an index on the sort columns the database starts right at the page. The key always ends with the
primary key, so it is unique and no row is skipped or shown twice when many rows share a value.

    SortKey / sort_keys(["-created_at"])   the ordering, completed with the primary key
    keyset_supported(model, keys)          every column on the key is NOT NULL (NULLs sort differently
                                           in SQLite and PostgreSQL, and compare as unknown)
    after_q(keys, values)                  the rows that come after a row with these values
    row_values(obj, keys)                  the key values of a row
    encode_cursor / decode_cursor          an opaque, URL-safe token for the values and a position
    capped_count(qs, limit)                COUNT(*) that stops at limit + 1
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class SortKey:
    path: str        # a field path, "name" or "counterparty__name"; "pk" for the primary key
    desc: bool = False

    @property
    def order_by(self) -> str:
        return ("-" if self.desc else "") + self.path

    def reversed(self) -> SortKey:
        return SortKey(self.path, not self.desc)


def sort_keys(ordering: Sequence[str]) -> list[SortKey]:
    """The ordering as keys, ending with the primary key in the direction of the first field."""
    keys = [SortKey(f.lstrip("-"), f.startswith("-")) for f in ordering]
    keys = [k for k in keys if k.path not in ("pk", "id")]
    desc = keys[0].desc if keys else False
    return [*keys, SortKey("pk", desc)]


def _fields(model: type[models.Model], path: str) -> list[models.Field]:
    if path == "pk":
        return [model._meta.pk]
    fields, current = [], model
    for part in path.split("__"):
        field = current._meta.get_field(part)
        fields.append(field)
        if field.is_relation:
            current = field.related_model
    if fields[-1].is_relation:
        # Ordering by a foreign key orders by the related table's default ordering: not a plain column.
        fields.append(None)
    return fields


def keyset_supported(model: type[models.Model], keys: Sequence[SortKey]) -> bool:
    """True when every field of every key is a NOT NULL column reached through NOT NULL foreign keys."""
    try:
        for key in keys:
            for field in _fields(model, key.path):
                if field is None or field.null or field.many_to_many or field.one_to_many:
                    return False
    except FieldDoesNotExist:
        return False
    return True


def final_field(model: type[models.Model], path: str) -> models.Field:
    return _fields(model, path)[-1]


def after_q(keys: Sequence[SortKey], values: Sequence[Any]) -> Q:
    """Rows strictly after the row with `values` in the order of `keys`.

    Written as (a > x) OR (a = x AND b > y) OR ..., led by a >= x (or <=), which lets the database
    seek into an index on (a, b, ...) instead of reading it from the start.
    """
    parts, equal = [], Q()
    for key, value in zip(keys, values, strict=True):
        op = "lt" if key.desc else "gt"
        parts.append(equal & Q(**{f"{key.path}__{op}": value}))
        equal &= Q(**{key.path: value})
    first = keys[0]
    lead = Q(**{f"{first.path}__{'lte' if first.desc else 'gte'}": values[0]})
    return lead & reduce(or_, parts)


def row_values(obj: models.Model, keys: Sequence[SortKey]) -> list[Any]:
    values = []
    for key in keys:
        value = obj
        for part in ("pk",) if key.path == "pk" else key.path.split("__"):
            value = getattr(value, part)
        values.append(value)
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()      # full microseconds: the comparison must be exact
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


@dataclass(frozen=True)
class Cursor:
    values: list[Any]
    position: int             # the row's index in the list (0 = first row), for "26–50 of ..."
    backwards: bool = False   # the page wanted is the one before the row, not after it


def encode_cursor(values: Sequence[Any], position: int = 0, *, backwards: bool = False) -> str:
    data = {"v": [_plain(v) for v in values], "p": position}
    if backwards:
        data["b"] = 1
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, model: type[models.Model], keys: Sequence[SortKey]) -> Cursor | None:
    """The cursor in `token`, with values converted back by their fields; None for anything malformed.

    A cursor only positions a page within a queryset the caller already narrowed, so an edited token can
    show nothing it could not show anyway.
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        raw, position = data["v"], int(data["p"])
        if not isinstance(raw, list) or len(raw) != len(keys) or position < 0:
            return None
        values = [final_field(model, key.path).to_python(value) for key, value in zip(keys, raw, strict=True)]
    except (ValueError, TypeError, KeyError, binascii.Error, ValidationError, FieldDoesNotExist, AttributeError):
        return None
    if any(v is None for v in values):
        return None
    return Cursor(values=values, position=position, backwards=bool(data.get("b")))


def capped_count(qs: models.QuerySet, limit: int) -> tuple[int, bool]:
    """(number of rows, exact): counts at most `limit` + 1 rows, so a huge list costs as much as a small one.

    Returns (limit, False) when there are more than `limit` rows.
    """
    n = qs.order_by().values("pk")[:limit + 1].count()
    return (n, True) if n <= limit else (limit, False)
