"""Background work of the exchange: the scheduler that starts tasks at their time."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import scheduling


@db_task()
def run_task_job(task_id: str, user_id: str | None = None, dry_run: bool = False) -> None:
    """Run one exchange task in the worker (as `user_id` when a person started it; a dry run on request)."""
    scheduling.task_job(task_id, user_id, dry_run)


@db_periodic_task(crontab())
def dispatch_tasks() -> None:
    """Every minute: start the exchange tasks whose schedule is due."""
    scheduling.dispatch_due()


@db_task()
def run_job(run_id: str) -> None:
    """Do a run prepared by a person (a tabular import from the web, a retry of failed records) in the worker."""
    from . import runs

    runs.run_execute(run_id)


@db_periodic_task(crontab(minute="41", hour="3"))
def cleanup_run_files() -> None:
    """Nightly: remove the source files kept with runs older than EXCHANGE_RUN_FILES_KEEP_DAYS."""
    from . import runs

    runs.run_files_cleanup()
