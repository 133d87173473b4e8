"""Background work of segments: a mass e-mail step by step at the configured rate, and the day's greetings."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .greetings import send_greetings
from .mailing import mailing_step
from .models import Mailing


@db_task()
def mailing_run_task(mailing_id) -> None:
    """Send what the rate allows now, then come back when the next minute's budget opens (no sleeping worker)."""
    mailing = Mailing.objects.filter(pk=mailing_id).first()
    if mailing is None:
        return
    wait = mailing_step(mailing=mailing)
    if wait is not None:
        mailing_run_task.schedule(args=(mailing_id,), delay=max(wait, 1.0))


@db_periodic_task(crontab(hour="9", minute="5"))
def greetings_task() -> None:
    """Every morning: birthday greetings to contacts born today, holiday greetings on a holiday."""
    send_greetings()
