"""Orders over real HTTP: query, success, 1C's documents back; without success the same orders go out again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from raccordo.exchange.onec.models import OneCRequest
from raccordo.sales.models import Invoice, InvoiceStatus, Payment
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.factories import CounterpartyFactory, UserFactory, product_with_stock, reference_data

pytestmark = pytest.mark.django_db(transaction=True)

PAID = (
    "<ЗначенияРеквизитов>"
    "<ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>УТ-000123</Значение></ЗначениеРеквизита>"
    "<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>"
    "<ЗначениеРеквизита><Наименование>Дата оплаты по 1С</Наименование><Значение>2026-11-20T10:00:00</Значение>"
    "</ЗначениеРеквизита><ЗначениеРеквизита><Наименование>Номер оплаты по 1С</Наименование>"
    "<Значение>ПП-77</Значение></ЗначениеРеквизита>"
    "<ЗначениеРеквизита><Наименование>Статус заказа</Наименование>"
)


def issued_invoice(number: int = 1) -> Invoice:
    ref = reference_data()
    manager = UserFactory(username="sales")
    customer = CounterpartyFactory(responsible=manager, name=f"Ромашка {number}", kpp="773601001")
    product = product_with_stock(ref)
    return invoice_issue(user=manager, invoice=invoice_create(
        user=manager, data={"own_company": ref["own_company"], "counterparty": customer},
        lines=[LineInput(product=product, quantity=Decimal("2"), price=Decimal("100"))]))


def documents(xml: bytes) -> int:
    return xml.decode("windows-1251").count("<Документ>")


def test_query_success_and_the_document_back(onec, node):
    invoice = issued_invoice()
    assert onec.checkauth("sale").first == "success"
    onec.init("sale")
    sent = onec.call("sale", "query")
    assert sent.status == 200 and sent.content_type == "application/xml; charset=windows-1251"
    assert documents(sent.body) == 1 and str(invoice.pk) in sent.body.decode("windows-1251")
    assert onec.call("sale", "success").first == "success"
    assert documents(onec.call("sale", "query").body) == 0          # acknowledged: not sent again

    # 1C posts the order, numbers it, registers the payment and sends the document back.
    answer = sent.body.decode("windows-1251").replace(
        "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Статус заказа</Наименование>", PAID, 1)
    reply = onec.call("sale", "file", answer.encode("windows-1251"), filename="documents___1.xml")
    assert reply.first == "success", reply.text
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_amount == Decimal("200.00")
    assert invoice.accounting_number == "УТ-000123" and invoice.is_posted
    payment = Payment.objects.get()
    assert payment.number == "ПП-77" and payment.date == dt.date(2026, 11, 20)
    updated_at = invoice.updated_at

    # The same document again (1C did not get our answer): nothing changes twice.
    again = onec.call("sale", "file", answer.encode("windows-1251"), filename="documents___1.xml")
    assert again.first == "success"
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.updated_at == updated_at
    # What 1C told us is not sent back to it.
    assert documents(onec.call("sale", "query").body) == 0
    assert OneCRequest.objects.filter(mode="query").first().answer == "success"


def test_query_without_success_sends_the_same_orders_again(onec, node):
    invoice = issued_invoice()
    onec.checkauth("sale")
    onec.init("sale")
    first = onec.call("sale", "query")
    assert documents(first.body) == 1
    # 1C failed to load them and never said success; the next exchange gets them again.
    later = type(onec)(onec.base.removesuffix("/exchange/1c/"))
    later.checkauth("sale")
    later.init("sale")
    second = later.call("sale", "query")
    assert documents(second.body) == 1 and str(invoice.pk) in second.body.decode("windows-1251")
    assert later.call("sale", "success").first == "success"
    assert documents(later.call("sale", "query").body) == 0


def test_orders_in_the_nodes_encoding(onec, node):
    issued_invoice()
    node.encoding = "utf-8"
    node.save()
    onec.checkauth("sale")
    reply = onec.call("sale", "query")
    assert reply.content_type == "application/xml; charset=utf-8"
    assert reply.body.decode("utf-8").count("<Документ>") == 1


def test_1c_is_told_what_was_applied_and_what_was_refused(onec, node):
    # findings #6: a refused transition used to roll the whole document back and still answer `success`.
    from raccordo.exchange.mappings import mapping_for, mapping_save
    from raccordo.sales.services import payment_record

    invoice = issued_invoice()
    payment_record(user=None, data={"counterparty": invoice.counterparty, "date": dt.date(2026, 11, 1),
                                    "amount": invoice.total, "currency": invoice.currency},
                   allocations=[(invoice, invoice.total)])
    onec.checkauth("sale")
    onec.init("sale")
    sent = onec.call("sale", "query").body.decode("windows-1251")
    cancelled = sent.replace(
        "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>Статус заказа</Наименование>",
        "<ЗначенияРеквизитов>"
        "<ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>УТ-000124</Значение></ЗначениеРеквизита>"
        "<ЗначениеРеквизита><Наименование>Проведен</Наименование><Значение>true</Значение></ЗначениеРеквизита>"
        "<ЗначениеРеквизита><Наименование>Статус заказа</Наименование>", 1).replace(
        "<Наименование>Отменен</Наименование><Значение>false</Значение>",
        "<Наименование>Отменен</Наименование><Значение>true</Значение>")
    reply = onec.call("sale", "file", cancelled.encode("windows-1251"), filename="documents___2.xml")
    assert reply.first == "success", reply.text
    assert "requisites: applied 3, refused 1" in reply.lines[1]
    assert "Отменен" in reply.text and "Reverse the payments first" in reply.text
    invoice.refresh_from_db()
    assert invoice.accounting_number == "УТ-000124" and invoice.is_posted and invoice.status == InvoiceStatus.PAID

    # The node is limited to another manager: the same invoice is now outside its scope, and 1C hears it.
    other = UserFactory(username="other")
    CounterpartyFactory(responsible=other, name="Other's client")
    data = mapping_for(node, "parties.counterparty")
    data.filters = {"managers": [str(other.pk)]}
    mapping_save(user=None, node=node, data=data)
    outside = cancelled.replace("УТ-000124", "УТ-000125")
    reply = onec.call("sale", "file", outside.encode("windows-1251"), filename="documents___3.xml")
    assert reply.first == "failure" and "not one of the managers" in reply.text, reply.text
    invoice.refresh_from_db()
    assert invoice.accounting_number == "УТ-000124"


def test_M2_M3_query_sends_the_nodes_scope_and_a_control_character_blocks_nothing(onec, node):
    # M2: a node limited to some managers used to be sent every order; M3: one control character in a
    # client's name made every query answer `failure`. Both over the live endpoint.
    from raccordo.exchange.mappings import mapping_for, mapping_save
    from raccordo.parties.models import Counterparty

    mine = issued_invoice()
    Counterparty.objects.filter(pk=mine.counterparty_id).update(name="Ctrl\x0bChar\x01Client")
    other = UserFactory(username="other")
    theirs = invoice_issue(user=other, invoice=invoice_create(
        user=other, data={"own_company": reference_data()["own_company"],
                          "counterparty": CounterpartyFactory(responsible=other, name="VIP client", is_vip=True)},
        lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))]))
    data = mapping_for(node, "parties.counterparty")
    data.filters = {"managers": [str(mine.counterparty.responsible_id)]}
    mapping_save(user=None, node=node, data=data)
    onec.checkauth("sale")
    onec.init("sale")
    sent = onec.call("sale", "query")
    assert sent.status == 200 and sent.content_type == "application/xml; charset=windows-1251", sent.body[:200]
    text = sent.body.decode("windows-1251")
    assert documents(sent.body) == 1 and str(mine.pk) in text and str(theirs.pk) not in text
    assert "Ctrl CharClient" in text and "VIP client" not in text
