"""Background work of activities: the reminder e-mails and the automatic invoice reminders (Huey)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from raccordo.core.outgoing_mail import mail_failure_line

from . import services

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
@lock_task("reminders-email")
def reminders_email_task() -> int:
    """Every 5 minutes: e-mail each person the reminders that became due (each one once)."""
    try:
        sent = services.reminders_email_due()
    except OSError as exc:
        # A mail server that refuses now refuses again in 5 minutes: one line each time, not a traceback.
        # The reminders stay un-e-mailed and go out once the server answers.
        log.warning("reminder e-mails not sent: %s", mail_failure_line(exc))
        return 0
    if sent:
        log.info("reminder e-mails sent: %s", sent)
    return sent


@db_periodic_task(crontab(minute="10", hour="6"))
@lock_task("invoice-reminders")
def invoice_reminders_task() -> int:
    """Every morning: remind the responsible managers of unpaid invoices before and after their due dates."""
    return services.invoice_reminders_apply()
