"""The head's report by e-mail, in a real browser (issue #19): a head sets her managers' plans for the month and
sees plan vs actual; she sets up a report computed as one of her managers, previews it, sends it now and finds
the sending in its log; the message arrives in a real SMTP server with the XLSX attached and only that
manager's clients in it. In English, then the preview and the plans in Russian and Italian.

Screenshots: tests/e2e/screenshots/160-sales-plans.png, 161-scheduled-report-form.png,
162-scheduled-report-log.png, 163-scheduled-report-preview-ru.png, 164-sales-plans-it.png.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.activities.models import Task
from raccordo.reports.models import SalesPlan
from raccordo.sales.models import Deal, Payment
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def company(transactional_db):
    ref = reference_data()
    russia = Department.objects.create(name="Sales Russia")
    italy = Department.objects.create(name="Sales Italy")
    elena = UserFactory(username="elena", first_name="Elena", last_name="Morozova", role="head", department=russia,
                        email="elena@example.com")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=russia)
    dmitry = UserFactory(username="dmitry", first_name="Dmitry", last_name="Sokolov", role="manager",
                         department=russia)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=italy)
    now, today = timezone.now(), timezone.localdate()
    for name, person, paid, won in (("Vostok Trade", anna, "420000", "380000"), ("Ural Pipes", dmitry, "95000", None),
                                    ("Officina Bianchi", marco, "12000", "9000")):
        cp = CounterpartyFactory(responsible=person, name=name)
        Payment.objects.create(counterparty=cp, date=today, amount=D(paid), currency="RUB")
        Deal.objects.create(title=f"Boilers for {name}", counterparty=cp, manager=person, funnel=ref["funnel"],
                            stage=ref["stages"]["Proposal"], amount=D("150000"), currency="RUB")
        if won:
            Deal.objects.create(title=f"Pumps for {name}", counterparty=cp, manager=person, funnel=ref["funnel"],
                                stage=ref["stages"]["Won"], amount=D(won), currency="RUB", closed_at=now)
        Task.objects.create(title=f"Call {name} back", assignee=person, counterparty=cp,
                            due_at=now - dt.timedelta(days=2))
    SalesPlan.objects.create(manager=anna, period_kind="month", period_start=today.replace(day=1),
                             amount=D("600000"), currency="RUB", deals=2)
    return {"elena": elena, "anna": anna, "dmitry": dmitry, "marco": marco}


def _switch_language(page, code: str) -> None:
    page.select_option("#language-switch", code)
    page.wait_for_load_state("networkidle")


def test_head_plans_and_schedules_her_report(page, company, shot, smtp_server):
    login(page, "elena", "pass-12345")
    base = page.base_url

    # Plans: her two managers (not herself, not Marco of Italy), Anna's plan with what came in.
    page.goto(f"{base}/reports/kpi/")
    page.get_by_role("link", name="Sales plans").click()
    rows = page.locator("[data-testid=plan-row]")
    expect(rows).to_have_count(2)
    anna = page.locator("[data-testid=plan-row]", has_text="Anna Ivanova")
    expect(anna.locator("[data-testid=plan-actual]")).to_contain_text("420,000.00")
    expect(anna).to_contain_text("70.0")
    dmitry = page.locator("[data-testid=plan-row]", has_text="Dmitry Sokolov")
    dmitry.locator("[data-testid=plan-amount]").fill("250000")
    dmitry.locator("input[name=deals]").fill("3")
    dmitry.locator("[data-testid=plan-save]").click()
    expect(page.locator(".toast, [role=status], .alert").filter(has_text="Plan of Dmitry Sokolov")).to_be_visible()
    dmitry = page.locator("[data-testid=plan-row]", has_text="Dmitry Sokolov")
    expect(dmitry).to_contain_text("38.0")
    assert SalesPlan.objects.get(manager=company["dmitry"]).amount == D("250000")
    shot(page, "160-sales-plans")

    # A report computed as Anna: what Anna may see, every weekday at 8:00, to Elena.
    page.get_by_role("link", name="Scheduled reports").click()
    page.get_by_test_id("scheduled-new").click()
    page.fill("#id_name", "Anna's morning")
    page.select_option("#id_run_as", label="Anna Ivanova")
    page.select_option("#id_period", "this_month")
    for part in ("funnel", "deals", "overdue_tasks", "receivables", "plan"):
        page.check(f"input[name=sections][value={part}]")
    page.select_option("#id_recipient_users", label="Elena Morozova <elena@example.com>")
    page.fill("#id_recipient_addresses", "director@example.com")
    shot(page, "161-scheduled-report-form", full_page=True)
    page.get_by_test_id("scheduled-save").click()
    expect(page.get_by_test_id("scheduled-facts")).to_contain_text("elena@example.com, director@example.com")

    page.get_by_test_id("scheduled-preview").click()
    body = page.get_by_test_id("scheduled-preview-body")
    expect(body).to_contain_text("Vostok Trade")
    expect(body).not_to_contain_text("Ural Pipes")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("scheduled-log-row")).to_have_count(1)
    expect(page.get_by_test_id("scheduled-log")).to_contain_text("Sent")
    shot(page, "162-scheduled-report-log", full_page=True)

    # The message: both recipients, the XLSX with Anna's figures only.
    message = smtp_server.messages[0]
    assert sorted(smtp_server.envelopes[0].rcpt_tos) == ["director@example.com", "elena@example.com"]
    [attachment] = list(message.iter_attachments())
    book = load_workbook(io.BytesIO(attachment.get_content()))
    plan = [r for r in book["Plan vs actual"].iter_rows(values_only=True)]
    assert plan[1][:6] == ("Anna Ivanova", plan[1][1], "RUB", 600000, 420000, 70)
    cells = " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    assert "Vostok Trade" in cells and "Ural Pipes" not in cells and "Officina" not in cells

    # The preview in Russian, the plans in Italian.
    _switch_language(page, "ru")
    page.get_by_role("link", name="Предпросмотр").click()
    expect(page.get_by_test_id("scheduled-preview-body")).to_contain_text("Воронка по менеджерам")
    shot(page, "163-scheduled-report-preview-ru", full_page=True)
    _switch_language(page, "it")
    page.goto(f"{base}/reports/plans/")
    expect(page.locator("[data-testid=plan-table]")).to_contain_text("Piano di fatturato")
    shot(page, "164-sales-plans-it")
