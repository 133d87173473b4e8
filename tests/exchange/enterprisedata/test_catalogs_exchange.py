"""The scripted 1C peer exchanges contracts both ways and sends products; echoes and repeats write nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from raccordo.catalog.models import Product
from raccordo.catalog.services import product_create
from raccordo.core.models import ChangeJournal
from raccordo.exchange.enterprisedata.catalogs import PRODUCT_BINDING
from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.models import Binding
from raccordo.sales.models import Contract
from raccordo.sales.services import contract_create, contract_update

from .conftest import needs_corpus
from .test_exchange import ROMASHKA, _handshake, _romashka, _run

pytestmark = [pytest.mark.django_db, needs_corpus]
CONTRACT_REF = "5a1c1b8e-7a3d-11ee-b962-0242ac120010"
PRODUCT_REF = "5a1c1b8e-7a3d-11ee-b962-0242ac120020"
SERVICE_REF = "5a1c1b8e-7a3d-11ee-b962-0242ac120021"
OURS = cat.OrganizationRec(name="Raccordo Trade", inn="7736207543", kpp="773601001")


def _contract(version, *, kind=cat.BUYER, number="12/24", org=OURS):
    return cat.ContractRec(ref=CONTRACT_REF, kind=kind, organization=org, counterparty=_romashka(version),
                           number=number, date=dt.date(2024, 1, 15), name=f"№ {number} от 15.01.2024",
                           valid_until=dt.date(2025, 12, 31))


def _widget(version, **kw):
    return cat.ProductRec(**{"ref": PRODUCT_REF, "name": "Кронштейн", "full_name": "Кронштейн стальной",
                             "article": "KR-1", "unit_code": "796", "unit_name": "шт", "vat_known": True,
                             "vat_rate": Decimal("20"), **kw})


def _setup(version):
    return cat.ProductRec(ref=SERVICE_REF, name="Монтаж", is_service=True, unit_code="356", unit_name="ч",
                          vat_known=True, vat_rate=None)


@pytest.mark.parametrize("versions", [("1.16",), ("1.17",)])
def test_contracts_and_products_from_1c_come_in_once(node, peer, reference_data, versions):
    peer.versions = list(versions)
    _handshake(node, peer)
    assert peer.version == versions[0]
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v), lambda v: cat.contract_element(_contract(v), v),
               lambda v: cat.product_element(_widget(v), v), lambda v: cat.product_element(_setup(v), v)])
    run = _run(node)
    assert (run.status, run.created, run.failed) == ("succeeded", 4, 0), list(run.items.values("message"))
    contract = Contract.objects.get()
    assert (contract.number, contract.date, contract.counterparty.inn, contract.own_company) == (
        "12/24", dt.date(2024, 1, 15), "7707083893", reference_data["own_company"])
    assert contract.valid_until == dt.date(2025, 12, 31)
    widget = Product.objects.get(article="KR-1")
    assert (widget.name, widget.vat_rate, widget.is_service, widget.unit) == (
        "Кронштейн", Decimal("20"), False, reference_data["unit"])     # the unit found by its code 796
    service = Product.objects.get(name="Монтаж")
    assert (service.is_service, service.vat_rate, service.unit.code) == (True, None, "356")
    assert Binding.objects.get(node=node, object_type=PRODUCT_BINDING, external_id=PRODUCT_REF).object_id == widget.pk
    _header, records = peer.receive()
    assert records == []             # nothing of 1C's is echoed back

    # 1C sends its next message with the same objects (cumulative, not yet confirmed there): nothing changes.
    journal = ChangeJournal.objects.count()
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v), lambda v: cat.contract_element(_contract(v), v),
               lambda v: cat.product_element(_widget(v), v), lambda v: cat.product_element(_setup(v), v)])
    run = _run(node)
    assert (run.created, run.updated, run.unchanged, run.failed) == (0, 0, 4, 0)
    assert ChangeJournal.objects.count() == journal

    # A new rate, then 1C's deletion mark: the product changes, then becomes inactive.
    peer.send([lambda v: cat.product_element(_widget(v, vat_rate=Decimal("10")), v),
               lambda v: fmt.deletion_element("НоменклатураСсылка", PRODUCT_REF, v)])
    run = _run(node)
    assert (run.updated, run.failed) == (2, 0)
    widget.refresh_from_db()
    assert (widget.vat_rate, widget.is_active) == (Decimal("10"), False)


def test_a_product_is_matched_by_article_and_keeps_its_rate_when_1c_sends_none(node, peer, reference_data):
    _handshake(node, peer)
    ours = product_create(user=None, data={"name": "Bracket", "article": "KR-1", "vat_rate": Decimal("22")})
    peer.send([lambda v: cat.product_element(_widget(v, vat_known=False), v)])
    run = _run(node)
    assert (run.created, run.updated) == (0, 1)
    ours.refresh_from_db()
    assert (ours.name, ours.vat_rate) == ("Кронштейн", Decimal("22"))
    assert Binding.objects.get(node=node, object_type=PRODUCT_BINDING, object_id=ours.pk).external_id == PRODUCT_REF


def test_other_contracts_are_passed_over_and_unknown_organisations_refused(node, peer, reference_data):
    _handshake(node, peer)
    stranger = cat.OrganizationRec(name="Чужая", inn="7702070139")
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v),
               lambda v: cat.contract_element(_contract(v, kind="СПоставщиком"), v),
               lambda v: cat.contract_element(_contract(v, org=stranger, number="13"), v)])
    run = _run(node)
    assert (run.created, run.skipped, run.failed, run.status) == (1, 1, 1, "partial")
    assert run.items.get(outcome="skipped").code == "exchange.enterprisedata.contract_kind"
    failed = run.items.get(outcome="failed")
    assert "Чужая" in failed.message and failed.file == "Message_BP_RC.xml" and failed.line > 1
    assert failed.external_id == CONTRACT_REF
    assert not Contract.objects.exists()


def test_our_contracts_go_to_1c_and_the_echo_writes_nothing(node, peer, reference_data):
    _handshake(node, peer)
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    _run(node)
    peer.receive()
    cp = Binding.objects.get(node=node, external_id=ROMASHKA)
    contract = contract_create(user=None, data={"counterparty_id": cp.object_id,
                                                "own_company": reference_data["own_company"], "number": "7-A",
                                                "date": dt.date(2024, 3, 1), "currency": "EUR"})
    peer.send()
    _run(node)
    _header, records = peer.receive()
    sent = [r for r in records if isinstance(r, cat.ContractRec)]
    assert [(r.ref, r.kind, r.number, r.currency, r.counterparty.ref, r.organization.inn) for r in sent] == [
        (str(contract.pk), cat.BUYER, "7-A", "EUR", ROMASHKA, "7736207543")]

    journal = ChangeJournal.objects.count()
    peer.send([lambda v: cat.contract_element(sent[0], v)])      # 1C echoes it under our GUID
    run = _run(node)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 1)
    assert ChangeJournal.objects.count() == journal
    assert peer.receive()[1] == []

    contract_update(user=None, contract=contract, data={"number": "7-B"})
    peer.send()
    _run(node)
    assert [r.number for r in peer.receive()[1] if isinstance(r, cat.ContractRec)] == ["7-B"]
    # A deletion mark from 1C is recorded and reported; the CRM's contract stays.
    peer.send([lambda v: fmt.deletion_element("ДоговорыСсылка", str(contract.pk), v)])
    run = _run(node)
    assert run.items.get(outcome="skipped").code == "exchange.enterprisedata.contract_deleted"
    assert Contract.objects.filter(pk=contract.pk).exists()
    assert Binding.objects.get(node=node, object_type=cat.CONTRACT).peer_deleted is True
