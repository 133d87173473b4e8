"""Consistent numbers in a real browser (issue #17), as a manager, in English and in Italian: right after she
records a payment, the dashboard's receivable and the Receivables page show the same figure (the stored report
snapshot is invalidated by the payment, not refreshed minutes later), and the dates on the dashboard, the funnel
board and the Receivables page use one short format per language (Italian dd/mm/yyyy, English mm/dd/yyyy).

Screenshot: 98-dashboard-receivable-it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.reports.models import ReportSnapshot
from raccordo.sales.models import Invoice, InvoiceStatus
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, deal_for, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-12345"
# The short date of each language, written out here rather than asked of Django: the test pins the format.
SHORT_DATE = {"en": "%m/%d/%Y", "it": "%d/%m/%Y"}


@pytest.fixture
def world(request, transactional_db):
    language = request.param
    ref = reference_data()
    anna = UserFactory(username="anna", first_name="Anna", last_name="Rossi", role="manager", language=language)
    client = CounterpartyFactory(responsible=anna, name="Idrotermica Brianza")
    today = timezone.localdate()
    close = today + dt.timedelta(days=12)
    deal_for(client, ref, title="Caldaia uffici", amount=Decimal("90000"), expected_close=close)

    def issued(price: str, date: dt.date, due: dt.date) -> Invoice:
        draft = invoice_create(user=anna, data={"own_company": ref["own_company"], "counterparty": client,
                                                "date": date, "due_date": due},
                               lines=[LineInput(description="Caldaia a condensazione", quantity=Decimal("1"),
                                                price=Decimal(price))])
        return invoice_issue(user=anna, invoice=draft)

    current = issued("100000.00", today, today + dt.timedelta(days=5))
    late = issued("30000.00", today - dt.timedelta(days=40), today - dt.timedelta(days=10))
    return {"language": language, "current": current, "late": late, "today": today, "close": close}


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _dashboard_receivable(page) -> str:
    page.goto(f"{page.base_url}{reverse('web:dashboard')}")
    return page.inner_text("[data-testid=receivable-total]").strip()


def _receivables_owed(page) -> str:
    page.goto(f"{page.base_url}{reverse('web:receivables')}")
    return page.inner_text("[data-testid=receivable-total]").strip()


@pytest.mark.parametrize("world", ["en", "it"], indirect=True, ids=["en", "it"])
def test_the_dashboard_and_receivables_agree_right_after_a_payment(page, world, shot, settings):
    settings.REPORT_CACHE_SECONDS = 300        # the stored snapshot is on, as in production
    language, current = world["language"], world["current"]
    short = SHORT_DATE[language]
    login(page, "anna", PASSWORD)

    # Before: 100,000 + 30,000 owed, and the dashboard's figure is now a stored snapshot.
    before = _dashboard_receivable(page)
    assert _digits(before) == "13000000", before
    assert ReportSnapshot.objects.exists()
    assert _receivables_owed(page) == before

    # She records a 40,000 part payment on the current invoice.
    page.goto(f"{page.base_url}{reverse('web:invoice_detail', args=[current.pk])}")
    page.fill("#id_amount", "40000")
    page.fill("#id_number", "BON-4471")
    with page.expect_navigation():
        page.click("[data-testid=record-payment]")
    assert Invoice.objects.get(pk=current.pk).status == InvoiceStatus.PARTLY_PAID

    # Right away, not five minutes later: both pages say 90,000, in the same words.
    dashboard = _dashboard_receivable(page)
    assert _digits(dashboard) == "9000000", dashboard
    # Dashboard dates: the open deal's expected close, in the language's short format.
    deals = page.inner_text("main")
    assert world["close"].strftime(short) in deals, deals
    if language == "it":
        shot(page, "98-dashboard-receivable-it")
    owed = _receivables_owed(page)
    assert owed == dashboard, (owed, dashboard)
    receivables = page.inner_text("main")
    assert world["today"].strftime(short) in receivables, receivables                  # "as of" today
    assert world["late"].due_date.strftime(short) in receivables, receivables          # the overdue invoice

    # The funnel board's card shows the same date the same way.
    page.goto(f"{page.base_url}{reverse('web:board')}")
    assert world["close"].strftime(short) in page.inner_text("main")
