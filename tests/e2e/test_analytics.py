"""The analytics pages in a real browser (issue #21): a head opens the ABC/XYZ matrix of her clients from the KPI
report, clicks a cell to the list of its clients, looks at the forecast and the cohorts with their charts, then the
matrix in Russian. A manager of another department sees only her own clients' money. Every chart is drawn by
Chart.js (a canvas of some size, marked drawn by web/charts.js) without a script error.

Screenshots: tests/e2e/screenshots/210-abc-matrix.png, 211-abc-cell.png, 212-forecast.png,
213-abc-matrix-ru.png, 214-kpi-report.png, 215-cohorts.png.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.reports.analytics.abc import window
from raccordo.reports.models import SalesPlan
from raccordo.sales.models import Deal, Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentAllocation
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, ProductFactory, UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D = Decimal
NAMES = ["Vostok Trade", "Ural Pipes", "Severstal Service", "Volga Heat", "Baltic Valves", "Kama Steel",
         "Don Boilers", "Altai Pumps", "Neva Fittings", "Oka Metal", "Amur Energy", "Sibir Thermo", "Yenisei Flow",
         "Kuban Agro", "Irtysh Build", "Lena Mining", "Taiga Wood", "Onega Fish"]


@pytest.fixture
def company(transactional_db):
    ref = reference_data()
    russia, italy = Department.objects.create(name="Sales Russia"), Department.objects.create(name="Sales Italy")
    elena = UserFactory(username="elena", first_name="Elena", last_name="Morozova", role="head", department=russia)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=russia)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=italy)
    products = [ProductFactory(name=n) for n in ("Boiler KV-200", "Pump NK-12", "Valve DN50", "Burner GB-3")]
    rng = random.Random(21)
    starts = window(timezone.localdate())
    for i, name in enumerate(NAMES):
        cp = CounterpartyFactory(name=name, responsible=anna if i % 3 else marco)
        base = rng.choice([20000, 60000, 150000, 400000]) if i > 4 else 900000
        for month in starts[:-1]:
            if i % 4 == 3 and rng.random() < 0.6:
                continue
            amount = D(base + (0 if i % 4 == 0 else rng.randint(-base // 4, base // 4)))
            day = month + dt.timedelta(days=rng.randint(0, 27))
            pay = Payment.objects.create(counterparty=cp, date=day, amount=amount, currency="RUB")
            inv = Invoice.objects.create(own_company=ref["own_company"], counterparty=cp, date=day, currency="RUB",
                                         status=InvoiceStatus.PAID, subtotal=amount, total=amount, paid_amount=amount,
                                         responsible=cp.responsible)
            InvoiceLine.objects.create(invoice=inv, product=rng.choice(products), description="goods", quantity=1,
                                       price=amount, amount=amount)
            PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=amount)
        for k in range(2):
            stage = ref["stages"][rng.choice(["New", "Proposal", "Negotiation", "Won", "Lost"])]
            closed = timezone.now() - dt.timedelta(days=rng.randint(5, 330)) if stage.kind != "open" else None
            deal = Deal.objects.create(title=f"Order {k + 1} of {name}", counterparty=cp, manager=cp.responsible,
                                       funnel=ref["funnel"], stage=stage, amount=D(rng.randint(5, 90) * 10000),
                                       currency="RUB", closed_at=closed, expected_close=timezone.localdate())
            opened = (closed or timezone.now()) - dt.timedelta(days=rng.randint(10, 70))
            Deal.objects.filter(pk=deal.pk).update(created_at=opened)
    SalesPlan.objects.create(manager=anna, period_start=starts[-1], amount=D("3000000"), currency="RUB")
    return {"elena": elena, "anna": anna, "marco": marco}


def drawn(page, chart_id: str) -> None:
    """Wait until web/charts.js has drawn the chart, and check that it takes room on the page."""
    canvas = page.locator(f'canvas[data-chart="{chart_id}"][data-chart-drawn]')
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100, box


def test_abc_xyz_matrix_cell_and_forecast(page, company, shot):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, "elena", "pass-12345")
    base = page.base_url
    page.goto(f"{base}/reports/kpi/")
    drawn(page, "chart-money")
    drawn(page, "chart-deals")
    shot(page, "214-kpi-report", full_page=True)
    page.get_by_test_id("kpi-analytics").click()
    matrix = page.get_by_test_id("abc-matrix")
    expect(matrix).to_be_visible()
    expect(page.get_by_test_id("abc-total")).to_contain_text("12")   # Anna's twelve clients, not Marco's six
    drawn(page, "chart-abc")
    shot(page, "210-abc-matrix", full_page=True)

    page.get_by_test_id("abc-cell-AX").locator("a").click()
    expect(page.get_by_test_id("abc-items")).to_contain_text("Baltic Valves")
    expect(page.get_by_test_id("abc-items")).not_to_contain_text("Vostok Trade")   # Marco's
    shot(page, "211-abc-cell", full_page=True)

    page.goto(f"{base}/reports/analytics/cohorts/")
    drawn(page, "chart-cohorts")
    shot(page, "215-cohorts", full_page=True)

    page.goto(f"{base}/reports/analytics/forecast/")
    expect(page.get_by_test_id("forecast-plans")).to_contain_text("Anna Ivanova")
    drawn(page, "chart-history")
    shot(page, "212-forecast", full_page=True)

    page.select_option("#language-switch", "ru")
    expect(page.get_by_role("heading", name="Прогноз продаж")).to_be_visible()
    page.goto(f"{base}/reports/analytics/abc/clients/")
    expect(page.get_by_role("heading", name="ABC/XYZ клиентов")).to_be_visible()
    drawn(page, "chart-abc")
    shot(page, "213-abc-matrix-ru", full_page=True)
    assert errors == []
