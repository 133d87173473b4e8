"""Background upkeep of the database."""

from __future__ import annotations

from django.db import connection
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .planner import refresh_statistics


@db_periodic_task(crontab(minute="23", hour="4"))
@lock_task("core-planner-statistics")
def planner_statistics() -> None:
    """Nightly: fresh planner statistics on SQLite (PostgreSQL's autovacuum keeps its own)."""
    if connection.vendor == "sqlite":
        refresh_statistics()
