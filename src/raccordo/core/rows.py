"""Plain rows for the hot tables: INSERT / UPDATE with executemany, and a model's validation without instances.

A large import creates hundreds of thousands of rows (products, prices, stock levels, bindings, journal
entries). Building a Django model instance for each and going through bulk_create's compiler costs far
more than the database work, so the bulk services write plain rows with cursor.executemany instead.
Values still go through each field's own validation (`validate_row`) and get_db_prep_save, so what lands
is what the ORM would have written, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models


def _converter(field: models.Field, conn) -> Callable[[Any], Any]:
    """`field.get_db_prep_save(value, conn)`, with shortcuts for what an import writes on every row.

    UUIDs (keys and foreign keys to them) skip the field machinery; a datetime column repeats one value
    (a batch's `now`), so its last conversion is reused. Anything else goes through the field itself.
    """
    prep = field.get_db_prep_save
    target = field.target_field if field.is_relation else field
    if isinstance(target, models.UUIDField):
        native = conn.features.has_native_uuid_field

        def convert_uuid(value, UUID=uuid.UUID):   # noqa: N803
            if type(value) is UUID:
                return value if native else value.hex
            return prep(value, conn)
        return convert_uuid
    if isinstance(field, models.DateTimeField):
        last: list = [object(), None]

        def convert_datetime(value):
            if value is last[0]:
                return last[1]
            last[0], last[1] = value, prep(value, conn)
            return last[1]
        return convert_datetime
    if type(field) in (models.CharField, models.TextField, models.BooleanField):
        plain = str if type(field) is not models.BooleanField else bool

        def convert_plain(value):
            return value if type(value) is plain else prep(value, conn)
        return convert_plain
    return lambda value: prep(value, conn)


class RowWriter:
    """INSERT / UPDATE of plain rows (attname -> Python value) of one model with executemany."""

    def __init__(self, model: type[models.Model], attnames: Iterable[str] | None = None):
        self.model = model
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if attnames is None or f.attname in attnames]
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        self.insert_sql = (f"INSERT INTO {self.table} ({', '.join(quote(f.column) for f in self.fields)}) "
                           f"VALUES ({', '.join(['%s'] * len(self.fields))})")
        self._quote = quote

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        conn = connections[DEFAULT_DB_ALIAS]
        columns = [(f.attname, _converter(f, conn)) for f in self.fields]
        with conn.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(self.insert_sql, [[convert(row[name]) for name, convert in columns]
                                                     for row in rows[start:start + 5000]])

    def update(self, attnames: list[str], rows: list[tuple]) -> None:
        """rows: (pk, value for each of attnames)."""
        if not rows:
            return
        meta = self.model._meta
        fields = [meta.get_field(name) if name in {f.name for f in meta.fields} else
                  next(f for f in meta.concrete_fields if f.attname == name) for name in attnames]
        sql = (f"UPDATE {self.table} SET {', '.join(f'{self._quote(f.column)} = %s' for f in fields)} "
               f"WHERE {self._quote(meta.pk.column)} = %s")
        conn = connections[DEFAULT_DB_ALIAS]
        converters = [_converter(f, conn) for f in fields]
        convert_pk = _converter(meta.pk, conn)
        params = [[convert(v) for convert, v in zip(converters, row[1:], strict=True)] + [convert_pk(row[0])]
                  for row in rows]
        with conn.cursor() as cursor:
            for start in range(0, len(params), 5000):
                cursor.executemany(sql, params[start:start + 5000])


def model_has_own_clean(model: type[models.Model]) -> bool:
    """Whether the model's clean() checks something across fields (then rows need a real instance)."""
    return model.clean is not models.Model.clean


def validate_row(model: type[models.Model], row: dict[str, Any], skip: set[str]) -> None:
    """Model.clean_fields() on a plain row (attname -> value, cleaned in place), without an instance.

    Foreign keys (`skip`) are resolved from bindings by the importer, so they are not queried here.
    """
    errors: dict[str, list] = {}
    for f in model._meta.concrete_fields:
        if f.name in skip or f.attname in skip:
            continue
        raw = row[f.attname]
        if f.blank and raw in f.empty_values:
            continue
        try:
            row[f.attname] = f.clean(raw, None)
        except ValidationError as exc:
            errors[f.name] = exc.error_list
    if errors:
        raise ValidationError(errors)


class RowView:
    """A plain row that lends itself the model's own __str__ (the journal's object_repr, no instance)."""

    def __init__(self, model: type[models.Model], **values: Any):
        self.__dict__.update(values)
        self._model = model

    def __str__(self) -> str:
        return self._model.__str__(self)


def row_repr(model: type[models.Model], **values: Any) -> str:
    """The journal's object_repr of a plain row: the model's own __str__, cut to the column's length."""
    return str(RowView(model, **values))[:255]
