"""Campaigns in a real browser (issue #21): a marketer's plan on a Gantt chart, deals attributed to it, their
invoices paid in 1C (a CommerceML document imported as 1C sends it), and the campaign's ROI on money actually
paid; a manager sees only the part their own clients paid.

The marketer first saves a segment (the wholesale clients), then plans the campaign for it.
Screenshots: tests/e2e/screenshots/200-campaign-gantt.png, 201-campaign-roi.png, 202-campaign-roi-report.png,
203-campaign-roi-manager-ru.png.
"""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from playwright.sync_api import expect

from raccordo.exchange.services import exchange_import, node_create
from raccordo.parties.models import Tag
from raccordo.sales.models import Deal, InvoiceStatus
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, deal_for, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    ref = reference_data()
    root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager")
    invoices = {}
    wholesale = Tag.objects.create(name="Wholesale")
    CounterpartyFactory(responsible=anna, name="Retail shop")
    for who, name, price in ((anna, "Romashka", "30000"), (marco, "Vasilek", "45000")):
        cp = CounterpartyFactory(responsible=who, name=name)
        cp.tags.add(wholesale)
        deal = deal_for(cp, ref, title=f"Pumps for {name}")
        invoices[name] = invoice_issue(user=who, invoice=invoice_create(
            user=who, data={"own_company": ref["own_company"], "counterparty": cp, "deal": deal},
            lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal(price))]))
    return {"root": root, "anna": anna, "invoices": invoices}


def _paid_in_1c(tmp_path, invoice, number: str):
    """1C's document about our order with its payment, as the accounting system sends it (CommerceML)."""
    values = "".join(f"<ЗначениеРеквизита><Наименование>{escape(k)}</Наименование><Значение>{escape(v)}</Значение>"
                     f"</ЗначениеРеквизита>" for k, v in {"Дата оплаты по 1С": "2026-10-05",
                                                          "Номер оплаты по 1С": number}.items())
    xml = (f'<?xml version="1.0" encoding="windows-1251"?>\n<КоммерческаяИнформация ВерсияСхемы="2.08" '
           f'ДатаФормирования="2026-10-05T10:00:00"><Документ><Ид>{invoice.pk}</Ид><Номер>{invoice.number}</Номер>'
           f"<Дата>2026-10-05</Дата><ХозОперация>Заказ товара</ХозОперация><Валюта>RUB</Валюта>"
           f"<Сумма>{invoice.total}</Сумма><ЗначенияРеквизитов>{values}</ЗначенияРеквизитов></Документ>"
           f"</КоммерческаяИнформация>")
    path = tmp_path / f"{number}.xml"
    path.write_bytes(xml.encode("windows-1251"))
    return path


def _segment(page):
    """The wholesale clients, saved as a segment in its editor: 2 of the 3 clients."""
    page.goto(f"{page.base_url}/segments/new/")
    page.fill("input[name=name]", "Wholesale clients")
    expect(page.locator("[data-testid=segment-count]")).to_have_text("3")
    page.select_option("select[name=tags]", label="Wholesale")
    expect(page.locator("[data-testid=segment-count]")).to_have_text("2")
    page.locator("[data-testid=segment-save]").click()
    expect(page.locator("[data-testid=segment-detail-count]")).to_have_text("2")


def _plan_campaign(page):
    page.goto(f"{page.base_url}/campaigns/")
    page.locator("[data-testid=campaign-new]").click()
    form = page.locator("[data-testid=campaign-form]")
    form.locator("[name=name]").fill("Autumn fair 2026")
    form.locator("[name=channel]").select_option("exhibition")
    form.locator("[name=starts_on]").fill("2026-09-01")
    form.locator("[name=ends_on]").fill("2026-10-31")
    form.locator("[name=budget]").fill("60000")
    form.locator("[name=actual_cost]").fill("50000")
    form.locator("[name=segment]").select_option(label="Wholesale clients")
    page.locator("[data-testid=campaign-save]").click()
    expect(page.locator("h1")).to_have_text("Autumn fair 2026")
    expect(page.locator("[data-testid=campaign-segment]")).to_contain_text("Wholesale clients (2 members)")
    for name, kind, start, end, after in (("Invitations", "mailing", "2026-09-01", "2026-09-10", None),
                                          ("Stand at the fair", "exhibition", "2026-09-20", "2026-09-23", "Invitations"),
                                          ("Follow-up calls", "call_wave", "2026-09-24", "2026-10-20",
                                           "Stand at the fair")):
        page.locator("[data-testid=event-new]").click()
        form = page.locator("[data-testid=event-form]")
        form.locator("[name=name]").fill(name)
        form.locator("[name=kind]").select_option(kind)
        form.locator("[name=starts_on]").fill(start)
        form.locator("[name=ends_on]").fill(end)
        if after:
            form.locator("[name=depends_on]").select_option(label=after)
        page.locator("[data-testid=event-save]").click()
        expect(page.locator(f"[data-testid=gantt-bar][data-event='{name}']")).to_be_visible()


def test_a_campaign_planned_on_a_gantt_chart_and_its_roi_on_money_paid_in_1c(page, world, shot, tmp_path):
    login(page, "root", "pass-12345")
    _segment(page)
    _plan_campaign(page)
    expect(page.locator("[data-testid=gantt-bar]")).to_have_count(3)
    expect(page.locator("[data-testid=gantt-link]")).to_have_count(2)
    # An event cannot start before the one it waits for ends: refused with the reason, nothing moved.
    page.locator("tr", has_text="Follow-up calls").locator("input[name=starts_on]").fill("2026-09-21")
    page.locator("tr", has_text="Follow-up calls").get_by_role("button", name="Move").click()
    expect(page.locator(".alert-danger, .alert-error, [role=alert]").first).to_contain_text("Stand at the fair")
    shot(page, "200-campaign-gantt", full_page=True)

    # Both deals came from the fair: attributed on the deal's form.
    for deal in Deal.objects.order_by("title"):
        page.goto(f"{page.base_url}/deals/{deal.pk}/edit/")
        page.locator("[name=source_campaign]").select_option(label="Autumn fair 2026")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("[data-testid=deal-source-campaign]")).to_have_text("Autumn fair 2026")

    # Accounting records the payments; they reach Raccordo from 1C.
    node = node_create(user=None, code="ut11", kind="onec-http")
    paths = [_paid_in_1c(tmp_path, inv, f"ПП-{n}") for n, inv in enumerate(world["invoices"].values(), 1)]
    exchange_import(paths=paths, node=node)
    for inv in world["invoices"].values():
        inv.refresh_from_db()
        assert inv.status == InvoiceStatus.PAID

    page.goto(f"{page.base_url}/campaigns/")
    page.get_by_role("link", name="Autumn fair 2026").click()
    expect(page.locator("[data-testid=campaign-roi-value]")).to_have_text("1.50")   # (30000 + 45000) / 50000
    expect(page.locator('canvas[data-chart="chart-campaign-months"][data-chart-drawn]')).to_be_visible()
    shot(page, "201-campaign-roi", full_page=True)
    page.goto(f"{page.base_url}/campaigns/roi/")
    expect(page.locator("[data-testid=roi-channels]")).to_contain_text("Exhibition")
    expect(page.locator("[data-testid=roi-campaigns]")).to_contain_text("1.50")
    expect(page.locator('canvas[data-chart="chart-roi-months"][data-chart-drawn]')).to_be_visible()
    shot(page, "202-campaign-roi-report", full_page=True)

    # Anna sees her client's part only: 30000 of the 50000 spent.
    page.context.clear_cookies()
    login(page, "anna", "pass-12345")
    page.select_option("#language-switch", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{page.base_url}/campaigns/roi/")
    expect(page.locator("[data-testid=roi-campaigns]")).to_contain_text("0,60")
    expect(page.locator("[data-testid=roi-campaigns]")).not_to_contain_text("1,50")
    expect(page.locator('canvas[data-chart="chart-roi-months"][data-chart-drawn]')).to_be_visible()
    shot(page, "203-campaign-roi-manager-ru", full_page=True)
