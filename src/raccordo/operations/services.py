"""Writes of the operations app: a worker's heartbeat and the record of a backup.

Both are written by the system itself (`user=None`): a worker process, the backup command or the nightly task.
A heartbeat is telemetry, rewritten every half minute, and is not journaled (it would bury the changes people
make); a backup is, so the audit log says when the data was copied out and where to.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from raccordo.access import policy
from raccordo.core.journal import diff, journal_record, snapshot
from raccordo.core.models import Operation

from .models import Backup, WorkerHeartbeat


def worker_heartbeat_beat(*, host: str, pid: int, started_at: dt.datetime, tasks_done: int = 0) -> WorkerHeartbeat:
    """Record that the worker process (host, pid, started at) is alive now."""
    beat, _created = WorkerHeartbeat.objects.update_or_create(
        host=host[:255], pid=pid, started_at=started_at,
        defaults={"seen_at": timezone.now(), "tasks_done": tasks_done})
    return beat


def worker_heartbeats_forget(*, older_than: dt.timedelta) -> int:
    """Drop the heartbeats of workers gone for longer than `older_than` (restarted processes pile up)."""
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=timezone.now() - older_than).delete()
    return deleted


@transaction.atomic
def backup_record(*, user, started_at: dt.datetime, status: str, path: str, size: int, database: str, host: str,
                  nightly: bool, message: str = "") -> Backup:
    """Record a backup that has ended (succeeded or failed), journaled."""
    backup = Backup(started_at=started_at, finished_at=timezone.now(), status=status, path=path[:1000], size=size,
                    database=database, host=host[:255], nightly=nightly, message=message)
    backup.full_clean()
    policy.require(user, "add", backup)
    backup.save(force_insert=True)
    journal_record(obj=backup, operation=Operation.CREATE, changes=diff({}, snapshot(backup)), user=user)
    return backup
