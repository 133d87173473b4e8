"""Background work of the exchange: the scheduler that starts tasks at their time."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import scheduling


@db_task()
def run_task_job(task_id: str) -> None:
    """Run one exchange task in the worker."""
    scheduling.task_job(task_id)


@db_periodic_task(crontab())
def dispatch_tasks() -> None:
    """Every minute: start the exchange tasks whose schedule is due."""
    scheduling.dispatch_due()
