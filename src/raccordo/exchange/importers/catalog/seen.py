"""The external ids an exchange listed, kept in a temporary table of the connection."""

from __future__ import annotations

import uuid

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.transaction import TransactionManagementError

from raccordo.exchange.models import Binding


class SeenIds:
    """The external ids an exchange listed, in a temporary table of the connection rather than in memory.

    Buffered in memory up to `buffer` ids, then written with one executemany; `exclude_seen()` leaves out
    of a Binding queryset the bindings whose external id is in the table. Dropped by `drop()` (a
    temporary table also disappears with its connection, and with a transaction rolled back).
    """

    def __init__(self, buffer: int = 5000):
        self.buffer = buffer
        self.pending: list[str] = []
        self.table: str | None = None

    def add(self, external_id: str) -> None:
        self.pending.append(external_id)
        if len(self.pending) >= self.buffer:
            self.flush()

    def update(self, external_ids) -> None:
        for external_id in external_ids:
            self.add(external_id)

    def flush(self) -> None:
        conn = connections[DEFAULT_DB_ALIAS]
        # One transaction for the rows (without one, SQLite commits each INSERT of the executemany on its own).
        with transaction.atomic(savepoint=False), conn.cursor() as cursor:
            if self.table is None:
                self.table = conn.ops.quote_name(f"raccordo_seen_{uuid.uuid4().hex[:16]}")
                cursor.execute(f"CREATE TEMPORARY TABLE {self.table} (external_id VARCHAR(255) PRIMARY KEY)")
            if self.pending:
                cursor.executemany(f"INSERT INTO {self.table} (external_id) VALUES (%s) ON CONFLICT DO NOTHING",
                                   [(ext,) for ext in set(self.pending)])
        self.pending = []

    def exclude_seen(self, bindings):
        if self.table is None:
            self.flush()
        binding_table = connections[DEFAULT_DB_ALIAS].ops.quote_name(Binding._meta.db_table)
        return bindings.extra(where=[f"NOT EXISTS (SELECT 1 FROM {self.table} seen "  # noqa: S610 - names only
                                     f"WHERE seen.external_id = {binding_table}.external_id)"])

    def contains(self, external_ids) -> set[str]:
        """Those of these ids that were listed."""
        wanted = list(set(external_ids))
        if not wanted:
            return set()
        self.flush()
        found: set[str] = set()
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                cursor.execute(f"SELECT external_id FROM {self.table} WHERE external_id IN "  # noqa: S608 - names only
                               f"({', '.join(['%s'] * len(part))})", part)
                found.update(row[0] for row in cursor.fetchall())
        return found

    def drop(self) -> None:
        self.pending = []
        if self.table is not None:
            table, self.table = self.table, None
            try:
                with transaction.atomic(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
            except (DatabaseError, TransactionManagementError):
                pass   # a broken transaction is its caller's error to report; the table goes with it
