"""A prepared bulk INSERT (COPY on PostgreSQL) for one table: how `demo --scale` writes millions of rows.

It skips the ORM's per-object work (no model instances, no signals, no per-row validation); the caller
builds values that are valid already.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, models


class TableWriter:
    """One prepared INSERT for a model's columns; rows are tuples in `columns` order, in Python values.

    Values are converted with each field's own `get_db_prep_save`, but only for the field types whose
    database form differs from the Python one (UUIDs, dates, decimals), to keep the per-value cost low.
    Concrete fields not named in `columns` get their model default (the same for every row), so a field
    added to a model later does not break the bulk seeding.
    """

    def __init__(self, model: type[models.Model], columns: list[str]):
        self.model = model
        fields = [model._meta.get_field(name) for name in columns]
        named = {f.name for f in fields}
        others = [f for f in model._meta.concrete_fields if f.name not in named]
        self.converters: list[Callable | None] = []
        for f in fields:
            target = f.target_field if f.is_relation else f
            if isinstance(target, models.UUIDField | models.DateTimeField | models.DateField | models.DecimalField
                          | models.JSONField):
                self.converters.append(lambda v, f=f: f.get_db_prep_save(v, connection))
            else:
                self.converters.append(None)
        self.defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
        quote = connection.ops.quote_name
        cols = ", ".join(quote(f.column) for f in [*fields, *others])
        marks = ", ".join(["%s"] * (len(fields) + len(others)))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({cols}) VALUES ({marks})"
        # PostgreSQL: COPY is several times faster than INSERTs, even pipelined ones.
        self.copy_sql = f"COPY {quote(model._meta.db_table)} ({cols}) FROM STDIN"
        self.pending: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        """Queue one row (written at the next `flush`)."""
        self.pending.append(row)

    def flush(self) -> None:
        """Write the queued rows in one statement and forget them; `written` counts them."""
        if not self.pending:
            return
        convs, defaults = self.converters, self.defaults
        rows = [tuple(v if c is None or v is None else c(v) for c, v in zip(convs, row, strict=True)) + defaults
                for row in self.pending]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, rows)
        self.written += len(rows)
        self.pending = []
