"""Scheduled reports: they arrive in a real SMTP server at their time with the XLSX attached, once, computed as
the person whose access applies; "only if data" skips; cron schedules; the clock is injected, nothing sleeps."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from raccordo.core.errors import PermissionDenied
from raccordo.reports.models import ScheduledReport, ScheduledReportSend, SendStatus
from raccordo.reports.services.scheduled import (
    scheduled_report_create,
    scheduled_report_preview,
    scheduled_report_send_now,
    scheduled_report_update,
    scheduled_reports_dispatch,
)

from .schedule_world import MONDAY, at

pytestmark = pytest.mark.django_db
D = Decimal
TUESDAY = MONDAY + dt.timedelta(days=1)
ALL_PARTS = ["funnel", "deals", "overdue_tasks", "missed_calls", "receivables", "plan"]


def _report(world, *, by="root", run_as="root", since=None, **data) -> ScheduledReport:
    values = {"name": "Morning report", "sections": ALL_PARTS, "run_as": world.users[run_as],
              "frequency": "weekdays", "time_of_day": dt.time(8, 0), "period": "yesterday",
              "recipient_addresses": "boss@example.com", "only_if_data": True, **data}
    report = scheduled_report_create(user=world.users[by], data=values)
    # Set up on Monday evening (the service writes "now" of the real clock).
    ScheduledReport.objects.filter(pk=report.pk).update(schedule_from=since or at(MONDAY, 20))
    report.refresh_from_db()
    return report


def _workbook(message):
    parts = [p for p in message.iter_attachments()]
    assert [p.get_filename() for p in parts] == ["morning-report-2026-03-02.xlsx"]
    return load_workbook(io.BytesIO(parts[0].get_content()))


def _rows(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(values_only=True)]


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_the_report_arrives_at_its_time_with_the_xlsx_not_before_and_not_twice(world, smtp_server):
    report = _report(world)
    assert scheduled_reports_dispatch(now=at(TUESDAY, 7, 59, 59)) == {}
    assert smtp_server.messages == []

    assert scheduled_reports_dispatch(now=at(TUESDAY, 8, 0, 20)) == {"sent": 1}
    assert scheduled_reports_dispatch(now=at(TUESDAY, 8, 1)) == {"taken": 1}
    assert scheduled_reports_dispatch(now=at(TUESDAY, 17, 0)) == {"taken": 1}
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "boss@example.com"
    assert message["Subject"] == "Morning report: 03/02/2026 – 03/02/2026"

    book = _workbook(message)
    assert book.sheetnames == ["Report", "Funnel by manager", "New, won and lost deals", "Overdue tasks",
                               "Missed calls", "Receivables from accounting", "Plan vs actual"]
    deals = _rows(book["New, won and lost deals"])
    assert deals[0] == ("Manager", "New", "Won", "Lost", "Won, EUR", "Won, RUB")
    assert deals[1:] == [("Anna Ivanova", 1, 1, 1, None, 1500), ("Marco Rossi", 0, 1, 0, 900, None)]
    funnel = _rows(book["Funnel by manager"])
    assert funnel[1:] == [("Anna Ivanova", "Sales", "New", 1, 700, "RUB"),
                          ("Anna Ivanova", "Sales", "Proposal", 1, 2000, "RUB"),
                          ("Marco Rossi", "Sales", "Negotiation", 1, 5000, "EUR"), (None,) * 6,
                          ("Open deals at the moment the report was made.", *(None,) * 5)]
    tasks = _rows(book["Overdue tasks"])
    assert [(r[0], r[1], r[4]) for r in tasks[1:3]] == [("Anna Ivanova", "Call Alfa back", 4),
                                                        ("Marco Rossi", "Send the Milano offer", 1)]
    assert tasks[1][3] == dt.datetime(2026, 2, 27, 18, 0)
    calls = _rows(book["Missed calls"])
    assert calls[1:3] == [("Anna Ivanova", 1), ("Marco Rossi", 1)]
    assert "Telephony not connected" in calls[-1][0]
    receivables = _rows(book["Receivables from accounting"])
    assert receivables[1:3] == [("Alfa Client", "Anna Ivanova", "RUB", 1000, 400, dt.datetime(2026, 2, 20)),
                                ("Milano Client", "Marco Rossi", "EUR", 250, 0, None)]
    plan = _rows(book["Plan vs actual"])
    assert plan[1:3] == [("Anna Ivanova", "2026-03", "RUB", 10000, 2000, 20, 2, 1),
                         ("Marco Rossi", "2026-03", "EUR", 3000, 900, 30, None, 1)]
    assert _rows(book["Report"])[1:3] == [("From", dt.datetime(2026, 3, 2)), ("To", dt.datetime(2026, 3, 2))]
    html = _html(message)
    assert "Alfa Client" in html and "1,500.00" in html and "Funnel by manager" in html

    send = ScheduledReportSend.objects.get(report=report)
    assert (send.status, send.slot, send.recipients, send.period_start) == (
        SendStatus.SENT, at(TUESDAY, 8), "boss@example.com", MONDAY)

    # The next weekday's time sends again, for its own yesterday.
    assert scheduled_reports_dispatch(now=at(TUESDAY + dt.timedelta(days=1), 8, 0)) == {"sent": 1}
    assert len(smtp_server.messages) == 2
    assert smtp_server.messages[1]["Subject"] == "Morning report: 03/03/2026 – 03/03/2026"


def test_a_report_computed_as_a_manager_shows_only_what_that_manager_may_see(world, smtp_server):
    _report(world, by="hana", run_as="anna", only_if_data=False)
    scheduled_reports_dispatch(now=at(TUESDAY, 8, 0))
    [message] = smtp_server.messages
    book = _workbook(message)
    every_cell = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert "Alfa Client" in every_cell and "Anna Ivanova" in every_cell
    assert "Milano" not in every_cell and "Marco" not in every_cell and "EUR" not in every_cell
    assert _rows(book["New, won and lost deals"])[1:] == [("Anna Ivanova", 1, 1, 1, 1500)]
    assert _rows(book["Plan vs actual"])[1:2] == [("Anna Ivanova", "2026-03", "RUB", 10000, 2000, 20, 2, 1)]
    assert "Milano" not in _html(message)


def test_a_head_report_shows_her_department_only(world, smtp_server):
    _report(world, by="hana", run_as="hana")
    scheduled_reports_dispatch(now=at(TUESDAY, 8, 0))
    book = _workbook(smtp_server.messages[0])
    assert [r[0] for r in _rows(book["Funnel by manager"])[1:3]] == ["Anna Ivanova", "Anna Ivanova"]
    assert "Milano" not in _html(smtp_server.messages[0])


def test_only_if_data_skips_an_empty_report_and_logs_it(world, smtp_server):
    report = _report(world, run_as="dmitry", by="hana")
    assert scheduled_reports_dispatch(now=at(TUESDAY, 8, 0)) == {"skipped": 1}
    assert smtp_server.messages == []
    assert ScheduledReportSend.objects.get(report=report).status == SendStatus.SKIPPED
    # Without the flag the empty report goes out, saying there is nothing.
    scheduled_report_update(user=world.users["hana"], report=report, data={"only_if_data": False})
    send = scheduled_report_send_now(user=world.users["hana"], report=report, now=at(TUESDAY, 9))
    assert send.status == SendStatus.SENT and send.by_hand == world.users["hana"]
    assert "Nothing in this period." in _html(smtp_server.messages[0])


def test_a_cron_schedule_sends_at_its_own_times(world, smtp_server):
    # 07:30 on Mondays and Thursdays, for last week.
    _report(world, frequency="cron", cron="30 7 * * 1,4", period="last_week", since=at(MONDAY - dt.timedelta(days=3)))
    assert scheduled_reports_dispatch(now=at(MONDAY, 7, 29)) == {}
    assert scheduled_reports_dispatch(now=at(MONDAY, 7, 30)) == {"sent": 1}
    assert scheduled_reports_dispatch(now=at(TUESDAY, 7, 30)) == {"taken": 1}
    assert scheduled_reports_dispatch(now=at(MONDAY + dt.timedelta(days=3), 7, 31)) == {"sent": 1}
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == ["Morning report: 02/23/2026 – 03/01/2026", "Morning report: 02/23/2026 – 03/01/2026"]


def test_a_stopped_worker_sends_the_latest_missed_time_once(world, smtp_server):
    _report(world, frequency="daily")
    assert scheduled_reports_dispatch(now=at(MONDAY + dt.timedelta(days=4), 12)) == {"sent": 1}
    assert scheduled_reports_dispatch(now=at(MONDAY + dt.timedelta(days=4), 12, 1)) == {"taken": 1}
    assert len(smtp_server.messages) == 1


def test_a_report_set_up_after_its_time_waits_for_the_next_one(world, smtp_server):
    _report(world, since=at(TUESDAY, 10))
    assert scheduled_reports_dispatch(now=at(TUESDAY, 10, 1)) == {}
    assert scheduled_reports_dispatch(now=at(TUESDAY + dt.timedelta(days=1), 8)) == {"sent": 1}


def test_recipients_by_person_and_role_each_once(world, smtp_server):
    world.users["hana"].email = "hana@example.com"
    world.users["hana"].save()
    _report(world, by="hana", run_as="hana", recipient_users=[world.users["hana"].pk], recipient_roles=["head"],
            recipient_addresses="boss@example.com, HANA@example.com")
    scheduled_reports_dispatch(now=at(TUESDAY, 8))
    assert smtp_server.envelopes[0].rcpt_tos == ["hana@example.com", "boss@example.com"]


def test_a_mail_server_that_refuses_is_logged_as_failed(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9   # nothing listens there
    report = _report(world)
    assert scheduled_reports_dispatch(now=at(TUESDAY, 8)) == {"failed": 1}
    send = ScheduledReportSend.objects.get(report=report)
    assert send.status == SendStatus.FAILED and "127.0.0.1:9" in send.error
    # Not retried for the same time (the log says it failed; "send now" sends it by hand).
    assert scheduled_reports_dispatch(now=at(TUESDAY, 8, 5)) == {"taken": 1}


def test_who_may_set_up_a_report_and_as_whom(world):
    with pytest.raises(PermissionDenied):   # a manager sets up no reports
        _report(world, by="anna", run_as="anna")
    with pytest.raises(PermissionDenied):   # a head only as someone of her team
        _report(world, by="hana", run_as="marco")
    with pytest.raises(ValidationError) as err:   # and sends it to her team or plain addresses only
        _report(world, by="hana", run_as="anna", recipient_users=[world.users["marco"].pk])
    assert "recipient_users" in err.value.message_dict
    report = _report(world, by="hana", run_as="anna")
    with pytest.raises(PermissionDenied):
        scheduled_report_update(user=world.users["hana"], report=report, data={"run_as": world.users["root"]})
    with pytest.raises(PermissionDenied):
        scheduled_report_preview(user=world.users["anna"], report=report)


def test_bad_input_is_refused_field_by_field(world):
    with pytest.raises(ValidationError) as err:
        _report(world, frequency="cron", cron="61 * * * *", sections=[], recipient_addresses="boss@, x@example.com")
    assert set(err.value.message_dict) == {"cron", "sections", "recipient_addresses"}
    with pytest.raises(ValidationError) as err:
        _report(world, recipient_addresses="")
    assert "recipient_users" in err.value.message_dict
    assert ScheduledReport.objects.count() == 0


def test_changing_the_schedule_does_not_send_earlier_times_late(world, smtp_server):
    report = _report(world)
    scheduled_report_update(user=world.users["root"], report=report, data={"time_of_day": dt.time(7, 0)})
    report.refresh_from_db()
    assert report.schedule_from > at(TUESDAY, 8)     # the real clock's now: long after the injected times
    assert scheduled_reports_dispatch(now=at(TUESDAY, 8)) == {}


def test_the_preview_is_the_report_without_sending_it(world, smtp_server):
    report = _report(world, by="hana", run_as="anna")
    digest = scheduled_report_preview(user=world.users["hana"], report=report, now=at(TUESDAY, 9))
    assert [s.code for s in digest.sections] == ALL_PARTS
    assert (digest.start, digest.end, digest.has_data) == (MONDAY, MONDAY, True)
    assert smtp_server.messages == [] and not ScheduledReportSend.objects.exists()
