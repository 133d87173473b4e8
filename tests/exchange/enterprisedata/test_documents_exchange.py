"""The scripted 1C peer: our invoices go to 1C as orders; its payments make them paid, its sales ship them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from raccordo.catalog.models import Product
from raccordo.core.models import ChangeJournal
from raccordo.exchange.enterprisedata import documents as ed_documents
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.models import Binding
from raccordo.sales.models import Contract, InvoiceStatus, Payment
from raccordo.sales.services import LineInput, invoice_cancel, invoice_create, invoice_issue

from .conftest import needs_corpus
from .test_catalogs_exchange import CONTRACT_REF, OURS, PRODUCT_REF, _contract, _widget
from .test_exchange import ROMASHKA, _handshake, _romashka, _run

pytestmark = [pytest.mark.django_db, needs_corpus]
PAYMENT_REF = "5a1c1b8e-7a3d-11ee-b962-0242ac120030"
SALE_REF = "5a1c1b8e-7a3d-11ee-b962-0242ac120040"


def _from_1c(version):
    """What 1C has before the CRM invoices: the counterparty with its bank account, a contract, a product."""
    return [fmt.counterparty_element(_romashka(version), version),
            fmt.bank_account_element(_romashka(version).main_account, _romashka(version), version),
            cat.contract_element(_contract(version), version), cat.product_element(_widget(version), version)]


def _invoice(reference_data):
    cp = Binding.objects.get(external_id=ROMASHKA, object_type=fmt.COUNTERPARTY)
    invoice = invoice_create(user=None, data={
        "own_company": reference_data["own_company"], "counterparty_id": cp.object_id,
        "contract": Contract.objects.get(), "date": dt.date(2024, 5, 6)}, lines=[
        LineInput(product=Product.objects.get(article="KR-1"), quantity=Decimal("2"), price=Decimal("1200")),
        LineInput(description="Монтаж кронштейнов", quantity=Decimal("1"), price=Decimal("600"),
                  vat_rate=Decimal("20"))])
    return invoice_issue(user=None, invoice=invoice)


def _payment(order: doc.DocumentRef | None, amount: str, *, ref=PAYMENT_REF, counterparty=True):
    def build(version):
        rows = [(order, Decimal(amount))]
        return doc.payment_element(doc.PaymentRec(
            ref=ref, number="000123", date=dt.date(2024, 5, 10), organization=OURS, kind=doc.FROM_BUYER,
            amount=Decimal(amount), counterparty=_romashka(version) if counterparty else None,
            purpose="Оплата по счету", rows=rows), version)
    return build


def _sale(order: doc.DocumentRef):
    def build(version):
        return doc.sale_element(doc.SaleRec(ref=SALE_REF, number="БП-77", date=dt.date(2024, 5, 12), organization=OURS,
                                            counterparty=_romashka(version), amount=Decimal("3000"), order=order),
                                version)
    return build


@pytest.mark.parametrize("versions", [("1.16",), ("1.17",)])
def test_invoice_to_1c_then_its_payment_and_sale_come_back_once(node, peer, reference_data, versions):
    peer.versions = list(versions)
    _handshake(node, peer)
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    assert _run(node).failed == 0
    peer.receive()

    invoice = _invoice(reference_data)
    assert invoice.total == Decimal("3000.00")
    peer.send()
    assert _run(node).failed == 0
    _header, records = peer.receive()          # validated against the version's schema there
    [order] = [r for r in records if isinstance(r, doc.OrderRec)]
    assert (order.ref, order.number, order.date, order.total, order.currency) == (
        str(invoice.pk), invoice.number, dt.date(2024, 5, 6), Decimal("3000.00"), "RUB")
    assert (order.counterparty.ref, order.contract.ref, order.organization.inn) == (ROMASHKA, CONTRACT_REF,
                                                                                    "7736207543")
    goods, service = order.lines
    assert (goods.product_ref, goods.is_service, goods.quantity, goods.amount, goods.vat_rate, goods.vat_amount) == (
        PRODUCT_REF, False, Decimal("2.000"), Decimal("2400.00"), Decimal("20"), Decimal("400.00"))
    assert (service.name, service.is_service, service.product_ref) == ("Монтаж кронштейнов", True, "")

    # 1C posts the receipt against its order (our GUID) and the sale that ships it.
    ordered = doc.DocumentRef(ref=order.ref, number=order.number, date=order.date)
    peer.send([_payment(ordered, "3000.00"), _sale(ordered)])
    run = _run(node)
    assert (run.created, run.updated, run.failed) == (1, 1, 0), list(run.items.values("message"))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.PAID, Decimal("3000.00"))
    assert (invoice.shipment_number, invoice.shipped_on) == ("БП-77", dt.date(2024, 5, 12))
    payment = Payment.objects.get()
    assert (payment.number, payment.amount, payment.allocations.get().invoice) == ("000123", Decimal("3000.00"),
                                                                                   invoice)
    _header, records = peer.receive()
    assert records == []       # the invoice's change came from 1C: not sent back

    # 1C's next message still carries both (cumulative until confirmed): nothing is written again.
    journal = ChangeJournal.objects.count()
    peer.send([_payment(ordered, "3000.00"), _sale(ordered)])
    run = _run(node)
    assert (run.created, run.updated, run.unchanged, run.failed) == (0, 0, 2, 0)
    assert ChangeJournal.objects.count() == journal and Payment.objects.count() == 1


def test_a_payment_by_number_only_and_the_overpayment_stays_on_it(node, peer, reference_data):
    _handshake(node, peer)
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    _run(node)
    invoice = _invoice(reference_data)
    # 1C made its own document for the order: only its number tells which invoice it is.
    peer.send([_payment(doc.DocumentRef(ref="5a1c1b8e-0000-0000-0000-000000000001", number=invoice.number,
                                        date=invoice.date), "3500.00", counterparty=False)])
    run = _run(node)
    assert (run.created, run.failed) == (1, 0)
    assert run.items.get(code="exchange.enterprisedata.payment_overpaid").file == "Message_BP_RC.xml"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get()
    assert (payment.amount, payment.allocations.get().amount, payment.counterparty) == (
        Decimal("3500.00"), Decimal("3000.00"), invoice.counterparty)


def test_a_payment_naming_no_known_invoice_nor_counterparty_is_refused_and_others_come_in(node, peer,
                                                                                           reference_data):
    _handshake(node, peer)
    stranger = doc.DocumentRef(ref="5a1c1b8e-0000-0000-0000-000000000002", number="X-1", date=dt.date(2024, 1, 1))
    peer.send([_payment(stranger, "10.00", counterparty=False),
               _payment(None, "10.00", ref="5a1c1b8e-0000-0000-0000-000000000003", counterparty=True),
               lambda v: fmt.counterparty_element(_romashka(v), v)])
    run = _run(node)
    failed = run.items.get(outcome="failed", external_id=PAYMENT_REF)
    assert not run.items.filter(outcome="skipped").exists()     # no note about a payment that was not recorded
    assert (failed.object_type, failed.external_id, failed.line > 1) == (doc.PAYMENT, PAYMENT_REF, True)
    # The second receipt's counterparty comes later in the message: it cannot be placed either.
    assert run.failed == 2 and run.created == 1 and not Payment.objects.exists()


def test_a_run_killed_half_way_leaves_nothing_and_converges(node, peer, reference_data, monkeypatch):
    _handshake(node, peer)
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    _run(node)
    invoice = _invoice(reference_data)
    ordered = doc.DocumentRef(ref=str(invoice.pk), number=invoice.number, date=invoice.date)
    peer.send([_payment(ordered, "3000.00"), _sale(ordered)])
    node.refresh_from_db()
    received = node.last_received_no

    def killed(**kwargs):
        raise RuntimeError("the process was killed")
    monkeypatch.setattr(ed_documents, "invoice_accounting_update", killed)   # after the payment was written
    with pytest.raises(RuntimeError):
        _run(node)
    invoice.refresh_from_db()
    node.refresh_from_db()
    assert (invoice.status, Payment.objects.count(), node.last_received_no) == (InvoiceStatus.ISSUED, 0, received)
    assert not Binding.objects.filter(object_type=doc.PAYMENT).exists()

    monkeypatch.undo()
    run = _run(node)
    assert (run.created, run.updated, run.failed) == (1, 1, 0)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.shipment_number, Payment.objects.count()) == (InvoiceStatus.PAID, "БП-77", 1)


def test_a_cancelled_invoice_is_deleted_in_1c_and_a_draft_never_travels(node, peer, reference_data):
    _handshake(node, peer)
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    _run(node)
    peer.receive()
    invoice = _invoice(reference_data)
    draft = invoice_create(user=None, data={"own_company": reference_data["own_company"],
                                            "counterparty": invoice.counterparty, "date": dt.date(2024, 5, 7)},
                           lines=[LineInput(description="Консультация", price=Decimal("100"))])
    peer.send()
    _run(node)
    assert [r.ref for r in peer.receive()[1] if isinstance(r, doc.OrderRec)] == [str(invoice.pk)]
    invoice_cancel(user=None, invoice=invoice)
    peer.send()
    _run(node)
    records = peer.receive()[1]
    assert [(r.object_type, r.ref) for r in records if isinstance(r, fmt.DeletionRec)] == [
        ("ЗаказКлиентаСсылка", str(invoice.pk))]
    assert str(draft.pk) not in {getattr(r, "ref", "") for r in records}


def test_an_invoice_whose_vat_rate_1_16_cannot_carry_is_reported_not_sent(node, peer, reference_data):
    peer.versions = ["1.16"]
    _handshake(node, peer)
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    _run(node)
    peer.receive()
    cp = Binding.objects.get(external_id=ROMASHKA, object_type=fmt.COUNTERPARTY)
    invoice = invoice_issue(user=None, invoice=invoice_create(user=None, data={
        "own_company": reference_data["own_company"], "counterparty_id": cp.object_id, "date": dt.date(2026, 1, 5)},
        lines=[LineInput(description="Услуга", price=Decimal("122"), vat_rate=Decimal("22"))]))
    peer.send()
    run = _run(node)
    item = run.items.get(outcome="failed")
    assert item.code == "exchange.enterprisedata.not_expressible" and invoice.number in item.message
    assert not [r for r in peer.receive()[1] if isinstance(r, doc.OrderRec)]
    assert not Binding.objects.filter(object_type=doc.ORDER).exists()
