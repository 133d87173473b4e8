"""Contracts and products of 1.10, 1.16 and 1.17: what is written validates and reads back the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from raccordo.exchange.formats.enterprisedata import catalogs as cat
from raccordo.exchange.formats.enterprisedata import counterparties as fmt

from .conftest import needs_corpus
from .test_counterparties_format import _validate, counterparties, digits, guid, text

pytestmark = needs_corpus
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


@st.composite
def contracts(draw, version):
    cp = draw(counterparties(version))
    cp.phones, cp.emails, cp.addresses, cp.website, cp.okpo, cp.main_account = [], [], [], "", "", None
    org = cat.OrganizationRec(name=draw(text), full_name=draw(st.one_of(st.just(""), text)),
                              inn=draw(st.one_of(st.just(""), digits(10))), kpp=draw(st.one_of(st.just(""), digits(9))))
    return cat.ContractRec(ref=draw(guid), kind=draw(st.sampled_from(cat.CONTRACT_KINDS)), organization=org,
                           counterparty=cp, number=draw(st.one_of(st.just(""), text)),
                           date=draw(st.one_of(st.none(), dates)), name=draw(st.one_of(st.just(""), text)),
                           currency=draw(st.sampled_from(sorted(fmt.CURRENCIES))),
                           valid_until=draw(st.one_of(st.none(), dates)))


def _rates(version):
    known = [None, Decimal("0"), Decimal("10"), Decimal("20"), Decimal("18")]
    if version == "1.17":   # any percent travels in 1.17's structure; ≤ 1.16 has only the enum's
        known.append(st.decimals(min_value=0, max_value=99, places=2))
    return st.one_of(*[st.just(v) if not isinstance(v, st.SearchStrategy) else v for v in known])


@st.composite
def products(draw, version):
    vat_known = draw(st.booleans())
    return cat.ProductRec(ref=draw(guid), name=draw(text), full_name=draw(st.one_of(st.just(""), text)),
                          article=draw(st.one_of(st.just(""), text)), code=draw(st.one_of(st.just(""), digits(11))),
                          is_service=draw(st.booleans()), unit_code=draw(st.sampled_from(["796", "166", "", "356"])),
                          unit_name=draw(st.sampled_from(["шт", "кг", "ч"])),
                          vat_rate=draw(_rates(version)) if vat_known else None, vat_known=vat_known,
                          description=draw(st.one_of(st.just(""), text)))


@pytest.mark.parametrize("version", fmt.VERSIONS)
def test_contracts_and_products_validate_and_read_back_the_same(message_schema, version):
    schema = message_schema(version)

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(contract=contracts(version), product=products(version))
    def check(contract, product):
        objects = [cat.contract_element(contract, version), cat.product_element(product, version)]
        _validate(schema, version, objects)
        back = cat.read_catalog_object(objects[0], version)
        back.line = back.counterparty.line = None
        assert back == contract
        back = cat.read_catalog_object(objects[1], version)
        back.line = None
        if back.vat_rate is not None:
            assert back.vat_rate == product.vat_rate
            back.vat_rate = product.vat_rate
        assert back == product

    check()


@pytest.mark.parametrize("version, value, rate", [
    ("1.16", "НДС20_120", Decimal("20")), ("1.16", "БезНДС", None), ("1.10", "НДС0", Decimal("0")),
])
def test_the_vat_enum_up_to_1_16(version, value, rate):
    el = cat.product_element(cat.ProductRec(ref="r", name="x", unit_code="796", vat_known=True,
                                            vat_rate=Decimal("20")), version)
    el.find("{*}СтавкаНДС").text = value
    assert cat.read_catalog_object(el, version).vat_rate == rate


def test_the_vat_structure_of_1_17_differs_from_the_enum():
    el = cat.product_element(cat.ProductRec(ref="r", name="x", vat_known=True, vat_rate=Decimal("10")), "1.17")
    assert [c.tag.rpartition("}")[2] for c in el.find("{*}СтавкаНДС")] == [
        "Ставка", "РасчетнаяСтавка", "НеОблагается", "ВидСтавки"]
    assert el.find("{*}СтавкаНДС/{*}ВидСтавки").text == "Пониженная"
    with pytest.raises(ValueError, match="no VAT rate of 7"):
        cat.product_element(cat.ProductRec(ref="r", name="x", vat_known=True, vat_rate=Decimal("7")), "1.16")


def test_a_bad_contract_kind_and_an_unknown_vat_are_refused_with_their_line():
    org = cat.OrganizationRec(name="Наша")
    el = cat.contract_element(cat.ContractRec(ref="c", kind=cat.BUYER, organization=org,
                                              counterparty=fmt.CounterpartyRec(ref="k", name="K")), "1.17")
    el.find("{*}КлючевыеСвойства/{*}ВидДоговора").text = "Аренда"
    el = etree.fromstring(etree.tostring(el, encoding="utf-8"))    # parsed, as a message is: elements know their line
    with pytest.raises(fmt.ObjectInvalid) as exc:
        cat.read_catalog_object(el, "1.17")
    assert exc.value.ref == "c" and "ВидДоговора" in exc.value.message and exc.value.line
    el = cat.product_element(cat.ProductRec(ref="p", name="x", vat_known=True, vat_rate=None), "1.16")
    el.find("{*}СтавкаНДС").text = "НДС99"
    with pytest.raises(fmt.ObjectInvalid, match="НДС99"):
        cat.read_catalog_object(el, "1.16")
