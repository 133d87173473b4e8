"""Orders out (writer) and back (reader): a property-tested round trip, and the flow with accounting."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raccordo.exchange.exporters.orders import orders_acknowledge, orders_export
from raccordo.exchange.formats.commerceml import DocumentRec, read
from raccordo.exchange.formats.commerceml.writer import LineOut, OrderOut, PartyOut, write_orders
from raccordo.exchange.services import exchange_import, node_create
from raccordo.sales.models import InvoiceStatus, Payment
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.factories import CounterpartyFactory, UserFactory, product_with_stock, reference_data

# Text as real names are: any printable character, including ones windows-1251 lacks (written as references).
text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
               min_size=1, max_size=40).map(str.strip).filter(bool)
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("10000000"), places=2)
qty = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100000"), places=3)
ident = st.from_regex(r"[0-9a-f]{8}-[0-9a-f]{4}(#[0-9a-f]{6})?", fullmatch=True)

lines = st.builds(LineOut, product_id=ident, name=text, quantity=qty, price=money, amount=money,
                  article=st.one_of(st.just(""), text), discount=money,
                  vat_rate=st.one_of(st.none(), st.sampled_from([Decimal("0"), Decimal("10"), Decimal("20"),
                                                                 Decimal("22")])),
                  vat_amount=money, vat_included=st.booleans())
parties = st.builds(PartyOut, id=ident, name=text, full_name=text, inn=st.from_regex(r"\d{10}", fullmatch=True),
                    kpp=st.from_regex(r"\d{9}", fullmatch=True), address=text, is_person=st.booleans())
orders = st.builds(OrderOut, id=ident, number=st.from_regex(r"[A-Z]{0,3}\d{4}-\d{5}", fullmatch=True),
                   date=st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)),
                   currency=st.sampled_from(["RUB", "EUR", "USD", "KZT"]), total=money, counterparty=parties,
                   lines=st.lists(lines, min_size=1, max_size=5).map(tuple), comment=st.one_of(st.just(""), text),
                   requisites=st.dictionaries(st.sampled_from(["Статус заказа", "Заказ оплачен", "Отменен",
                                                               "Метод оплаты"]), text, max_size=4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(orders, min_size=1, max_size=3), st.sampled_from(["2.05", "2.08", "2.10"]),
       st.sampled_from(["windows-1251", "utf-8"]))
def test_writer_reader_round_trip(batch, version, encoding):
    out = io.BytesIO()
    assert write_orders(batch, out, version=version, encoding=encoding) == len(batch)
    docs = [r for r in read(out.getvalue()) if isinstance(r, DocumentRec)]
    assert len(docs) == len(batch)
    for order, doc in zip(batch, docs, strict=True):
        assert (doc.id, doc.number, doc.date, doc.currency, doc.total) == (
            order.id, order.number, order.date.isoformat(), order.currency, order.total)
        assert doc.operation == "Заказ товара"
        assert (doc.comment or "") == order.comment
        assert doc.requisites == order.requisites
        (cp,) = doc.counterparties
        party = order.counterparty
        assert (cp.id, cp.name, cp.inn, cp.kpp, cp.role) == (party.id, party.name, party.inn, party.kpp, "Покупатель")
        assert cp.address == party.address
        assert len(doc.lines) == len(order.lines)
        for want, got in zip(order.lines, doc.lines, strict=True):
            assert (got.product_id, got.name, got.quantity, got.price, got.amount) == (
                want.product_id, want.name, want.quantity, want.price, want.amount)
            assert (got.article or "") == want.article
            if want.vat_rate is not None:
                assert Decimal(got.vat_rate) == want.vat_rate and got.vat_amount == want.vat_amount
                assert got.vat_included == want.vat_included
            if want.discount:
                assert got.discount == want.discount


def test_unknown_version_or_encoding_is_refused():
    with pytest.raises(ValueError):
        write_orders([], io.BytesIO(), version="9.9")
    with pytest.raises(ValueError):
        write_orders([], io.BytesIO(), encoding="koi8-r")


@pytest.mark.django_db
def test_order_goes_out_comes_back_paid_and_is_not_echoed(tmp_path):
    ref = reference_data()
    manager = UserFactory(username="sales")
    customer = CounterpartyFactory(responsible=manager, name="Ромашка", kpp="773601001")
    product = product_with_stock(ref)
    invoice = invoice_issue(user=manager, invoice=invoice_create(
        user=manager, data={"own_company": ref["own_company"], "counterparty": customer},
        lines=[LineInput(product=product, quantity=Decimal("2"), price=Decimal("100"))]))
    node = node_create(user=None, code="ut11", kind="onec-http")

    sent = io.BytesIO()
    assert orders_export(node=node, out=sent) == 1
    assert orders_export(node=node, out=io.BytesIO()) == 1        # not acknowledged: sent again
    orders_acknowledge(node=node)
    assert orders_export(node=node, out=io.BytesIO()) == 0

    # 1C posts the order, numbers it and registers the payment; it answers with the same document.
    answer = sent.getvalue().decode("windows-1251").replace(
        "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Статус заказа</Наименование>",
        "<ЗначенияРеквизитов>"
        "<ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>УТ-000123</Значение></ЗначениеРеквизита>"
        "<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>"
        "<ЗначениеРеквизита><Наименование>Дата оплаты по 1С</Наименование><Значение>2026-11-20T10:00:00</Значение>"
        "</ЗначениеРеквизита><ЗначениеРеквизита><Наименование>Номер оплаты по 1С</Наименование>"
        "<Значение>ПП-77</Значение></ЗначениеРеквизита>"
        "<ЗначениеРеквизита><Наименование>Статус заказа</Наименование>", 1)
    path = tmp_path / "from-1c.xml"
    path.write_bytes(answer.encode("windows-1251"))
    run = exchange_import(paths=[path], node=node)
    assert run.updated == 1 and run.failed == 0
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_amount == Decimal("200.00")
    assert invoice.accounting_number == "УТ-000123" and invoice.is_posted
    payment = Payment.objects.get()
    assert payment.number == "ПП-77" and payment.date == dt.date(2026, 11, 20)

    replay = exchange_import(paths=[path], node=node)
    assert replay.unchanged == 1 and Payment.objects.count() == 1
    # What 1C told us is not sent back to 1C.
    assert orders_export(node=node, out=io.BytesIO()) == 0


@pytest.mark.django_db
def test_M3_control_characters_never_block_the_orders_export():
    # findings M3: one "\x01" in a counterparty's name made every query answer `failure`, for every node.
    ref = reference_data()
    manager = UserFactory(username="sales")
    customer = CounterpartyFactory(responsible=manager, name="Ctrl\x0bChar\x01Client", kpp="773601001")
    invoice = invoice_issue(user=manager, invoice=invoice_create(
        user=manager, data={"own_company": ref["own_company"], "counterparty": customer, "comment": "note\x02"},
        lines=[LineInput(description="line\x1f", quantity=Decimal("1"), price=Decimal("10"))]))
    node = node_create(user=None, code="ut11", kind="onec-http")
    out = io.BytesIO()
    assert orders_export(node=node, out=out, acknowledge=True) == 1
    (doc,) = [r for r in read(out.getvalue()) if isinstance(r, DocumentRec)]
    assert doc.id == str(invoice.pk) and doc.comment == "note"
    assert doc.counterparties[0].name == "Ctrl CharClient" and doc.lines[0].name == "line"


def test_characters_windows_1251_lacks_are_never_dropped():
    # iconv (lxml's own windows-1251 output) dropped the Unicode tag block silently, emoji it kept as references.
    party = PartyOut(id="p", name="Ромашка \U000e0041\U0001f600 €")
    order = OrderOut(id="o", number="1", date=dt.date(2026, 12, 6), currency="RUB", total=Decimal("1"),
                     counterparty=party, lines=(), comment="\U000e007f")
    out = io.BytesIO()
    write_orders([order], out, encoding="windows-1251")
    assert b"&#917569;" in out.getvalue()
    (doc,) = [r for r in read(out.getvalue()) if isinstance(r, DocumentRec)]
    assert doc.counterparties[0].name == party.name and doc.comment == "\U000e007f"
