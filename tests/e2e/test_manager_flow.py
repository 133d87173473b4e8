"""A manager's first hour, in a real browser: log in, add a client with an INN (a bad one first),
add a contact, open a deal, write and issue an invoice, and read it all in Italian and Russian.

Screenshots land in tests/e2e/screenshots/ and the README shows them.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from raccordo.parties.models import ContactPerson, Counterparty
from raccordo.sales.models import Deal, Invoice, InvoiceStatus
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, product_with_stock, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    ref = reference_data()
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager")
    product_with_stock(ref, name="Pompa centrifuga PC-40", price="1250.00", quantity="14")
    CounterpartyFactory(responsible=marco, name="Marco's secret client")
    for name in ("Vostok Trade", "Severstal Supply", "Officina Bianchi"):
        CounterpartyFactory(responsible=anna, name=name)
    return {"anna": anna, "marco": marco, **ref}


def _switch_language(page, code: str) -> None:
    page.select_option("#language-switch", code)
    page.wait_for_load_state("networkidle")


def test_manager_creates_client_contact_deal_invoice_and_switches_language(page, world, shot):
    login(page, "anna", "pass-12345")
    assert page.url.rstrip("/") == page.base_url.rstrip("/")
    shot(page, "01-dashboard")

    # A client with a bad INN checksum: the error stands next to the field and nothing is saved.
    page.goto(f"{page.base_url}/counterparties/new/")
    page.fill("#id_name", "Romashka")
    page.fill("#id_full_name", "LLC Romashka")
    page.fill("#id_inn", "7707083894")
    page.fill("#id_phone", "+7 495 123-45-67")
    page.fill("#id_email", "sales@romashka.ru")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_selector("#id_inn_error")
    assert "INN" in page.inner_text("#id_inn_error")
    assert page.get_attribute("#id_inn", "aria-invalid") == "true"
    shot(page, "02-counterparty-form-error")
    assert not Counterparty.objects.filter(name="Romashka").exists()

    # Corrected, it is created and the card opens.
    page.fill("#id_inn", "7707083893")
    page.fill("#id_kpp", "773601001")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/counterparties/[0-9a-f-]{36}/$"))
    client = Counterparty.objects.get(name="Romashka")
    assert client.responsible == world["anna"] and client.inn == "7707083893"
    assert client.phones.get().number == "+74951234567"

    # A contact person, from the card.
    page.goto(f"{page.base_url}/counterparties/{client.pk}/?tab=contacts")
    form = page.locator("form[action$='/contacts/add/']")
    form.locator("[name=last_name]").fill("Petrova")
    form.locator("[name=first_name]").fill("Olga")
    form.locator("[name=position]").fill("Chief buyer")
    form.locator("[name=phone]").fill("+7 916 555-44-33")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert ContactPerson.objects.filter(counterparty=client, last_name="Petrova").exists()
    assert "Petrova" in page.content()

    # A deal for the client.
    page.goto(f"{page.base_url}/deals/new/?counterparty={client.pk}")
    page.fill("#id_title", "Pumps for the Tula plant")
    page.fill("#id_amount", "150000")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/deals/[0-9a-f-]{36}/$"))
    deal = Deal.objects.get(title="Pumps for the Tula plant")
    assert deal.counterparty == client and deal.manager == world["anna"]
    shot(page, "04-deal")

    # An invoice with one line; a negative quantity is refused next to the field first.
    page.goto(f"{page.base_url}/invoices/new/?counterparty={client.pk}")
    page.fill("#id_lines-0-description", "Pompa centrifuga PC-40")
    page.fill("#id_lines-0-quantity", "-2")
    page.fill("#id_lines-0-price", "1250.00")
    page.fill("#id_lines-0-vat_rate", "20")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_selector("#id_lines-0-quantity_error")
    assert not Invoice.objects.exists()
    page.fill("#id_lines-0-quantity", "2")
    page.click("form.rc-form button[type=submit]")
    page.wait_for_url(re.compile(r"/invoices/[0-9a-f-]{36}/$"))
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("2500.00") and invoice.vat_amount == Decimal("416.67")
    page.click("[data-testid=invoice-issue]")        # issuing asks first (#17)
    page.wait_for_selector("#rc-modal.show [data-testid=confirm-submit]")
    with page.expect_navigation():
        page.click("#rc-modal [data-testid=confirm-submit]")
    page.wait_for_load_state("networkidle")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number
    assert invoice.number in page.content()
    shot(page, "05-invoice")

    page.goto(f"{page.base_url}/counterparties/{client.pk}/")
    shot(page, "03-counterparty-card")
    page.goto(f"{page.base_url}/counterparties/")
    assert "Romashka" in page.content() and "Marco's secret client" not in page.content()
    shot(page, "06-counterparty-list")

    # The same pages in Italian and in Russian.
    _switch_language(page, "it")
    assert page.get_attribute("html", "lang") == "it"
    shot(page, "07-counterparty-list-it")
    page.goto(f"{page.base_url}/invoices/{invoice.pk}/")
    shot(page, "08-invoice-it")
    _switch_language(page, "ru")
    assert page.get_attribute("html", "lang") == "ru"
    page.goto(f"{page.base_url}/")
    shot(page, "09-dashboard-ru")
    page.goto(f"{page.base_url}/counterparties/{client.pk}/")
    shot(page, "10-counterparty-card-ru")


def test_another_managers_client_is_absent_and_unreachable(page, world):
    login(page, "anna", "pass-12345")
    hidden = Counterparty.objects.get(name="Marco's secret client")
    page.goto(f"{page.base_url}/search/?q=secret")
    assert "Marco's secret client" not in page.content()
    response = page.goto(f"{page.base_url}/counterparties/{hidden.pk}/")
    assert response.status == 404
