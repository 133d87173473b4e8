"""Background work of processes: the automation pass, every minute, in the worker (Huey)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import automation_pass

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@lock_task("processes-automation")
def automation_task() -> int:
    """Every minute: fire the rules on the journal's new changes, move processes on, escalate late steps."""
    result = automation_pass()
    if result.fired or result.escalated or result.overdue:
        log.info("automation: %s rules fired, %s late tasks, %s steps escalated", result.fired, result.overdue,
                 result.escalated)
    return result.fired
