"""The pieces under the scheduled reports: periods, the last due time of a cron schedule, two workers racing
for the same due time, who may set whose plan, and the missed-calls hook telephony plugs into."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from raccordo.access.policy import can_plan_for, may_schedule_reports, plan_managers
from raccordo.core.cron import cron_next, cron_previous
from raccordo.reports import missed_calls
from raccordo.reports.models import ScheduledReport, ScheduledReportSend
from raccordo.reports.periods import DynamicPeriod, parse_plan_period, period_bounds, plan_period_end
from raccordo.reports.selectors.digest import digest_make
from raccordo.reports.services.scheduled import _claim, scheduled_report_create, scheduled_reports_dispatch

from .schedule_world import MONDAY, at

D = dt.date


@pytest.mark.parametrize(("period", "expected"), [
    ("today", (D(2026, 3, 4), D(2026, 3, 4))),
    ("yesterday", (D(2026, 3, 3), D(2026, 3, 3))),
    ("this_week", (D(2026, 3, 2), D(2026, 3, 4))),
    ("last_week", (D(2026, 2, 23), D(2026, 3, 1))),
    ("last_7_days", (D(2026, 2, 25), D(2026, 3, 3))),
    ("this_month", (D(2026, 3, 1), D(2026, 3, 4))),
    ("last_month", (D(2026, 2, 1), D(2026, 2, 28))),
    ("this_quarter", (D(2026, 1, 1), D(2026, 3, 4))),
    ("last_quarter", (D(2025, 10, 1), D(2025, 12, 31))),
    ("this_year", (D(2026, 1, 1), D(2026, 3, 4))),
    ("last_year", (D(2025, 1, 1), D(2025, 12, 31))),
])
def test_periods_on_a_wednesday(period, expected):
    assert period_bounds(period, D(2026, 3, 4)) == expected


def test_every_period_is_known_and_last_month_in_january():
    assert {p for p in DynamicPeriod.values} == {p for p in DynamicPeriod.values if period_bounds(p, D(2026, 1, 1))}
    assert period_bounds("last_month", D(2026, 1, 15)) == (D(2025, 12, 1), D(2025, 12, 31))
    with pytest.raises(ValueError):
        period_bounds("fortnight", D(2026, 1, 1))


def test_plan_periods():
    assert parse_plan_period("quarter", "2026 q2") == D(2026, 4, 1)
    assert parse_plan_period("quarter", "2026-Q4") == D(2026, 10, 1)
    assert parse_plan_period("month", "2026-02") == D(2026, 2, 1)
    assert plan_period_end("quarter", D(2026, 10, 1)) == D(2026, 12, 31)
    assert plan_period_end("month", D(2028, 2, 1)) == D(2028, 2, 29)
    for bad in ("2026 Q5", "2026-13", "March", ""):
        with pytest.raises(ValueError):
            parse_plan_period("quarter" if "Q" in bad else "month", bad)


def test_cron_previous_is_the_last_due_minute_and_agrees_with_cron_next():
    now = at(MONDAY, 8, 0, 59)   # Monday 2 March 2026
    assert cron_previous("0 8 * * 1-5", at=now) == at(MONDAY, 8)
    assert cron_previous("0 8 * * 1-5", at=at(MONDAY, 7, 59)) == at(MONDAY - dt.timedelta(days=3), 8)   # Friday
    assert cron_previous("30 7 1 * *", at=now) == at(MONDAY - dt.timedelta(days=1), 7, 30)            # 1 March
    assert cron_previous("0 0 31 2 *", at=now) is None                                              # never
    for expr in ("*/15 9-18 * * 1-5", "0 8 * * 0", "0 12 1 */3 *"):
        start = at(MONDAY, 12)
        nxt = cron_next(expr, after=start, count=2)
        assert cron_previous(expr, at=nxt[1] - dt.timedelta(seconds=1)) == nxt[0]


def test_a_due_time_is_claimed_once(world, smtp_server):
    """What keeps two workers from both sending: the row of a due time is written once per report."""
    report = ScheduledReport.objects.create(name="Race", sections=["deals"], run_as=world.users["root"],
                                            recipient_addresses="boss@example.com", schedule_from=at(MONDAY, 20))
    slot = at(MONDAY + dt.timedelta(days=1), 8)
    assert _claim(report, slot) is not None
    assert _claim(report, slot) is None
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledReportSend.objects.create(report=report, slot=slot)
    # Sends by hand have no due time and are never in the way.
    ScheduledReportSend.objects.create(report=report, slot=None)
    ScheduledReportSend.objects.create(report=report, slot=None)
    # The worker that lost the race finds the time taken and sends nothing.
    assert scheduled_reports_dispatch(now=slot) == {"taken": 1} and smtp_server.messages == []


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="two database connections at once: the test database on SQLite is in memory")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_minute_send_once(world, smtp_server, reference_data):
    report = scheduled_report_create(user=world.users["root"], data={
        "name": "Race", "sections": ["deals"], "run_as": world.users["root"], "frequency": "daily",
        "period": "yesterday", "recipient_addresses": "boss@example.com", "only_if_data": False})
    ScheduledReport.objects.filter(pk=report.pk).update(schedule_from=at(MONDAY, 20))
    results, start = [], threading.Barrier(2)

    def worker():
        try:
            start.wait(timeout=30)
            results.append(scheduled_reports_dispatch(now=at(MONDAY + dt.timedelta(days=1), 8, 0, 5)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    outcomes = sorted(str(key) for result in results for key, n in result.items() for _ in range(n))
    assert outcomes == ["sent", "taken"]
    assert len(smtp_server.messages) == 1
    assert ScheduledReportSend.objects.filter(report=report).count() == 1


def test_who_sets_plans_and_reports(world):
    hana, anna, dmitry, marco, root = (world.users[k] for k in ("hana", "anna", "dmitry", "marco", "root"))
    assert can_plan_for(hana, anna) and can_plan_for(hana, dmitry)
    assert not can_plan_for(hana, hana) and not can_plan_for(hana, marco) and not can_plan_for(anna, anna)
    assert can_plan_for(root, root) and can_plan_for(root, marco)
    assert {u.username for u in plan_managers(hana)} == {"anna", "dmitry"}
    assert plan_managers(anna).count() == 0
    assert may_schedule_reports(hana) and may_schedule_reports(root) and not may_schedule_reports(anna)


def test_missed_calls_come_from_telephony_once_it_registers(world, monkeypatch, settings):
    report = ScheduledReport(name="Calls", sections=["missed_calls"], run_as=world.users["root"],
                             period="yesterday")
    tuesday = at(MONDAY + dt.timedelta(days=1), 8)
    section = digest_make(report=report, at=tuesday).sections[0]
    assert [row[1] for row in section.rows] == [1, 1] and "Telephony not connected" in section.note

    seen = {}

    def telephony_source(*, narrow, start_at, end_at):
        seen["window"] = (start_at, end_at)
        return {world.users["anna"].pk: 7}

    monkeypatch.setattr(missed_calls, "_SOURCE", [])
    missed_calls.register_missed_calls_source(telephony_source)
    monkeypatch.setattr(missed_calls, "telephony_connected", lambda: True)
    section = digest_make(report=report, at=tuesday).sections[0]
    assert section.rows == [["Anna Ivanova", 7]] and section.note == ""
    assert seen["window"] == (at(MONDAY, 0), at(MONDAY + dt.timedelta(days=1), 0))
    assert timezone.is_aware(seen["window"][0])
