"""Background work of the reports: keep the figures people look at fresh, send the scheduled reports (Huey)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import services
from .services.scheduled import scheduled_reports_dispatch

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("report-snapshots")
def report_snapshots_refresh_task() -> dict[str, int]:
    """Every 5 minutes: recompute the report snapshots asked for recently, before they go stale."""
    counts = services.snapshots_refresh()
    if any(counts.values()):
        log.info("report snapshots: %s", counts)
    return counts


@db_periodic_task(crontab(minute="*"))
@lock_task("scheduled-reports")
def scheduled_reports_task() -> dict[str, int]:
    """Every minute: send the scheduled reports that are due (each due time once, even with several workers)."""
    counts = scheduled_reports_dispatch()
    if counts:
        log.info("scheduled reports: %s", counts)
    return counts
