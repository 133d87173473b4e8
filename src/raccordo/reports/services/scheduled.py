"""Scheduled reports: set up by heads and administrators, sent by the worker at their times, once per time.

The worker (reports.tasks) calls `scheduled_reports_dispatch` every minute. A report is due when its last
scheduled time (`core.cron.cron_previous`) is after the moment it was set up or rescheduled and was not sent
yet; a worker stopped for a while sends the latest missed time only. Before sending, a worker writes the
sending's row for that time: the row is unique per (report, time), and on PostgreSQL the report's row is
locked while it is written, so two workers never both send the same time.

The log of sendings (`ScheduledReportSend`) is a log, not a business record: written here, not journaled.
Setting a report up, changing and deleting it are journaled (access.records).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from raccordo.access.policy import (
    holds_role,
    report_recipients_reach,
    require_scheduled_report,
    role_names,
    team_members,
)
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.core.cron import cron_previous
from raccordo.core.outgoing_mail import mail_failure_line

from ..digest_render import XLSX_TYPE, digest_filename, digest_html, digest_subject, digest_text, digest_xlsx
from ..models import ScheduledReport, ScheduledReportSend, SendStatus
from ..selectors.digest import Digest, digest_make, report_period

log = logging.getLogger(__name__)

REPORT_FIELDS = ("name", "sections", "run_as", "frequency", "time_of_day", "weekday", "day_of_month", "cron",
                 "period", "only_if_data", "recipient_users", "recipient_roles", "recipient_addresses", "language",
                 "is_active")
# Changing one of these moves the schedule: times before the change are not sent late.
SCHEDULE_FIELDS = ("frequency", "time_of_day", "weekday", "day_of_month", "cron", "is_active")


class _NotSent(Exception):
    """A sending that cannot be made (nobody to send to, the person it is computed as left)."""


def _check_recipients(user, data: dict, report: ScheduledReport | None = None) -> None:
    """People must be in the reach of whoever sets the report up; roles must exist; someone must receive it."""
    people = [str(pk) for pk in data.get("recipient_users", report.recipient_users if report else []) or []]
    roles = list(data.get("recipient_roles", report.recipient_roles if report else []) or [])
    addresses = data.get("recipient_addresses", report.recipient_addresses if report else "")
    errors: dict = {}
    if user is not None and people:
        reach = {str(pk) for pk in report_recipients_reach(user).filter(pk__in=people).values_list("pk", flat=True)}
        if set(people) - reach:
            errors["recipient_users"] = _("You may send a report only to people of your team.")
    if set(roles) - set(role_names()):
        errors["recipient_roles"] = _("Unknown roles: %(roles)s.") % {"roles": ", ".join(sorted(set(roles) -
                                                                                              set(role_names())))}
    if not (people or roles or (addresses or "").strip()):
        errors["recipient_users"] = _("Choose at least one recipient: a person, a role or an address.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def scheduled_report_create(*, user, data: dict) -> ScheduledReport:
    """Set up a scheduled report computed as `data["run_as"]` (a person of `user`'s team, or anyone for an
    administrator); its first due time is the first one after now."""
    probe = ScheduledReport(run_as=data.get("run_as"))
    require_scheduled_report(user, probe)
    _check_recipients(user, data)
    values = {**data, "recipient_users": [str(pk) for pk in data.get("recipient_users", [])]}
    return record_create(ScheduledReport, user=user, fields=(*REPORT_FIELDS, "owner", "schedule_from"),
                         data={**values, "owner": user, "schedule_from": timezone.now()})


@transaction.atomic
def scheduled_report_update(*, user, report: ScheduledReport, data: dict) -> ScheduledReport:
    """Change a scheduled report; a new schedule counts from now (earlier times are not sent late)."""
    require_scheduled_report(user, report)
    _check_recipients(user, data, report)
    values = dict(data)
    if "recipient_users" in values:
        values["recipient_users"] = [str(pk) for pk in values["recipient_users"]]
    if any(name in values and values[name] != getattr(report, name) for name in SCHEDULE_FIELDS):
        values["schedule_from"] = timezone.now()
    if "run_as" in values:
        require_scheduled_report(user, ScheduledReport(pk=report.pk, run_as=values["run_as"]))
    return record_update(report, user=user, data=values, fields=(*REPORT_FIELDS, "schedule_from"))


@transaction.atomic
def scheduled_report_delete(*, user, report: ScheduledReport) -> None:
    """Delete a scheduled report and its log."""
    require_scheduled_report(user, report)
    record_delete(report, user=user)


def report_recipients(report: ScheduledReport) -> list[str]:
    """The addresses a report goes to: its people (active, with an address), the holders of its roles among
    the team of whoever set it up (everyone for an administrator), and its other addresses; each once."""
    users = list(get_user_model().objects.filter(pk__in=report.recipient_users or [], is_active=True)
                 .exclude(email="").order_by("username"))
    if report.recipient_roles:
        reach = team_members(report.owner or report.run_as).exclude(email="").order_by("username")
        users += [u for u in reach.select_related("custom_role") if holds_role(u, report.recipient_roles)]
    seen: set[str] = set()
    result = []
    for address in [u.email for u in users] + report.addresses():
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def _language(report: ScheduledReport) -> str:
    return report.language or report.run_as.language or settings.LANGUAGE_CODE


def _message(digest: Digest, recipients: list[str]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=digest_subject(digest), body=digest_text(digest), to=recipients)
    message.attach_alternative(digest_html(digest), "text/html")
    message.attach(digest_filename(digest), digest_xlsx(digest), XLSX_TYPE)
    return message


def _deliver(report: ScheduledReport, send: ScheduledReportSend, *, at: dt.datetime,
             now: dt.datetime) -> ScheduledReportSend:
    """Make the report for the period of `at` and send it; write the outcome into `send`."""
    start, end = report_period(report, at)
    send.period_start, send.period_end = start, end
    try:
        if not report.run_as.is_active:
            raise _NotSent("the person the report is computed as is no longer active")
        recipients = report_recipients(report)
        if not recipients:
            raise _NotSent("nobody to send it to (no active person, role holder or address with an e-mail)")
        send.recipients = ", ".join(recipients)
        with translation.override(_language(report)):
            digest = digest_make(report=report, at=at, now=now)
            if report.only_if_data and not digest.has_data:
                send.status = SendStatus.SKIPPED
            else:
                _message(digest, recipients).send(fail_silently=False)
                send.status = SendStatus.SENT
    except _NotSent as exc:
        send.status, send.error = SendStatus.FAILED, str(exc)
    except (OSError, smtplib.SMTPException) as exc:
        send.status, send.error = SendStatus.FAILED, mail_failure_line(exc)
        log.warning("scheduled report %s not sent: %s", report.pk, send.error)
    send.finished_at = timezone.now()
    ScheduledReportSend.objects.filter(pk=send.pk).update(
        status=send.status, error=send.error, recipients=send.recipients, period_start=start, period_end=end,
        finished_at=send.finished_at)
    return send


def due_slot(report: ScheduledReport, now: dt.datetime) -> dt.datetime | None:
    """The due time of `report` at `now` that may still need sending, or None."""
    slot = cron_previous(report.cron_expression(), at=now)
    if slot is None or slot <= report.schedule_from:
        return None
    return slot


def _claim(report: ScheduledReport, slot: dt.datetime) -> ScheduledReportSend | None:
    """Write the sending's row for `slot`, or None when another worker has (or is doing it now)."""
    try:
        with transaction.atomic():
            locked = (ScheduledReport.objects.select_for_update(skip_locked=True)
                      .filter(pk=report.pk, is_active=True).first())
            if locked is None or ScheduledReportSend.objects.filter(report=report, slot=slot).exists():
                return None
            return ScheduledReportSend.objects.create(report=report, slot=slot)
    except IntegrityError:
        return None


def scheduled_reports_dispatch(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send every active report that is due at `now`, each due time once. Returns counts by outcome."""
    now = now or timezone.now()
    counts: Counter = Counter()
    for report in ScheduledReport.objects.filter(is_active=True).select_related("run_as", "owner"):
        try:
            slot = due_slot(report, now)
        except ValueError as exc:   # a schedule that no longer reads (it is checked when saved)
            log.warning("scheduled report %s has an unreadable schedule: %s", report.pk, exc)
            continue
        if slot is None:
            continue
        send = _claim(report, slot)
        if send is None:
            counts["taken"] += 1
            continue
        counts[_deliver(report, send, at=slot, now=now).status] += 1
    return dict(counts)


def scheduled_report_send_now(*, user, report: ScheduledReport, now: dt.datetime | None = None
                              ) -> ScheduledReportSend:
    """Send the report now, by hand, for the period as of now (the log says who sent it)."""
    require_scheduled_report(user, report)
    now = now or timezone.now()
    send = ScheduledReportSend.objects.create(report=report, slot=None, by_hand=user)
    return _deliver(report, send, at=now, now=now)


def scheduled_report_preview(*, user, report: ScheduledReport, now: dt.datetime | None = None) -> Digest:
    """The report as it would be sent now, in the reader's language, without sending it."""
    require_scheduled_report(user, report)
    now = now or timezone.now()
    return digest_make(report=report, at=now, now=now)
