"""Orders, payments and sales of 1.10, 1.16 and 1.17: what is written validates and reads back the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc

from .conftest import needs_corpus
from .test_catalogs_format import contracts, dates
from .test_counterparties_format import _validate, counterparties, digits, guid, text

pytestmark = needs_corpus
money = st.decimals(min_value=0, max_value=10**9, places=2)
orgs = st.builds(cat.OrganizationRec, name=text, inn=st.one_of(st.just(""), digits(10)),
                 kpp=st.one_of(st.just(""), digits(9)))


def _keys_only(rec):
    rec.phones, rec.emails, rec.addresses, rec.website, rec.okpo, rec.main_account = [], [], [], "", "", None
    return rec


@st.composite
def orders(draw, version):
    rates = [None, Decimal("0"), Decimal("10"), Decimal("20")]
    lines = draw(st.lists(st.builds(
        doc.OrderLineRec, name=text, quantity=st.decimals(min_value=0, max_value=10**6, places=3), price=money,
        amount=money, vat_rate=st.sampled_from(rates), vat_amount=money,
        product_ref=st.one_of(st.just(""), guid), article=st.one_of(st.just(""), digits(6)),
        is_service=st.booleans(), unit_code=st.just(""), unit_name=st.just("")), min_size=1, max_size=4))
    for line in lines:
        if not line.is_service and draw(st.booleans()):
            line.unit_code, line.unit_name = "796", "шт"
    # Goods come before services in the format (Товары, then Услуги): what reads back is in that order.
    lines.sort(key=lambda ln: ln.is_service)
    contract = draw(st.one_of(st.none(), contracts(version)))
    if contract is not None:
        contract.valid_until = None       # a body property: a document carries the contract's keys only
    return doc.OrderRec(ref=draw(guid), number=draw(text), date=draw(dates), organization=draw(orgs),
                        counterparty=_keys_only(draw(counterparties(version))),
                        currency=draw(st.sampled_from(sorted(fmt.CURRENCIES))), total=draw(money),
                        vat_included=draw(st.booleans()), contract=contract, lines=lines)


refs = st.builds(doc.DocumentRef, ref=guid, number=text, date=dates)


@st.composite
def payments(draw, version):
    rows = draw(st.lists(st.tuples(st.one_of(st.none(), refs), money), min_size=1, max_size=3))
    return doc.PaymentRec(ref=draw(guid), number=draw(text), date=draw(dates), organization=draw(orgs),
                          kind=doc.FROM_BUYER, amount=draw(money), currency=draw(st.sampled_from(["RUB", "EUR"])),
                          counterparty=draw(st.one_of(st.none(), counterparties(version).map(_keys_only))),
                          purpose=draw(st.one_of(st.just(""), text)),
                          incoming_number=draw(st.one_of(st.just(""), digits(4))), rows=rows)


@st.composite
def sales(draw, version):
    return doc.SaleRec(ref=draw(guid), number=draw(text), date=draw(dates), organization=draw(orgs),
                       counterparty=_keys_only(draw(counterparties(version))), amount=draw(money),
                       order=draw(st.one_of(st.none(), refs)))


def _clear_lines(rec):
    rec.line = None
    for part in ("counterparty", "contract"):
        sub = getattr(rec, part, None)
        if sub is not None:
            sub.line = None
            if getattr(sub, "counterparty", None) is not None:
                sub.counterparty.line = None
    return rec


@pytest.mark.parametrize("version", fmt.VERSIONS)
def test_orders_payments_and_sales_validate_and_read_back_the_same(message_schema, version):
    schema = message_schema(version)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(order=orders(version), payment=payments(version), sale=sales(version))
    def check(order, payment, sale):
        objects = [doc.order_element(order, version), doc.payment_element(payment, version),
                   doc.sale_element(sale, version)]
        _validate(schema, version, objects)
        assert _clear_lines(doc.read_document(objects[0], version)) == order
        assert _clear_lines(doc.read_document(objects[1], version)) == payment
        assert _clear_lines(doc.read_document(objects[2], version)) == sale

    check()


def test_a_payment_without_an_amount_is_refused():
    rec = doc.PaymentRec(ref="p", number="1", date=dt.date(2024, 1, 1),
                         organization=cat.OrganizationRec(name="Наша"), kind=doc.FROM_BUYER, amount=Decimal("1"))
    el = doc.payment_element(rec, "1.17")
    el.find("{*}ОбщиеДанные/{*}Сумма").text = "много"
    with pytest.raises(fmt.ObjectInvalid, match="Сумма is not a number"):
        doc.read_document(el, "1.17")
