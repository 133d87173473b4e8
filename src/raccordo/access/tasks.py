"""Background upkeep of the access app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import throttle


@db_periodic_task(crontab(minute="41"))
def signin_counters_cleanup() -> None:
    """Hourly: drop the database's sign-in counters whose window or lock is over (Redis expires its own)."""
    throttle.counters_cleanup()
