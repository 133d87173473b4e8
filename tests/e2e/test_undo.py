"""Mistakes undone in a real browser (#17), in English and in Russian: issuing asks first, a payment over the
amount due asks before it becomes an overpayment, a paid invoice cannot be cancelled until its payment is
reversed, the accountant reverses it with a reason, and the invoice is cancelled with a reason.

Screenshots: 55-issue-confirm, 56-overpayment-question, 57-reverse-payment, 58-cancel-invoice,
59-cancel-invoice-ru.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from raccordo.core.models import ChangeJournal
from raccordo.sales.models import Invoice, InvoiceStatus, Payment
from raccordo.sales.services import LineInput, invoice_create, invoice_issue, invoice_payment_record
from tests.e2e.conftest import login
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-12345"


@pytest.fixture
def world(transactional_db):
    ref = reference_data()
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager")
    olga = UserFactory(username="olga", first_name="Olga", last_name="Smirnova", role="accountant")
    client = CounterpartyFactory(responsible=anna, name="ТестСтрой")
    today = timezone.localdate()

    def invoice(price: str) -> Invoice:
        return invoice_create(user=anna, data={
            "own_company": ref["own_company"], "counterparty": client, "date": today,
            "due_date": today + dt.timedelta(days=5)},
            lines=[LineInput(description="Отопление офиса", quantity=Decimal("1"), price=Decimal(price))])

    # A second invoice, already paid, for the walk in Russian.
    paid = invoice_issue(user=anna, invoice=invoice("48000.00"))
    invoice_payment_record(user=anna, invoice=paid, amount=Decimal("48000.00"), date=today, number="PP-205")
    return {"anna": anna, "olga": olga, "draft": invoice("15680.00"), "paid": Invoice.objects.get(pk=paid.pk)}


def _modal(page):
    """Wait for the confirmation htmx brought into the dialog, shown (after Bootstrap's fade)."""
    page.wait_for_selector("#rc-modal.show [data-testid=confirm-dialog]")
    page.wait_for_timeout(350)
    return page.locator("#rc-modal")


def _new_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.set_default_timeout(15_000)
    other = context.new_page()
    other.base_url = live_server.url
    violations: list[str] = []
    other.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    return other, violations


def test_cancel_with_reason_and_reverse_payment_in_english_and_russian(page, browser, live_server, world, shot):
    draft, paid = world["draft"], world["paid"]
    login(page, "anna", PASSWORD)

    # Issuing asks first: the client and the total, and what issuing means.
    page.goto(f"{page.base_url}/invoices/{draft.pk}/")
    assert "not issued yet" in page.inner_text("[data-testid=invoice-outstanding]")
    page.click("[data-testid=invoice-issue]")
    modal = _modal(page)
    assert "ТестСтрой" in modal.inner_text() and "15,680.00" in modal.inner_text()
    shot(page, "55-issue-confirm")
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
    with page.expect_navigation():
        modal.locator("[data-testid=confirm-submit]").click()
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.ISSUED

    # 999,999 typed against 15,680: asked before it becomes an overpayment; the amount is corrected.
    page.fill("#id_amount", "999999")
    page.click("[data-testid=record-payment]")
    page.wait_for_selector("[data-testid=overpayment-question]")
    assert "984,319.00" in page.inner_text("[data-testid=overpayment-question]")
    page.locator("#payment").scroll_into_view_if_needed()
    shot(page, "56-overpayment-question")
    assert not Payment.objects.filter(counterparty=draft.counterparty, amount=Decimal("999999")).exists()
    page.fill("#id_amount", "15680")
    page.fill("#id_number", "PP-117")
    with page.expect_navigation():
        page.click("[data-testid=record-payment]")
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.PAID

    # The paid invoice cannot be cancelled: the question says to reverse the payment first. A manager
    # has no "Reverse" on the payment: accounting reverses money received.
    page.click("[data-testid=invoice-cancel]")
    modal = _modal(page)
    assert "Reverse the payments first" in modal.inner_text()
    assert modal.locator("[data-testid=confirm-submit]").count() == 0
    assert page.locator("[data-testid=payment-reverse]").count() == 0

    # The accountant reverses the payment, with the reason.
    olga, olga_violations = _new_page(browser, live_server)
    login(olga, "olga", PASSWORD)
    olga.goto(f"{olga.base_url}/invoices/{draft.pk}/")
    olga.click("[data-testid=payment-reverse]")
    modal = _modal(olga)
    assert "is owed RUB\u00a015,680.00 again" in modal.inner_text()
    modal.locator("#confirm-reason").fill("Wrong payer: the money came from Vostok Trade")
    shot(olga, "57-reverse-payment")
    with olga.expect_navigation():
        modal.locator("[data-testid=confirm-submit]").click()
    assert "Payment reversed." in olga.inner_text("body")
    payment = Payment.objects.get(number="PP-117")
    assert payment.reversed_at and payment.reversal_reason.startswith("Wrong payer")
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.ISSUED

    # The manager now cancels it, with the reason; an empty reason is refused.
    page.goto(f"{page.base_url}/invoices/{draft.pk}/")
    page.click("[data-testid=invoice-cancel]")
    modal = _modal(page)
    modal.locator("#confirm-reason").fill("Client ordered twice; see invoice of the same day")
    shot(page, "58-cancel-invoice")
    with page.expect_navigation():
        modal.locator("[data-testid=confirm-submit]").click()
    assert "Client ordered twice" in page.inner_text("[data-testid=cancel-reason]")
    invoice = Invoice.objects.get(pk=draft.pk)
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.cancel_reason.startswith("Client ordered twice")
    assert ChangeJournal.objects.filter(object_id=invoice.pk, changes__has_key="cancel_reason").exists()

    # In Russian: the accountant reverses the other invoice's payment, and cancels the invoice.
    with olga.expect_navigation():
        olga.select_option("#language-switch", "ru")
    olga.goto(f"{olga.base_url}/invoices/{paid.pk}/")
    olga.click("[data-testid=payment-reverse]")
    modal = _modal(olga)
    assert "Сторнировать оплату?" in modal.inner_text() and "снова к оплате" in modal.inner_text()
    modal.locator("#confirm-reason").fill("Платёж задвоен банком")
    with olga.expect_navigation():
        modal.locator("[data-testid=confirm-submit]").click()
    assert "Оплата сторнирована." in olga.inner_text("body")
    olga.click("[data-testid=invoice-cancel]")
    modal = _modal(olga)
    assert "Отменить счёт?" in modal.inner_text() and "Почему счёт отменяется?" in modal.inner_text()
    modal.locator("#confirm-reason").fill("Клиент отказался от заказа")
    shot(olga, "59-cancel-invoice-ru")
    with olga.expect_navigation():
        modal.locator("[data-testid=confirm-submit]").click()
    assert "Отменён" in olga.inner_text(".rc-page-head")
    assert "Клиент отказался от заказа" in olga.inner_text("[data-testid=cancel-reason]")
    assert Invoice.objects.get(pk=paid.pk).status == InvoiceStatus.CANCELLED
    olga.context.close()
    assert olga_violations == [], olga_violations
