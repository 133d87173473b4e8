"""The worker's round of webhooks: every minute, collect the journal's news and send what is due."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import run_all


@db_periodic_task(crontab(minute="*"))
@lock_task("webhooks-round")
def webhooks_round() -> None:
    """Collect and deliver for every subscription; the lock keeps two workers from sending the same delivery."""
    run_all()
