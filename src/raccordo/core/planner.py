"""Planner statistics: which index answers a list query fastest depends on how many rows each holds.

SQLite chooses between walking a list's sort index and collecting a manager's rows through the
(responsible, ...) index only from the statistics ANALYZE leaves in sqlite_stat1; without them it guesses,
and a wrong guess sorts a quarter of a million rows for a page of 25. PostgreSQL's autovacuum keeps its
statistics current by itself; an explicit ANALYZE after a bulk load saves waiting for it.
"""

from __future__ import annotations

from django.db import connections


def refresh_statistics(using: str = "default") -> None:
    """Re-collect the planner's statistics of every table (a few seconds at a million rows)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Every row, not a sample: a sample of the first index pages misjudges how the rows are spread.
            cursor.execute("PRAGMA analysis_limit=0")
        cursor.execute("ANALYZE")


def refresh_statistics_in_migration(app_label: str, model_name: str):
    """A migration's RunPython function that re-collects the statistics once it has added indexes to a table
    with rows: new indexes are worth nothing to SQLite's planner until ANALYZE has measured them (an empty table,
    a new installation, has nothing to measure)."""

    def refresh(apps, schema_editor) -> None:
        if apps.get_model(app_label, model_name).objects.exists():
            refresh_statistics(schema_editor.connection.alias)

    return refresh
