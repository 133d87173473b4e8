"""Issue #17, printed documents, in a real browser, in Russian and in English: choosing another product on an
invoice line replaces its old description (the deal's title), the stock offered is the invoice company's only, and
the issued invoice's PDF downloads under its own name: Cyrillic (an ASCII stand-in plus the UTF-8 name) in Russian,
a plain ASCII name (no UTF-8 variant needed) in English.

Screenshots (the Russian walk): 85-line-product-replaces-description, 86-line-company-stock, 87-invoice-history-ru,
88-invoice-pdf-download-ru, 89-settings-company-vat-ru.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from raccordo.catalog.models import StockLevel, Warehouse
from raccordo.parties.models import OwnCompany
from raccordo.sales.models import Invoice
from raccordo.sales.services import invoice_from_deal
from tests.e2e.conftest import SCREENSHOTS, login
from tests.factories import CounterpartyFactory, UserFactory, deal_for, product_with_stock, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# What each walk types and reads, in the language of the manager and her company.
WORDS = {
    "ru": {"company": "Раккордо Трейд", "prefix": "РТ-", "warehouse": "Москва, основной", "first": "Анна",
           "last": "Иванова", "product": "Монтаж котла Buderus", "client": "ТестСтрой",
           "deal": "Отопление офиса — ТестСтрой", "search": "котла", "pick": "Монтаж котла",
           "edited": "Монтаж котла в котельной, 1 этаж", "lines": "Позиции:",
           "history": "Монтаж котла в котельной, 1 этаж: 1 × 18 000,00, сумма 18 000,00"},
    "en": {"company": "Raccordo Trade", "prefix": "RT-", "warehouse": "Main warehouse", "first": "Anna",
           "last": "Ivanova", "product": "Buderus boiler installation", "client": "TestBuild",
           "deal": "Office heating — TestBuild", "search": "boiler", "pick": "Buderus boiler",
           "edited": "Boiler installation in the boiler room, floor 1", "lines": "Lines:",
           "history": "Boiler installation in the boiler room, floor 1: 1 × 18,000.00, amount 18,000.00"},
}


@pytest.fixture
def world(request, transactional_db):
    language = getattr(request, "param", "ru")
    words = WORDS[language]
    ref = reference_data()
    own = ref["own_company"]
    own.name, own.invoice_prefix, own.vat_rate = words["company"], words["prefix"], Decimal("20")
    own.save()
    ref["warehouse"].name, ref["warehouse"].own_company = words["warehouse"], own
    ref["warehouse"].save()
    italy = OwnCompany.objects.create(name="Raccordo Italia", country="IT", currency="EUR", vat_rate=Decimal("22"))
    milano = Warehouse.objects.create(name="Milano, Lacchiarella", own_company=italy)
    anna = UserFactory(username="anna", first_name=words["first"], last_name=words["last"], role="manager",
                       language=language)
    UserFactory(username="root", role="admin", is_staff=True, is_superuser=True, language=language)
    boiler = product_with_stock(ref, name=words["product"], article="BOIL-1", price="18000.00", quantity="50")
    StockLevel.objects.create(product=boiler, warehouse=milano, quantity=Decimal("500"))
    client = CounterpartyFactory(responsible=anna, name=words["client"])
    deal = deal_for(client, ref, title=words["deal"], amount=Decimal("150000"))
    invoice = invoice_from_deal(user=anna, deal=deal, own_company=own)
    return {"invoice": invoice, "boiler": boiler, "language": language, "words": words}


def _choose_product(page, words) -> None:
    page.fill("#lines-0-product-search", words["search"])
    page.wait_for_selector("#lines-0-product-list.show .rc-ac-item")
    page.locator("#lines-0-product-list .rc-ac-item", has_text=words["pick"]).click()
    expect(page.locator("#id_lines-0-price")).to_have_value("18000.00")


@pytest.mark.parametrize("world", ["ru", "en"], indirect=True, ids=["ru", "en"])
def test_product_choice_company_stock_and_pdf_name(page, world, shot, tmp_path):
    invoice, words, russian = world["invoice"], world["words"], world["language"] == "ru"
    login(page, "anna", "pass-12345")
    page.goto(f"{page.base_url}/invoices/{invoice.pk}/edit/")
    page.wait_for_selector(".rc-line-editor[data-ready]")
    # The draft made from the deal: its one line says the deal's title, at the company's 20 % VAT.
    assert page.input_value("#id_lines-0-description") == words["deal"]
    assert page.input_value("#id_lines-0-vat_rate") == "20.00"
    _choose_product(page, words)
    expect(page.locator("#id_lines-0-description")).to_have_value(words["product"])
    # Stock of the invoice company only: its own warehouse's 50, not Milan's 500.
    expect(page.locator("#line-stock-lines-0")).to_contain_text("50")
    stock = page.inner_text("#line-stock-lines-0")
    assert "Milano" not in stock and "550" not in stock, stock
    if russian:
        shot(page, "85-line-product-replaces-description")
        # Close up of the line: the new description in full, the stock of the Moscow warehouse only.
        page.locator("#id_lines-0-description").evaluate("el => { el.style.minWidth = '18rem'; }")
        page.locator(".rc-line-editor").screenshot(path=str(SCREENSHOTS / "86-line-company-stock.png"))
    # An edited description is kept when the same product is chosen again.
    page.fill("#id_lines-0-description", words["edited"])
    _choose_product(page, words)
    page.wait_for_timeout(300)
    assert page.input_value("#id_lines-0-description") == words["edited"]
    page.click("form button[type=submit].btn-primary")
    page.wait_for_load_state("networkidle")
    line = Invoice.objects.get(pk=invoice.pk).lines.get()
    assert line.product == world["boiler"] and line.description == words["edited"]

    # Issue, then the PDF: downloaded (not opened in place) under the invoice's own name.
    page.click("[data-testid=invoice-issue]")        # issuing asks first (#17)
    page.wait_for_selector("#rc-modal.show [data-testid=confirm-submit]")
    with page.expect_navigation():
        page.click("#rc-modal [data-testid=confirm-submit]")
    page.wait_for_load_state("networkidle")
    number = Invoice.objects.get(pk=invoice.pk).number
    assert number.startswith(words["prefix"])
    page.locator("#history").scroll_into_view_if_needed()
    history = page.inner_text("#history").replace("\xa0", " ").replace("\u202f", " ")
    assert "['" not in history and words["lines"] in history
    assert words["history"] in history, history
    if russian:
        shot(page, "87-invoice-history-ru", full_page=True)
    _pdf_downloads_under_its_name(page, number, tmp_path, russian)
    if russian:
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "88-invoice-pdf-download-ru")


def _pdf_downloads_under_its_name(page, number: str, tmp_path, russian: bool) -> None:
    with page.expect_download() as download:
        page.click("[data-testid=invoice-pdf]")
    assert download.value.suggested_filename == f"invoice-{number}.pdf"
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    # The header itself: a Cyrillic name travels as an ASCII stand-in plus `filename*=UTF-8''…`; an ASCII
    # name as it is, with no UTF-8 variant.
    header = page.request.get(download.value.url).headers["content-disposition"]
    if russian:
        assert header.startswith('attachment; filename="invoice-RT-') and "filename*=UTF-8''" in header, header
    else:
        assert number.isascii()
        assert header == f'attachment; filename="invoice-{number}.pdf"', header
        return
    page.evaluate("""name => {
        const note = document.createElement('div');
        note.className = 'alert alert-success m-3';
        note.setAttribute('data-testid', 'download-note');
        note.textContent = 'Скачано: ' + name;
        document.querySelector('main').prepend(note);
    }""", download.value.suggested_filename)


def test_own_company_vat_rate_on_the_settings_page(page, world, shot):
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/settings/companies/")
    expect(page.locator("body")).to_contain_text("НДС, %")
    expect(page.locator("body")).to_contain_text("20,00")
    shot(page, "89-settings-company-vat-ru")
