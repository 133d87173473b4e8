"""The sales manager's day, in a real browser: a client, a deal with two products (price and stock appear),
the deal dragged along the funnel board, the invoice issued, its PDF downloaded and e-mailed to an SMTP server,
and the payment arriving from accounting (CommerceML) marking it paid and completing its reminder.

Screenshots: 30-board, 31-lines-editor, 32-invoice, 33-invoice-pdf (pdftoppm), 34-receivables.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import time
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.activities.models import Interaction, Reminder
from raccordo.catalog.models import StockLevel, Warehouse
from raccordo.exchange.exporters.orders import orders_acknowledge, orders_export
from raccordo.exchange.services import exchange_import, node_create
from raccordo.parties.models import BankAccount, Counterparty
from raccordo.sales.models import Deal, Invoice, InvoiceStatus
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.e2e.conftest import SCREENSHOTS, login
from tests.factories import CounterpartyFactory, UserFactory, product_with_stock, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db, settings):
    settings.INVOICE_REMINDER_DAYS = [-1, 3]
    settings.STOCK_CHECK = "warn"
    ref = reference_data()
    own = ref["own_company"]
    own.address, own.director, own.chief_accountant = "Moscow, Tverskaya 1", "I. Petrov", "M. Sidorova"
    own.save()
    BankAccount.objects.create(own_company=own, bank_name="PAO Sberbank, Moscow", bic="044525225",
                               account_number="40702810938000012345", correspondent_account="30101810400000000225")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager",
                       email="anna@example.com")
    pump = product_with_stock(ref, name="Pompa centrifuga PC-40", article="PC-40", price="1250.00", quantity="14")
    north = Warehouse.objects.create(name="North warehouse")
    StockLevel.objects.create(product=pump, warehouse=north, quantity=Decimal("6"), reserved=Decimal("2"))
    product_with_stock(ref, name="Valvola a sfera DN50", article="VS-50", price="480.00", quantity="3")
    # Older business, so the receivables page has something in each ageing bucket.
    node = node_create(user=None, code="ut11", kind="onec-http")
    today = timezone.localdate()
    for name, days_late, amount in (("Vostok Trade", -4, "18400"), ("Severstal Supply", 12, "96000"),
                                    ("Officina Bianchi", 47, "23150"), ("Uralmash", 75, "7400"),
                                    ("Severstal Supply", 130, "12000")):
        client = Counterparty.objects.filter(name=name).first() or CounterpartyFactory(responsible=anna, name=name)
        invoice_issue(user=anna, invoice=invoice_create(user=anna, data={
            "own_company": own, "counterparty": client, "date": today - dt.timedelta(days=days_late + 5),
            "due_date": today - dt.timedelta(days=days_late)},
            lines=[LineInput(description="Spare parts", quantity=Decimal("1"), price=Decimal(amount))]))
    orders_export(node=node, out=io.BytesIO())
    orders_acknowledge(node=node)
    return {"anna": anna, "node": node, **ref}


def _wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _choose_product(page, row: int, term: str, name: str) -> None:
    search = page.locator(f"#lines-{row}-product-search")
    search.fill(term)
    page.wait_for_selector(f"#lines-{row}-product-list.show .rc-ac-item")
    page.locator(f"#lines-{row}-product-list .rc-ac-item", has_text=name).click()
    expect(page.locator(f"#id_lines-{row}-price")).not_to_have_value("")


def test_sales_manager_day(page, world, shot, smtp_server, tmp_path):
    login(page, "anna", "pass-12345")

    # A new client.
    page.goto(f"{page.base_url}/counterparties/new/")
    page.fill("#id_name", "Romashka")
    page.fill("#id_full_name", "LLC Romashka")
    page.fill("#id_inn", "7707083893")
    page.fill("#id_kpp", "773601001")
    page.fill("#id_email", "buyer@romashka.ru")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/counterparties/[0-9a-f-]{36}/$"))
    client = Counterparty.objects.get(name="Romashka")

    # A deal for it.
    page.click("a:has-text('New deal')")
    page.fill("#id_title", "Pumps for the Tula plant")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/deals/[0-9a-f-]{36}/$"))
    deal = Deal.objects.get(title="Pumps for the Tula plant")

    # Two products, found by name and by article: the client's price and the stock appear, totals follow.
    page.click("a:has-text('Edit products')")
    page.wait_for_selector(".rc-line-editor[data-ready]")
    _choose_product(page, 0, "pompa", "Pompa centrifuga PC-40")
    assert page.input_value("#id_lines-0-price") == "1250.00"
    assert page.input_value("#id_lines-0-vat_rate") == "20.00"
    page.fill("#id_lines-0-quantity", "2")
    page.fill("#id_lines-0-discount_percent", "5")
    page.click("#add-line")
    _choose_product(page, 1, "VS-5", "Valvola a sfera DN50")
    page.fill("#id_lines-1-quantity", "4")
    expect(page.locator("#line-stock-lines-1 .text-danger")).not_to_have_count(0)
    stock_0 = page.inner_text("#line-stock-lines-0")
    assert "18 available" in stock_0 and "Main warehouse: 14" in stock_0 and "North warehouse: 4" in stock_0
    assert "3 available" in page.inner_text("#line-stock-lines-1")         # 4 wanted: shown short
    # 2 x 1250 - 5 % = 2375.00; 4 x 480 = 1920.00; total 4295.00.
    expect(page.locator("[data-testid=lines-total]")).to_contain_text("4,295.00")
    shot(page, "31-lines-editor")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/deals/[0-9a-f-]{36}/$"))
    deal.refresh_from_db()
    assert deal.amount == Decimal("4295.00") and deal.lines.count() == 2

    # The funnel board: drag the deal from "New" to "Proposal".
    page.goto(f"{page.base_url}/deals/board/")
    card = page.locator(f"[data-deal='{deal.pk}']")
    target = page.locator("[data-testid=stage-column][data-stage-name='Proposal'] .rc-board-cards")
    card.drag_to(target)
    assert _wait_for(lambda: Deal.objects.get(pk=deal.pk).stage.name == "Proposal")
    page.wait_for_selector(f"[data-testid=stage-column][data-stage-name='Proposal'] [data-deal='{deal.pk}']")
    page.wait_for_load_state("networkidle")
    page.mouse.move(0, 0)
    shot(page, "30-board")

    # One click makes the invoice; issuing it numbers it and schedules the payment reminders.
    page.goto(f"{page.base_url}/deals/{deal.pk}/")
    page.click("form[action$='/invoice/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/invoices/[0-9a-f-]{36}/$"))
    invoice = Invoice.objects.get(deal=deal)
    page.click("[data-testid=invoice-issue]")        # issuing asks first (#17)
    page.wait_for_selector("#rc-modal.show [data-testid=confirm-submit]")
    with page.expect_navigation():
        page.click("#rc-modal [data-testid=confirm-submit]")
    page.wait_for_load_state("networkidle")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number and invoice.total == Decimal("4295.00")
    assert "Not enough stock of Valvola a sfera DN50" in page.content()      # STOCK_CHECK=warn
    assert page.locator("[data-testid=reminder][data-done=false]").count() == 2
    page.evaluate("document.querySelectorAll('#toasts .toast').forEach(t => t.remove())")
    shot(page, "32-invoice")

    # The PDF downloads, and a picture of its first page is kept.
    with page.expect_download() as download:
        page.click("[data-testid=invoice-pdf]")
    pdf = tmp_path / "invoice.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "90", "-singlefile", "-f", "1", str(pdf),
                        str(SCREENSHOTS / "33-invoice-pdf")], check=True)

    # Sent by e-mail: the message arrives at the SMTP server with the PDF, and the timeline records it.
    assert page.input_value("#send-to") == "buyer@romashka.ru"
    page.click("#send button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert _wait_for(lambda: len(smtp_server.messages) == 1)
    message = smtp_server.messages[0]
    assert message["To"] == "buyer@romashka.ru" and invoice.number in message["Subject"]
    (attachment,) = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert attachment.get_payload(decode=True).startswith(b"%PDF-")
    assert Interaction.objects.filter(kind="email", counterparty=client).exists()

    # Accounting posts the order and registers the payment; the answer comes back as CommerceML.
    sent = io.BytesIO()
    assert orders_export(node=world["node"], out=sent) == 1
    answer = sent.getvalue().decode("windows-1251").replace(
        "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Статус заказа</Наименование>",
        "<ЗначенияРеквизитов>"
        "<ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>УТ-000777</Значение></ЗначениеРеквизита>"
        "<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>"
        f"<ЗначениеРеквизита><Наименование>Дата оплаты по 1С</Наименование><Значение>{timezone.localdate()}T10:00:00"
        "</Значение></ЗначениеРеквизита><ЗначениеРеквизита><Наименование>Номер оплаты по 1С</Наименование>"
        "<Значение>ПП-315</Значение></ЗначениеРеквизита>"
        "<ЗначениеРеквизита><Наименование>Статус заказа</Наименование>", 1)
    path = tmp_path / "from-1c.xml"
    path.write_bytes(answer.encode("windows-1251"))
    run = exchange_import(paths=[path], node=world["node"])
    assert run.failed == 0

    page.reload()
    page.wait_for_load_state("networkidle")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_amount == invoice.total
    assert "Paid in full." in page.content()
    assert page.locator("[data-testid=reminder][data-done=true]").count() == 2
    assert not Reminder.objects.filter(target_id=invoice.pk, is_done=False).exists()

    # Receivables: the rest of the book, by days past due.
    page.goto(f"{page.base_url}/receivables/")
    assert page.locator("[data-testid=ageing-row]").count() == 4
    assert "Romashka" not in page.inner_text("table.rc-ageing")
    shot(page, "34-receivables", full_page=True)
