"""What an exchange node may see and change: the records of its managers' counterparties (findings M2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from raccordo.access.policy import node_can, node_visible
from raccordo.catalog.models import Product
from raccordo.exchange.onec.models import OneCRequest
from raccordo.sales.models import Invoice, InvoiceLine
from raccordo.sales.services import LineInput, invoice_create
from tests.factories import CounterpartyFactory, ProductFactory, UserFactory, reference_data

pytestmark = pytest.mark.django_db


def test_a_node_reaches_the_records_of_its_managers_and_nothing_else():
    ref = reference_data()
    giulia, dmitry = UserFactory(username="giulia"), UserFactory(username="dmitry")
    hers = invoice_create(user=None, data={"own_company": ref["own_company"],
                                           "counterparty": CounterpartyFactory(responsible=giulia)},
                          lines=[LineInput(description="a", quantity=Decimal("1"), price=Decimal("1"))])
    his = invoice_create(user=None, data={"own_company": ref["own_company"],
                                          "counterparty": CounterpartyFactory(responsible=dmitry, is_vip=True)},
                         lines=[LineInput(description="b", quantity=Decimal("1"), price=Decimal("1"))])
    product = ProductFactory()
    only_giulia = [str(giulia.pk)]

    assert set(node_visible(Invoice.objects.all(), managers=only_giulia)) == {hers}
    # The nested path (a line -> its invoice -> the counterparty) and the counterparty itself.
    assert {ln.invoice_id for ln in node_visible(InvoiceLine.objects.all(), managers=only_giulia)} == {hers.pk}
    assert node_can(hers, managers=only_giulia) and not node_can(his, managers=only_giulia)
    assert node_can(his.counterparty, managers=[str(dmitry.pk)])
    # The catalog is shared; a model the policy does not place under a counterparty is out of a limited scope.
    assert node_can(product, managers=only_giulia) and node_visible(Product.objects.all(), managers=only_giulia)
    assert node_visible(OneCRequest.objects.all(), managers=only_giulia).query.is_empty()
    assert not node_visible(OneCRequest.objects.all(), managers=[]).query.is_empty()
    # No managers: the node is not limited.
    assert set(node_visible(Invoice.objects.all(), managers=[])) == {hers, his}
    assert node_can(his, managers=[]) and node_can(his, managers=["", "  "])
