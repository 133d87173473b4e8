import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import history_for
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment
from raccordo.sales.services import (
    LineInput,
    deal_create,
    deal_move,
    invoice_create,
    invoice_from_deal,
    invoice_issue,
    invoice_update,
    payment_record,
    payment_unallocated,
)
from tests.factories import CounterpartyFactory, product_with_stock

pytestmark = pytest.mark.django_db


def _invoice(user, cp, ref, *lines, **data):
    lines = lines or (LineInput(description="Service", quantity=Decimal("1"), price=Decimal("1000"),
                                vat_rate=Decimal("20")),)
    return invoice_create(user=user, data={"own_company": ref["own_company"], "counterparty": cp,
                                           "date": dt.date(2026, 11, 1), **data}, lines=list(lines))


def test_deal_with_lines_takes_their_total_and_starts_at_first_stage(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    product = product_with_stock(reference_data, price="250.00")
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp},
                       lines=[LineInput(product=product, quantity=Decimal("4"), price=Decimal("250.00"))])
    assert deal.stage.name == "New" and deal.manager == manager
    assert deal.amount == Decimal("1000.00")
    assert deal.lines.get().vat_rate == Decimal("20")


def test_deal_move_to_lost_needs_a_reason_and_is_journaled(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    deal = deal_create(user=manager, data={"title": "X", "counterparty": cp})
    with pytest.raises(ValidationError):
        deal_move(user=manager, deal=deal, stage=reference_data["stages"]["Lost"])
    deal_move(user=manager, deal=deal, stage=reference_data["stages"]["Proposal"])
    deal = deal_move(user=manager, deal=Deal.objects.get(pk=deal.pk), stage=reference_data["stages"]["Lost"],
                     lost_reason="Price")
    assert deal.closed_at is not None
    stages = [e.changes["stage"] for e in history_for(deal) if e.operation == "update" and "stage" in e.changes]
    assert len(stages) == 2


def test_deal_on_another_managers_client_is_refused(manager, other_manager, reference_data):
    cp = CounterpartyFactory(responsible=other_manager)
    with pytest.raises(PermissionDenied):
        deal_create(user=manager, data={"title": "Steal", "counterparty": cp})
    assert not Deal.objects.exists()


def test_negative_quantity_and_unknown_currency_save_nothing(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    with pytest.raises(ValidationError) as exc:
        _invoice(manager, cp, reference_data, LineInput(description="x", quantity=Decimal("-2"), price=Decimal("5")))
    assert "Line 1" in exc.value.message_dict["lines"][0]
    with pytest.raises(ValidationError) as exc:
        _invoice(manager, cp, reference_data, currency="XYZ")
    assert "currency" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _invoice(manager, cp, reference_data, currency="eur")
    assert not Invoice.objects.exists()


def test_invoice_numbers_run_per_company_and_year(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    numbers = [invoice_issue(user=manager, invoice=_invoice(manager, cp, reference_data)).number for _ in range(3)]
    assert numbers == ["2026-00001", "2026-00002", "2026-00003"]
    next_year = invoice_issue(user=manager, invoice=_invoice(manager, cp, reference_data, date=dt.date(2027, 1, 2)))
    assert next_year.number == "2027-00001"
    with pytest.raises(ApplicationError):
        invoice_issue(user=manager, invoice=Invoice.objects.get(number="2026-00001"))


def test_issued_invoice_is_locked(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    inv = invoice_issue(user=manager, invoice=_invoice(manager, cp, reference_data))
    with pytest.raises(ApplicationError):
        invoice_update(user=manager, invoice=inv, data={"currency": "EUR"})
    invoice_update(user=manager, invoice=inv, data={"comment": "call before delivery"})


def test_payments_allocate_oldest_first_and_keep_overpayment(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    first = invoice_issue(user=manager, invoice=_invoice(manager, cp, reference_data))   # 1000.00
    second = invoice_issue(user=manager, invoice=_invoice(manager, cp, reference_data, date=dt.date(2026, 11, 5)))
    payment_record(user=manager, data={"counterparty": cp, "date": dt.date(2026, 11, 10), "amount": Decimal("1500"),
                                       "currency": "RUB"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.paid_amount) == (InvoiceStatus.PAID, Decimal("1000.00"))
    assert (second.status, second.paid_amount) == (InvoiceStatus.PARTLY_PAID, Decimal("500.00"))
    over = payment_record(user=manager, data={"counterparty": cp, "date": dt.date(2026, 11, 11),
                                              "amount": Decimal("800"), "currency": "RUB"})
    second.refresh_from_db()
    assert second.status == InvoiceStatus.PAID
    assert payment_unallocated(over) == Decimal("300.00")
    assert Payment.objects.count() == 2


def test_invoice_from_deal_copies_lines(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    product = product_with_stock(reference_data)
    deal = deal_create(user=manager, data={"title": "D", "counterparty": cp},
                       lines=[LineInput(product=product, quantity=Decimal("2"), price=Decimal("100"),
                                        discount_percent=Decimal("10"))])
    inv = invoice_from_deal(user=manager, deal=deal, own_company=reference_data["own_company"])
    assert inv.deal == deal and inv.status == InvoiceStatus.DRAFT
    assert inv.total == Decimal("180.00") and inv.vat_amount == Decimal("30.00")


def test_document_discount_applies_on_top_of_line_discounts(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    inv = _invoice(manager, cp, reference_data,
                   LineInput(description="x", quantity=Decimal("1"), price=Decimal("100"),
                             discount_percent=Decimal("10")),
                   discount_percent=Decimal("5"))
    assert inv.total == Decimal("85.50")          # 100 -10 % -5 %
    inv = invoice_update(user=manager, invoice=inv, data={"discount_percent": Decimal("0")})
    assert inv.total == Decimal("90.00")


def test_explicit_allocation_cannot_exceed_what_is_owed(manager, reference_data):
    cp = CounterpartyFactory(responsible=manager)
    inv = invoice_issue(user=manager, invoice=_invoice(manager, cp, reference_data))   # 1000.00
    with pytest.raises(ValidationError):
        payment_record(user=manager, data={"counterparty": cp, "date": dt.date(2026, 11, 10),
                                           "amount": Decimal("1500"), "currency": "RUB"},
                       allocations=[(inv, Decimal("1200"))])
    assert not Payment.objects.exists()
    payment = payment_record(user=manager, data={"counterparty": cp, "date": dt.date(2026, 11, 10),
                                                 "amount": Decimal("1500"), "currency": "RUB"},
                             allocations=[(inv, Decimal("1000"))])
    assert payment_unallocated(payment) == Decimal("500.00")
