"""The sales services defend their own rules, whatever a caller sends (not only what the forms offer).

A deal's stage moves only through `deal_move`; an invoice's status, number, totals and paid amount are
the services' own; a field a service does not list is refused by name; the orchestration the views did
(the overpayment split, the API's deal change) is a service of its own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from raccordo.access.records import FieldNotAllowed
from raccordo.core.errors import ApplicationError
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment
from raccordo.sales.services import (
    LineInput,
    contract_create,
    deal_change,
    deal_create,
    deal_update,
    invoice_cancel,
    invoice_create,
    invoice_issue,
    invoice_payment_record,
    invoice_update,
    payment_record,
    payment_unallocated,
)
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def _lines(price: str = "1000.00") -> list[LineInput]:
    return [LineInput(description="Service", quantity=Decimal("1"), price=Decimal(price), vat_rate=Decimal("20"))]


def _draft(user, cp, ref, **data) -> Invoice:
    return invoice_create(user=user, data={"own_company": ref["own_company"], "counterparty": cp,
                                           "date": dt.date(2026, 11, 1), **data}, lines=_lines())


@pytest.fixture
def cp(manager):
    return CounterpartyFactory(responsible=manager)


# --- Deals --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stage_key", ["stage", "stage_id"])
def test_deal_update_refuses_the_stage(stage_key, manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    lost = reference_data["stages"]["Lost"]
    with pytest.raises(ApplicationError) as refused:
        deal_update(user=manager, deal=deal, data={stage_key: lost if stage_key == "stage" else lost.pk})
    assert refused.value.code == "sales.deal.stage_by_move"
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage == reference_data["stages"]["New"] and deal.closed_at is None


@pytest.mark.parametrize("field", ["funnel", "closed_at"])
def test_deal_update_refuses_what_only_a_move_sets(field, manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    value = reference_data["funnel"] if field == "funnel" else reference_data["now"]
    with pytest.raises(FieldNotAllowed) as refused:
        deal_update(user=manager, deal=deal, data={field: value})
    assert refused.value.extra["field"] == field


def test_deal_change_moves_with_the_moves_rules_then_changes_fields_and_lines(manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    lost = reference_data["stages"]["Lost"]
    with pytest.raises(ValidationError):   # a lost stage needs a reason, through deal_change too
        deal_change(user=manager, deal=deal, data={}, stage=lost)
    deal = deal_change(user=manager, deal=Deal.objects.get(pk=deal.pk), data={"title": "Pumps, 4", "lost_reason":
                       "Price"}, stage=lost, lines=_lines("250.00"))
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage == lost and deal.lost_reason == "Price" and deal.closed_at is not None
    assert deal.title == "Pumps, 4" and deal.amount == Decimal("250.00")


def test_a_lost_deal_keeps_its_reason(manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    deal = deal_change(user=manager, deal=deal, data={"lost_reason": "Price"}, stage=reference_data["stages"]["Lost"])
    with pytest.raises(ValidationError):
        deal_update(user=manager, deal=deal, data={"lost_reason": " "})
    assert Deal.objects.get(pk=deal.pk).lost_reason == "Price"
    deal = deal_update(user=manager, deal=deal, data={"lost_reason": "Price, and delivery time"})
    assert deal.lost_reason == "Price, and delivery time"


def test_deal_change_to_the_same_stage_only_changes_fields(manager, cp, reference_data):
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    deal = deal_change(user=manager, deal=deal, data={"probability": 50}, stage=reference_data["stages"]["New"])
    assert Deal.objects.get(pk=deal.pk).probability == 50


# --- Invoices ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("status", InvoiceStatus.PAID), ("number", "X-1"), ("subtotal", Decimal("1")), ("vat_amount", Decimal("1")),
    ("total", Decimal("1")), ("paid_amount", Decimal("1000"))])
def test_invoice_update_refuses_what_the_services_own(field, value, manager, cp, reference_data):
    invoice = _draft(manager, cp, reference_data)
    with pytest.raises(FieldNotAllowed) as refused:
        invoice_update(user=manager, invoice=invoice, data={field: value})
    assert refused.value.extra["field"] == field
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.number == ""
    assert invoice.total == Decimal("1000.00") and invoice.paid_amount == Decimal("0")


@pytest.mark.parametrize("field, value", [("status", InvoiceStatus.PAID), ("number", "X-1"), ("total", Decimal("1"))])
def test_invoice_create_refuses_what_the_services_own(field, value, manager, cp, reference_data):
    with pytest.raises(FieldNotAllowed):
        _draft(manager, cp, reference_data, **{field: value})
    assert not Invoice.objects.exists()


def test_an_issued_invoice_still_changes_only_its_due_date_and_comment(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    invoice = invoice_update(user=manager, invoice=invoice, data={"comment": "call first"})
    assert invoice.comment == "call first"
    with pytest.raises(ApplicationError) as refused:
        invoice_update(user=manager, invoice=invoice, data={"status": InvoiceStatus.DRAFT})
    assert refused.value.code == "sales.invoice.locked"


def test_invoice_cancel_refuses_an_invoice_with_payments(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("100.00"), date=dt.date(2026, 11, 2))
    with pytest.raises(ApplicationError) as refused:
        invoice_cancel(user=manager, invoice=Invoice.objects.get(pk=invoice.pk))
    assert refused.value.code == "sales.invoice.has_payments"
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PARTLY_PAID


# --- Unknown fields --------------------------------------------------------------------------------------------------

def test_a_field_the_model_does_not_have_is_refused_by_name(manager, cp, reference_data):
    with pytest.raises(FieldNotAllowed) as refused:
        deal_create(user=manager, data={"title": "Pumps", "counterparty": cp, "colour": "red"})
    assert "colour" in str(refused.value) and refused.value.extra["field"] == "colour"
    with pytest.raises(FieldNotAllowed):
        contract_create(user=manager, data={"counterparty": cp, "number": "1", "date": dt.date(2026, 1, 1),
                                            "status": "signed"})
    with pytest.raises(FieldNotAllowed):
        payment_record(user=manager, data={"counterparty": cp, "date": dt.date(2026, 1, 1),
                                           "amount": Decimal("1"), "currency": "RUB", "allocated": Decimal("1")})
    assert not Deal.objects.exists() and not Payment.objects.exists()


# --- Payments --------------------------------------------------------------------------------------------------------

def test_invoice_payment_record_keeps_the_part_above_the_amount_due_as_an_overpayment(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    payment = invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1500.00"),
                                     date=dt.date(2026, 11, 2), number="77", comment="by bank", overpayment=True)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_amount == Decimal("1000.00")
    assert payment.currency == invoice.currency and payment.counterparty == cp and payment.number == "77"
    assert payment_unallocated(payment) == Decimal("500.00")


def test_invoice_payment_record_on_a_paid_invoice_is_all_overpayment(manager, cp, reference_data):
    invoice = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000.00"), date=dt.date(2026, 11, 2))
    stale = invoice   # the caller's copy still says it is owed 1000
    payment = invoice_payment_record(user=manager, invoice=stale, amount=Decimal("10.00"), date=dt.date(2026, 11, 3),
                                     overpayment=True)
    assert payment_unallocated(payment) == Decimal("10.00")
    assert Invoice.objects.get(pk=invoice.pk).paid_amount == Decimal("1000.00")


def test_payment_record_spreads_over_open_invoices_oldest_first(manager, cp, reference_data):
    first = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data))
    second = invoice_issue(user=manager, invoice=_draft(manager, cp, reference_data, date=dt.date(2026, 11, 5)))
    payment = payment_record(user=manager, data={"counterparty": cp, "date": dt.date(2026, 11, 6),
                                                 "amount": Decimal("1500.00"), "currency": first.currency})
    assert Invoice.objects.get(pk=first.pk).status == InvoiceStatus.PAID
    assert Invoice.objects.get(pk=second.pk).paid_amount == Decimal("500.00")
    assert payment_unallocated(payment) == Decimal("0")
