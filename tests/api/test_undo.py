"""Undoing through the API (#17): the same services behind cancel (with a reason), reverse, delete of a draft
or a deal, and a payment against an invoice that asks before an overpayment; 400, 403, 404 and 409 as fits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment
from raccordo.sales.services import LineInput, invoice_create, invoice_issue, invoice_payment_record
from tests import factories

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def accountant(db):
    return factories.UserFactory(username="acc", role="accountant")


@pytest.fixture
def draft(manager, reference_data):
    cp = factories.CounterpartyFactory(responsible=manager)
    return invoice_create(user=manager, data={"own_company": reference_data["own_company"], "counterparty": cp,
                                              "date": dt.date(2026, 11, 1)},
                          lines=[LineInput(description="Pipes", quantity=Decimal("1"), price=Decimal("1000"))])


@pytest.fixture
def issued(manager, draft):
    return invoice_issue(user=manager, invoice=draft)


def test_cancel_needs_a_reason_and_keeps_it(manager, issued):
    api = _client(manager)
    url = f"/api/v1/invoices/{issued.pk}/cancel/"
    missing = api.post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["extra"]
    response = api.post(url, {"reason": "Ordered twice"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["cancel_reason"] == "Ordered twice"
    again = api.post(url, {"reason": "again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "sales.invoice.cancelled"


def test_cancel_of_a_paid_invoice_is_409_saying_to_reverse_first(manager, issued):
    invoice_payment_record(user=manager, invoice=issued, amount=Decimal("10"), date=dt.date(2026, 11, 2))
    response = _client(manager).post(f"/api/v1/invoices/{issued.pk}/cancel/", {"reason": "x"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "sales.invoice.has_payments"
    assert "Reverse the payments first" in response.json()["message"]


def test_another_manager_gets_404(other_manager, issued, draft):
    api = _client(other_manager)
    assert api.post(f"/api/v1/invoices/{issued.pk}/cancel/", {"reason": "x"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/invoices/{issued.pk}/").status_code == 404
    assert Invoice.objects.get(pk=issued.pk).status == InvoiceStatus.ISSUED


def test_delete_removes_a_draft_only(manager, reference_data, draft):
    api = _client(manager)
    other = invoice_issue(user=manager, invoice=invoice_create(
        user=manager, data={"own_company": reference_data["own_company"], "counterparty": draft.counterparty},
        lines=[LineInput(description="Pipes", quantity=Decimal("1"), price=Decimal("5"))]))
    assert api.delete(f"/api/v1/invoices/{draft.pk}/").status_code == 204
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    response = api.delete(f"/api/v1/invoices/{other.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "sales.invoice.not_draft"


def test_reverse_is_403_for_a_manager_and_done_by_the_accountant(manager, accountant, issued):
    payment = invoice_payment_record(user=manager, invoice=issued, amount=Decimal("1000"), date=dt.date(2026, 11, 2))
    url = f"/api/v1/payments/{payment.pk}/reverse/"
    assert _client(manager).post(url, {"reason": "mine"}, format="json").status_code == 403
    api = _client(accountant)
    assert api.post(url, {}, format="json").status_code == 400
    response = api.post(url, {"reason": "Bank returned it"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["reversed_at"] and body["reversal_reason"] == "Bank returned it" and body["allocations"] == []
    assert body["unallocated"] == "0.00"
    assert Invoice.objects.get(pk=issued.pk).status == InvoiceStatus.ISSUED
    assert api.post(url, {"reason": "again"}, format="json").status_code == 409


def test_a_payment_above_the_amount_due_is_409_until_flagged(manager, issued):
    api = _client(manager)
    url = f"/api/v1/invoices/{issued.pk}/payment/"
    asked = api.post(url, {"amount": "999999", "date": "2026-11-02"}, format="json")
    assert asked.status_code == 409 and asked.json()["code"] == "sales.payment.overpayment"
    assert asked.json()["extra"]["outstanding"] == "1000.00"
    assert not Payment.objects.exists()
    response = api.post(url, {"amount": "999999", "date": "2026-11-02", "overpayment": True}, format="json")
    assert response.status_code == 201 and response.json()["unallocated"] == "998999.00"


def test_a_deal_is_deleted_unless_it_has_invoices(manager, reference_data, draft):
    api = _client(manager)
    free = factories.deal_for(draft.counterparty, reference_data)
    assert api.delete(f"/api/v1/deals/{free.pk}/").status_code == 204
    busy = factories.deal_for(draft.counterparty, reference_data)
    Invoice.objects.filter(pk=draft.pk).update(deal=busy)
    response = api.delete(f"/api/v1/deals/{busy.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "sales.deal.has_invoices"
    assert Deal.objects.filter(pk=busy.pk).exists()
