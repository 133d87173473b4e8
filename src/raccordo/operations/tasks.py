"""The worker's side of operations: the heartbeat of each worker process and the nightly backup."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, lock_task
from huey.signals import SIGNAL_COMPLETE

from . import backups, heartbeat, services


@HUEY.on_startup()
def start_heartbeat() -> None:
    """Runs in each of the consumer's worker threads as it starts; the heartbeat thread starts once per process."""
    heartbeat.start()


@HUEY.signal(SIGNAL_COMPLETE)
def count_task(signal, task, *args, **kwargs) -> None:
    heartbeat.task_done()


@db_periodic_task(crontab(minute="41", hour="*/6"))
@lock_task("operations-forget-workers")
def forget_gone_workers() -> None:
    """Drop heartbeats of worker processes gone for a day (each restart leaves one)."""
    services.worker_heartbeats_forget(older_than=dt.timedelta(days=1))


if settings.BACKUP_HOUR:
    @db_periodic_task(crontab(minute="0", hour=settings.BACKUP_HOUR))
    @lock_task("operations-nightly-backup")
    def nightly_backup() -> None:
        """The nightly backup (RACCORDO_BACKUP_HOUR), kept with the others in RACCORDO_BACKUP_DIR."""
        backups.backup_make(nightly=True)
