"""Undoing in the browser's pages (#17): each destructive action asks first, saying what follows, and acts only
on the POST; htmx gets the question as a modal, a plain request as a page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from raccordo.parties.models import ContactPerson, Counterparty
from raccordo.parties.services import contact_create, counterparty_create
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment
from raccordo.sales.services import LineInput, invoice_create, invoice_payment_record, payment_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def accountant_client(client, db):
    client.force_login(UserFactory(username="acc", role="accountant"))
    return client


def _text(response) -> str:
    return response.content.decode()


def test_issuing_asks_first_with_the_client_and_the_total(manager_client, world, manager):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    draft = invoice_create(user=manager, data={"own_company": ref["own_company"], "counterparty": cp},
                           lines=[LineInput(description="Pipes", quantity=Decimal("3"), price=Decimal("1250"))])
    card = _text(manager_client.get(reverse("web:invoice_detail", args=[draft.pk])))
    assert 'data-testid="invoice-issue"' in card and "not issued yet" in card   # no "Outstanding 0.00"
    response = manager_client.get(reverse("web:invoice_issue", args=[draft.pk]), **HTMX)
    page = _text(response)
    assert 'class="modal-content"' in page and "Romashka" in page and "3,750.00" in page
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.DRAFT
    manager_client.post(reverse("web:invoice_issue", args=[draft.pk]))
    assert Invoice.objects.get(pk=draft.pk).status == InvoiceStatus.ISSUED


def test_cancel_asks_for_a_reason_and_keeps_it(manager_client, world):
    invoice = world["mine"]["invoice"]
    url = reverse("web:invoice_cancel", args=[invoice.pk])
    page = _text(manager_client.get(url))
    assert "Why is it cancelled?" in page and 'name="reason"' in page and "<html" in page
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED
    refused = manager_client.post(url, {"reason": " "})
    assert refused.status_code == 200 and "Say why the invoice is cancelled." in _text(refused)
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.ISSUED
    response = manager_client.post(url, {"reason": "Ordered twice"}, follow=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.cancel_reason == "Ordered twice"
    assert 'data-testid="cancel-reason">Ordered twice' in _text(response)


def test_cancel_of_a_paid_invoice_says_to_reverse_the_payment_first(manager_client, world, manager):
    invoice = world["mine"]["invoice"]
    invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("100"), date=dt.date(2026, 11, 2))
    page = _text(manager_client.get(reverse("web:invoice_cancel", args=[invoice.pk]), **HTMX))
    assert "Reverse the payments first" in page and 'data-testid="confirm-submit"' not in page


def test_a_draft_is_deleted_after_the_question(manager_client, world, manager):
    ref, cp = world["ref"], world["mine"]["counterparty"]
    draft = invoice_create(user=manager, data={"own_company": ref["own_company"], "counterparty": cp},
                           lines=[LineInput(description="Pipes", quantity=Decimal("1"), price=Decimal("1"))])
    url = reverse("web:invoice_delete", args=[draft.pk])
    assert "1 line" in _text(manager_client.get(url))
    assert Invoice.objects.filter(pk=draft.pk).exists()
    assert manager_client.post(url).status_code == 302
    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_an_overpayment_is_asked_before_it_is_recorded(manager_client, world):
    invoice = world["mine"]["invoice"]
    url = reverse("web:invoice_payment", args=[invoice.pk])
    asked = manager_client.post(url, {"amount": "999999", "date": "2026-11-25"})
    page = _text(asked)
    assert asked.status_code == 200 and 'data-testid="overpayment-question"' in page
    assert 'name="overpayment" value="1"' in page and 'value="999999' in page
    assert not Payment.objects.exists()
    assert manager_client.post(url, {"amount": "999999", "date": "2026-11-25", "overpayment": "1"}).status_code == 302
    assert Payment.objects.get().amount == Decimal("999999")


def test_the_accountant_reverses_a_payment_after_the_question(accountant_client, world, manager):
    invoice = world["mine"]["invoice"]
    payment = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000"), date=dt.date(2026, 11, 2))
    card = _text(accountant_client.get(reverse("web:invoice_detail", args=[invoice.pk])))
    assert 'data-testid="payment-reverse"' in card
    url = reverse("web:payment_reverse", args=[payment.pk])
    page = _text(accountant_client.get(url, **HTMX))
    assert f"Invoice {invoice.number} is owed RUB\u00a01,000.00 again." in page
    assert Payment.objects.get(pk=payment.pk).reversed_at is None
    accountant_client.post(url, {"reason": "Bank returned it"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and Payment.objects.get(pk=payment.pk).reversed_at


def test_a_manager_sees_no_reverse_button_and_gets_403(manager_client, world, manager):
    invoice = world["mine"]["invoice"]
    payment = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000"), date=dt.date(2026, 11, 2))
    assert 'data-testid="payment-reverse"' not in _text(manager_client.get(reverse("web:invoice_detail",
                                                                                   args=[invoice.pk])))
    assert manager_client.post(reverse("web:payment_reverse", args=[payment.pk]), {"reason": "x"}).status_code == 403
    assert Payment.objects.get(pk=payment.pk).reversed_at is None


def test_a_counterparty_with_invoices_is_archived_and_the_question_says_so(manager_client, world):
    cp = world["mine"]["counterparty"]
    url = reverse("web:counterparty_delete", args=[cp.pk])
    page = _text(manager_client.get(url))
    assert "Archive the counterparty?" in page and "1 invoice" in page and "archived instead of deleted" in page
    manager_client.post(url)
    assert Counterparty.objects.get(pk=cp.pk).is_active is False


def test_a_counterparty_without_documents_is_deleted_and_the_question_counts_what_goes(manager_client, manager):
    cp = counterparty_create(user=manager, data={"name": "Typo Ltd"}, phones=["+74951112233"])
    contact_create(user=manager, counterparty=cp, data={"first_name": "Ivan"})
    url = reverse("web:counterparty_delete", args=[cp.pk])
    page = _text(manager_client.get(url))
    assert "Delete the counterparty?" in page and "1 contact person" in page and "1 phone number" in page
    manager_client.post(url)
    assert not Counterparty.objects.filter(name="Typo Ltd").exists()


def test_a_contact_and_a_deal_are_deleted_after_the_question(manager_client, world):
    contact, deal = world["mine"]["contact"], world["mine"]["deal"]
    assert "Delete the contact person?" in _text(manager_client.get(reverse("web:contact_delete", args=[contact.pk])))
    assert ContactPerson.objects.filter(pk=contact.pk).exists()
    manager_client.post(reverse("web:contact_delete", args=[contact.pk]))
    assert not ContactPerson.objects.filter(pk=contact.pk).exists()
    assert "Delete the deal?" in _text(manager_client.get(reverse("web:deal_delete", args=[deal.pk])))
    manager_client.post(reverse("web:deal_delete", args=[deal.pk]))
    assert not Deal.objects.filter(pk=deal.pk).exists()


def test_another_managers_records_are_404(manager_client, world):
    theirs = world["theirs"]
    for name, record in (("web:invoice_cancel", "invoice"), ("web:counterparty_delete", "counterparty"),
                         ("web:contact_delete", "contact"), ("web:deal_delete", "deal")):
        assert manager_client.post(reverse(name, args=[theirs[record].pk]), {"reason": "x"}).status_code == 404
    assert Invoice.objects.get(pk=theirs["invoice"].pk).status == InvoiceStatus.ISSUED


def test_an_advance_no_invoice_took_is_reversed_from_the_clients_payments(accountant_client, world, manager):
    cp = world["mine"]["counterparty"]
    advance = payment_record(user=manager, data={"counterparty": cp, "amount": Decimal("5000"),
                                                 "date": dt.date(2026, 11, 2), "currency": "EUR"})
    page = _text(accountant_client.get(reverse("web:counterparty_payment", args=[cp.pk])))
    assert "Payments received" in page and reverse("web:payment_reverse", args=[advance.pk]) in page
    accountant_client.post(reverse("web:payment_reverse", args=[advance.pk]), {"reason": "sent to us by mistake"})
    assert Payment.objects.get(pk=advance.pk).reversed_at is not None
    page = _text(accountant_client.get(reverse("web:counterparty_payment", args=[cp.pk])))
    assert "<s>" in page and reverse("web:payment_reverse", args=[advance.pk]) not in page
