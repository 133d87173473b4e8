"""Background work of the exchange: the scheduler that starts tasks at their time, runs people prepared, and the
nightly removal of the files runs kept.

The Huey entry points call only the worker's side (`task_running`, `run_execution`, `sources`); the
modules that queue this work (`scheduling`, `runs`) import these tasks, never the other way round.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import run_execution, sources, task_running


@db_task()
def run_task_job(task_id: str, user_id: str | None = None, dry_run: bool = False) -> None:
    """Run one exchange task in the worker (as `user_id` when a person started it; a dry run on request)."""
    task_running.task_job(task_id, user_id, dry_run)


@db_periodic_task(crontab())
def dispatch_tasks() -> None:
    """Every minute: start the exchange tasks whose schedule is due."""
    task_running.due_tasks_start(timezone.now(), lambda pk: run_task_job(str(pk)))


@db_task()
def run_job(run_id: str) -> None:
    """Do a run prepared by a person (a tabular import from the web, a retry of failed records) in the worker."""
    run_execution.run_execute(run_id)


@db_periodic_task(crontab(minute="41", hour="3"))
def cleanup_run_files() -> None:
    """Nightly: remove the source files kept with runs older than EXCHANGE_RUN_FILES_KEEP_DAYS."""
    sources.run_files_cleanup()
