"""The counterparty card's accounting panel: what 1C says, per role, and the shipments 1C sent without invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from raccordo.core.models import ChangeJournal
from raccordo.exchange.enterprisedata.selectors import accounting_card
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.models import Binding
from raccordo.parties.models import Counterparty
from raccordo.sales.models import AccountingShipment, Contract
from raccordo.sales.services import contract_create, payment_record
from tests.factories import CounterpartyFactory, UserFactory

from .conftest import needs_corpus
from .test_catalogs_exchange import OURS
from .test_documents_exchange import SALE_REF, _from_1c, _invoice, _payment
from .test_exchange import ROMASHKA, _handshake, _romashka, _run

pytestmark = pytest.mark.django_db


def _loose_sale(number="БП-90", amount="1500.00"):
    """A sale 1C made on its own: it names no order of Raccordo."""
    def build(version):
        return doc.sale_element(doc.SaleRec(ref=SALE_REF, number=number, date=dt.date(2024, 6, 1), organization=OURS,
                                            counterparty=_romashka(version), amount=Decimal(amount)), version)
    return build


def _romashka_in_raccordo(node, peer):
    _handshake(node, peer)
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    assert _run(node).failed == 0
    return Counterparty.objects.get(pk=Binding.objects.get(external_id=ROMASHKA, object_type=fmt.COUNTERPARTY)
                                    .object_id)


def test_without_an_accounting_node_the_panel_says_so(client, admin_user, manager):
    cp = CounterpartyFactory(responsible=manager)
    assert accounting_card(user=manager, counterparty=cp).configured is False
    client.force_login(admin_user)
    html = client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    assert 'data-testid="accounting-none"' in html and reverse("onec:node_create") in html
    assert 'data-testid="accounting-owed"' not in html
    client.force_login(manager)
    html = client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    assert 'data-testid="accounting-none"' in html and reverse("onec:node_create") not in html


@needs_corpus
def test_figures_and_origins_from_the_books(node, peer, reference_data, admin_user):
    cp = _romashka_in_raccordo(node, peer)
    invoice = _invoice(reference_data)                              # 3000.00, issued in Raccordo
    peer.send()
    _run(node)
    _header, records = peer.receive()
    [order] = [r for r in records if isinstance(r, doc.OrderRec)]
    peer.send([_payment(doc.DocumentRef(ref=order.ref, number=order.number, date=order.date), "1000.00")])
    assert _run(node).failed == 0
    ours = contract_create(user=admin_user, data={"counterparty": cp, "own_company": reference_data["own_company"],
                                                  "number": "R-1", "date": dt.date(2024, 7, 1)})

    card = accounting_card(user=admin_user, counterparty=cp)
    assert card.configured
    origins = {c.number: from_1c for c, from_1c in card.contracts}
    assert origins == {Contract.objects.exclude(pk=ours.pk).get().number: True, "R-1": False}
    [rub] = card.owed
    assert (rub.invoiced, rub.paid, rub.paid_from_1c, rub.owed) == (
        Decimal("3000.00"), Decimal("1000.00"), Decimal("1000.00"), Decimal("2000.00"))
    assert (card.last_payment.amount, card.last_payment_from_1c) == (Decimal("1000.00"), True)

    # A payment recorded by hand in Raccordo, later: the last payment, not from 1C.
    payment_record(user=admin_user, data={"counterparty": cp, "date": dt.date(2024, 8, 1), "amount": Decimal("500"),
                                          "currency": "RUB"}, allocations=[(invoice, Decimal("500"))])
    card = accounting_card(user=admin_user, counterparty=cp)
    assert (card.last_payment.amount, card.last_payment_from_1c) == (Decimal("500.00"), False)
    assert (card.owed[0].paid, card.owed[0].paid_from_1c, card.owed[0].owed) == (
        Decimal("1500.00"), Decimal("1000.00"), Decimal("1500.00"))


@needs_corpus
def test_a_sale_naming_no_invoice_is_stored_shown_and_once(node, peer, reference_data, admin_user, client):
    cp = _romashka_in_raccordo(node, peer)
    peer.send([_loose_sale()])
    run = _run(node)
    assert (run.created, run.failed) == (1, 0), list(run.items.values("message"))
    assert not run.items.filter(code="exchange.enterprisedata.sale_without_invoice").exists()
    shipment = AccountingShipment.objects.get()
    assert (shipment.counterparty, shipment.number, shipment.date, shipment.amount) == (
        cp, "БП-90", dt.date(2024, 6, 1), Decimal("1500.00"))
    client.force_login(admin_user)
    html = client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    assert 'data-testid="accounting-not-invoiced"' in html and "БП-90" in html
    assert "БП-90" in client.get("/admin/sales/accountingshipment/").content.decode()

    # The same message again (cumulative until confirmed): nothing written, not even the journal.
    journal = ChangeJournal.objects.count()
    peer.send([_loose_sale()])
    run = _run(node)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 1)
    assert ChangeJournal.objects.count() == journal

    # 1C changes it, then deletes it: the stored shipment follows, then goes.
    peer.send([_loose_sale(amount="1700.00")])
    assert _run(node).updated == 1
    assert AccountingShipment.objects.get().amount == Decimal("1700.00")
    peer.send([lambda v: fmt.deletion_element("РеализацияТоваровУслугСсылка", SALE_REF, v)])
    assert _run(node).failed == 0
    assert not AccountingShipment.objects.exists()


@needs_corpus
def test_a_stored_shipment_moves_onto_the_invoice_1c_later_names(node, peer, reference_data):
    _romashka_in_raccordo(node, peer)
    peer.send([_loose_sale()])
    _run(node)
    invoice = _invoice(reference_data)
    named = doc.DocumentRef(ref=str(invoice.pk), number=invoice.number, date=invoice.date)

    def build(version):
        return doc.sale_element(doc.SaleRec(ref=SALE_REF, number="БП-90", date=dt.date(2024, 6, 1),
                                            organization=OURS, counterparty=_romashka(version),
                                            amount=Decimal("1500.00"), order=named), version)
    peer.send([build])
    assert _run(node).failed == 0
    invoice.refresh_from_db()
    assert invoice.shipment_number == "БП-90" and not AccountingShipment.objects.exists()


@needs_corpus
def test_a_manager_sees_the_panel_of_their_clients_only_and_no_vip(node, peer, reference_data, client, manager,
                                                                     other_manager):
    cp = _romashka_in_raccordo(node, peer)
    peer.send([_loose_sale()])
    _run(node)
    Counterparty.objects.filter(pk=cp.pk).update(responsible=other_manager)
    client.force_login(manager)
    assert client.get(reverse("web:counterparty_detail", args=[cp.pk])).status_code == 404
    # What the selector adds up is the manager's own view: another's client's records are not in it.
    card = accounting_card(user=manager, counterparty=cp)
    assert (card.contracts, card.owed, card.last_payment, card.not_invoiced) == ([], [], None, [])

    Counterparty.objects.filter(pk=cp.pk).update(responsible=manager)
    html = client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    assert "БП-90" in html and reverse("onec:node_create") not in html
    assert [c.number for c, _origin in accounting_card(user=manager, counterparty=cp).contracts]

    # An accountant reaches every client but a VIP one they do not head: the panel goes with the card.
    accountant = UserFactory(username="olga", role="accountant")
    client.force_login(accountant)
    assert "БП-90" in client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    Counterparty.objects.filter(pk=cp.pk).update(is_vip=True)
    assert client.get(reverse("web:counterparty_detail", args=[cp.pk])).status_code == 404
    assert accounting_card(user=accountant, counterparty=cp).not_invoiced == []
