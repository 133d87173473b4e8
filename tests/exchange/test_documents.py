"""1C's answer to an order, requisite by requisite; a refused transition is a conflict; the node's scope rules."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from django.test import Client
from django.urls import reverse

from raccordo.core.errors import ApplicationError
from raccordo.exchange.conflict_review import conflict_resolve, conflict_rows
from raccordo.exchange.conflicts import ACCOUNTING, CONFLICT, CRM
from raccordo.exchange.exporters.orders import orders_export
from raccordo.exchange.formats.commerceml import DocumentRec, read
from raccordo.exchange.importers.documents import REFUSED, REQUISITES
from raccordo.exchange.mappings import mapping_for, mapping_save
from raccordo.exchange.models import ConflictPolicy, RunItem
from raccordo.exchange.services import exchange_import, node_create
from raccordo.sales.models import Invoice, InvoiceStatus, Payment, PaymentAllocation
from raccordo.sales.services import LineInput, invoice_create, invoice_issue, payment_record
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = pytest.mark.django_db


def issued(manager, *, name: str = "Ромашка", vip: bool = False) -> Invoice:
    ref = reference_data()
    customer = CounterpartyFactory(responsible=manager, name=name, is_vip=vip)
    return invoice_issue(user=manager, invoice=invoice_create(
        user=manager, data={"own_company": ref["own_company"], "counterparty": customer},
        lines=[LineInput(description="Pump", quantity=Decimal("2"), price=Decimal("100"))]))


def paid(invoice: Invoice) -> Invoice:
    payment_record(user=None, data={"counterparty": invoice.counterparty, "date": dt.date(2026, 11, 1),
                                    "amount": invoice.total, "currency": invoice.currency, "number": "CRM-1"},
                   allocations=[(invoice, invoice.total)])
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    return invoice


def document(tmp_path, invoice_id: str, number: str, requisites: dict[str, str], name: str = "doc.xml"):
    """A status-only document from 1C about one of our orders (1C echoes our Ид), as UT 11 sends it."""
    values = "".join(f"<ЗначениеРеквизита><Наименование>{escape(k)}</Наименование><Значение>{escape(v)}</Значение>"
                     f"</ЗначениеРеквизита>" for k, v in requisites.items())
    xml = (f'<?xml version="1.0" encoding="windows-1251"?>\n<КоммерческаяИнформация ВерсияСхемы="2.08" '
           f'ДатаФормирования="2026-12-06T10:00:00"><Документ><Ид>{invoice_id}</Ид><Номер>{number}</Номер>'
           f"<Дата>2026-12-06</Дата><ХозОперация>Заказ товара</ХозОперация><Валюта>RUB</Валюта><Сумма>200</Сумма>"
           f"<ЗначенияРеквизитов>{values}</ЗначенияРеквизитов></Документ></КоммерческаяИнформация>")
    path = tmp_path / name
    path.write_bytes(xml.encode("windows-1251"))
    return path


ANSWER = {
    "Номер по 1С": "УТ-000042", "Дата по 1С": "2026-12-05T09:30:00", "Проведен": "true",
    "Дата отгрузки по 1С": "2026-12-06", "Номер отгрузки по 1С": "РН-7", "Отменен": "true",
}


def set_policy(node, policy: str, managers: list[str] | None = None) -> None:
    data = mapping_for(node, "parties.counterparty")
    data.conflict_policy = policy
    if managers is not None:
        data.filters = {"managers": managers}
    mapping_save(user=None, node=node, data=data)


def test_a_refused_cancellation_costs_nothing_else_and_waits_as_a_conflict(tmp_path, admin_user):
    # findings #6: 1C cancels an order the CRM holds as paid; before, nothing of the document was kept.
    manager = UserFactory(username="sales")
    invoice = paid(issued(manager))
    node = node_create(user=None, code="ut11", kind="onec-http")
    path = document(tmp_path, str(invoice.pk), invoice.number, ANSWER)

    run = exchange_import(paths=[path], node=node)
    invoice.refresh_from_db()
    assert (invoice.accounting_number, invoice.accounting_date, invoice.is_posted) == (
        "УТ-000042", dt.date(2026, 12, 5), True)
    assert (invoice.shipped_on, invoice.shipment_number) == (dt.date(2026, 12, 6), "РН-7")
    assert invoice.status == InvoiceStatus.PAID          # the sales rule stands: a paid invoice is not cancelled
    assert run.updated == 1 and run.failed == 0
    assert run.params[REQUISITES] == {"applied": 5, "refused": 1}
    (item,) = run.items.filter(outcome=CONFLICT)
    assert item.object_id == invoice.pk and item.changes == {"status": ["paid", "cancelled"]}
    assert item.resolution == "" and "Reverse the payments first" in item.message   # accounting wins, refused: ask
    (row,) = conflict_rows([item])
    assert (str(row.crm), str(row.accounting), row.waiting) == ("Paid", "Cancelled", True)
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("exchange:run_detail", args=[run.pk])).content.decode()
    assert "Reverse the payments first" in page and "Cancelled" in page and invoice.number in page

    # 1C sends the same answer again: nothing changes, nothing is asked twice.
    replay = exchange_import(paths=[path], node=node)
    assert replay.unchanged == 1 and not replay.items.exists()
    assert RunItem.objects.filter(outcome=CONFLICT).count() == 1


def test_the_crm_wins_policy_settles_the_refused_transition(tmp_path):
    manager = UserFactory(username="sales")
    invoice = paid(issued(manager))
    node = node_create(user=None, code="ut11", kind="onec-http")
    set_policy(node, ConflictPolicy.CRM_WINS)
    run = exchange_import(paths=[document(tmp_path, str(invoice.pk), invoice.number, {"Отменен": "true"})], node=node)
    (item,) = run.items.filter(outcome=CONFLICT)
    assert item.resolution == CRM and item.code == "exchange.conflict.crm"
    assert "The CRM wins" in item.message


def test_taking_accountings_status_goes_through_the_sales_services(tmp_path, admin_user):
    manager = UserFactory(username="sales")
    invoice = paid(issued(manager))
    node = node_create(user=None, code="ut11", kind="onec-http")
    set_policy(node, ConflictPolicy.ASK)
    run = exchange_import(paths=[document(tmp_path, str(invoice.pk), invoice.number, {"Отменен": "true"})], node=node)
    item = run.items.get(outcome=CONFLICT)
    # Choosing accounting's "cancelled" is refused while the payment stands: no rule is written over.
    with pytest.raises(ApplicationError) as refused:
        conflict_resolve(user=admin_user, item=item, choice=ACCOUNTING)
    assert refused.value.code == "sales.invoice.has_payments"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    # The payment is taken back (as a bookkeeper would); now accounting's status can be taken.
    PaymentAllocation.objects.filter(invoice=invoice).delete()
    Invoice.objects.filter(pk=invoice.pk).update(paid_amount=0, status=InvoiceStatus.ISSUED)
    item.changes = {"status": ["issued", "cancelled"]}
    item.save(update_fields=["changes"])
    conflict_resolve(user=admin_user, item=item, choice=ACCOUNTING)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
    item.refresh_from_db()
    assert item.resolution == ACCOUNTING and item.resolved_by == admin_user


def test_an_unreadable_requisite_is_skipped_with_its_reason_and_the_rest_applies(tmp_path):
    manager = UserFactory(username="sales")
    invoice = issued(manager)
    node = node_create(user=None, code="ut11", kind="onec-http")
    path = document(tmp_path, str(invoice.pk), invoice.number, {
        "Номер по 1С": "УТ-7", "Дата по 1С": "someday", "Дата оплаты по 1С": "2026-12-06", "Номер оплаты по 1С": "ПП-1"})
    run = exchange_import(paths=[path], node=node)
    invoice.refresh_from_db()
    assert invoice.accounting_number == "УТ-7" and invoice.accounting_date is None
    assert invoice.status == InvoiceStatus.PAID and Payment.objects.get(number="ПП-1").amount == invoice.total
    (item,) = run.items.all()
    assert item.outcome == "skipped" and item.code == "exchange.document.requisite"
    assert "Дата по 1С" in item.message and "someday" in item.message
    assert run.params[REQUISITES] == {"applied": 2, "refused": 1}


def test_a_payment_for_a_cancelled_order_is_a_conflict_too(tmp_path):
    manager = UserFactory(username="sales")
    invoice = issued(manager)
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.CANCELLED)
    node = node_create(user=None, code="ut11", kind="onec-http")
    run = exchange_import(paths=[document(tmp_path, str(invoice.pk), invoice.number, {
        "Номер по 1С": "УТ-8", "Дата оплаты по 1С": "2026-12-06"})], node=node)
    invoice.refresh_from_db()
    assert invoice.accounting_number == "УТ-8" and invoice.status == InvoiceStatus.CANCELLED
    assert not Payment.objects.exists()
    (item,) = run.items.filter(outcome=CONFLICT)
    assert item.changes == {"status": ["cancelled", "paid"]} and "not awaiting payment" in item.message


# --- the node's scope (findings M2) ------------------------------------------------------------------------------


@pytest.fixture
def limited(db):
    """Node ut5 limited to giulia's counterparties; dmitry has a VIP client with an issued invoice."""
    giulia, dmitry = UserFactory(username="giulia"), UserFactory(username="dmitry")
    hers, his = issued(giulia, name="Giulia's client"), issued(dmitry, name="VIP client", vip=True)
    node = node_create(user=None, code="ut5", kind="onec-http")
    set_policy(node, ConflictPolicy.ACCOUNTING_WINS, managers=[str(giulia.pk)])
    return node, hers, his


def test_M2_a_node_is_sent_only_the_invoices_of_its_managers(limited):
    node, hers, his = limited
    out = io.BytesIO()
    assert orders_export(node=node, out=out) == 1
    docs = [r for r in read(out.getvalue()) if isinstance(r, DocumentRec)]
    assert [d.id for d in docs] == [str(hers.pk)]
    assert "VIP client" not in out.getvalue().decode("windows-1251")


def test_M2_a_document_about_an_invoice_outside_the_scope_is_refused(limited, tmp_path, admin_user):
    node, hers, his = limited
    # The forged document of the report: by number, with a made-up Ид, marking dmitry's invoice paid.
    path = document(tmp_path, "forged-1", his.number, {
        "Номер по 1С": "FORGED-1", "Дата оплаты по 1С": "2026-12-06", "Номер оплаты по 1С": "FAKE-PAY"})
    run = exchange_import(paths=[path], node=node)
    his.refresh_from_db()
    assert his.status == InvoiceStatus.ISSUED and his.accounting_number == "" and not Payment.objects.exists()
    assert (run.updated, run.skipped) == (0, 1)
    (item,) = run.items.all()
    assert item.outcome == REFUSED and item.code == "exchange.document.out_of_scope" and item.object_id is None
    assert his.number in item.message
    refused_run = run
    # Also by our own id: the scope is the invoice's, however it is found.
    run = exchange_import(paths=[document(tmp_path, str(his.pk), his.number, {"Отменен": "true"}, "b.xml")],
                          node=node)
    assert run.items.get().outcome == REFUSED
    his.refresh_from_db()
    assert his.status == InvoiceStatus.ISSUED
    # Giulia's own invoice still takes 1C's answer.
    run = exchange_import(paths=[document(tmp_path, str(hers.pk), hers.number, {"Номер по 1С": "УТ-1"}, "c.xml")],
                          node=node)
    hers.refresh_from_db()
    assert run.updated == 1 and hers.accounting_number == "УТ-1"

    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert 'data-testid="node-refused"' in page and "forged-1" in page and his.number in page
    assert "not one of the managers" in client.get(reverse("exchange:run_detail", args=[refused_run.pk])).content.decode()


def test_the_command_line_counts_requisites_and_says_what_was_refused(tmp_path):
    import json

    from django.core.management import call_command

    manager = UserFactory(username="sales")
    invoice = paid(issued(manager))
    node_create(user=None, code="ut11", kind="onec-http")
    path = document(tmp_path, str(invoice.pk), invoice.number, {"Номер по 1С": "УТ-9", "Отменен": "true"})
    out = io.StringIO()
    call_command("exchange", "import", str(path), "--node", "ut11", "--json", "--no-keep", stdout=out)
    report = json.loads(out.getvalue())
    assert report["updated"] == 1 and report["requisites"] == {"applied": 1, "refused": 1}
    out = io.StringIO()
    call_command("exchange", "import", str(path), "--node", "ut11", "--no-keep", stdout=out)
    assert "unchanged 1" in out.getvalue() and "requisites applied 0, refused 0" in out.getvalue()
