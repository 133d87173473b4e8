"""Background work of e-mail: a short poll of every active mailbox (Huey)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services

log = logging.getLogger(__name__)


@db_task()
def mailbox_sync_task(mailbox_id) -> int:
    """Sync one mailbox; a sync of it already running (the lease) makes this one a no-op."""
    report = services.mailbox_sync_run(mailbox_id=mailbox_id)
    return report.new if report is not None else 0


@db_periodic_task(crontab(minute="*/2"))
def mailboxes_poll_task() -> int:
    """Every 2 minutes: queue a sync of each active mailbox not being synced (one per mailbox at a time)."""
    due = services.mailboxes_due()
    for mailbox_id in due:
        mailbox_sync_task(mailbox_id)
    return len(due)
