"""Lists and cards run a bounded number of queries: ten times the records must not mean more queries.

Each page is rendered with a small and a ten-times-larger data set for the same manager; the
query count may not grow with the rows shown (an N+1 regression fails here, not in production).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from raccordo.activities.models import Interaction, Task
from raccordo.parties.models import Email, Phone
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.factories import ContactPersonFactory, CounterpartyFactory, deal_for, product_with_stock

pytestmark = pytest.mark.django_db

LISTS = ["web:dashboard", "web:counterparty_list", "web:contact_list", "web:deal_list", "web:invoice_list",
         "web:task_list", "web:product_list", "web:board", "web:receivables", "web:complaint_list", "web:calendar"]


def _populate(manager, ref, n: int, start: int) -> list:
    clients = []
    for i in range(start, start + n):
        cp = CounterpartyFactory(responsible=manager, name=f"Client {i:04d}")
        Phone.objects.create(counterparty=cp, number=f"+7495{1000000 + i}")
        Email.objects.create(counterparty=cp, address=f"c{i}@example.com")
        ContactPersonFactory(counterparty=cp)
        deal_for(cp, ref, title=f"Deal {i}", amount=Decimal("100"))
        invoice_issue(user=manager, invoice=invoice_create(user=manager, data={
            "own_company": ref["own_company"], "counterparty": cp},
            lines=[LineInput(description="x", quantity=Decimal("1"), price=Decimal("10"))]))
        Task.objects.create(title=f"Call {i}", assignee=manager, counterparty=cp, due_at=timezone.now())
        Interaction.objects.create(counterparty=cp, subject=f"Call {i}", occurred_at=timezone.now(),
                                   author=manager)
        product_with_stock(ref, name=f"Product {i}")
        clients.append(cp)
    return clients


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.fixture
def counts(client, manager, reference_data):
    """Query counts per page with 2 and then 20 records of every kind."""
    client.force_login(manager)
    small_clients = _populate(manager, reference_data, 2, 0)
    small = {name: _count(client, reverse(name)) for name in LISTS}
    small_card = _count(client, reverse("web:counterparty_detail", args=[small_clients[0].pk]))
    _populate(manager, reference_data, 18, 2)
    large = {name: _count(client, reverse(name)) for name in LISTS}
    # The card of one client with ten times the contacts, deals, invoices, tasks and calls.
    _more_of_everything(small_clients[0], manager, reference_data, 10)
    large_card = _count(client, reverse("web:counterparty_detail", args=[small_clients[0].pk]))
    return small, large, small_card, large_card


def _more_of_everything(cp, manager, ref, n: int) -> None:
    for i in range(n):
        ContactPersonFactory(counterparty=cp)
        Phone.objects.create(counterparty=cp, number=f"+7916{2000000 + i}")
        deal_for(cp, ref, title=f"More {i}", amount=Decimal("5"))
        invoice_issue(user=manager, invoice=invoice_create(user=manager, data={
            "own_company": ref["own_company"], "counterparty": cp},
            lines=[LineInput(description="y", quantity=Decimal("2"), price=Decimal("3"))]))
        Task.objects.create(title=f"More {i}", assignee=manager, counterparty=cp, due_at=timezone.now())
        Interaction.objects.create(counterparty=cp, subject=f"More {i}", occurred_at=timezone.now(), author=manager)


def test_list_pages_do_not_query_per_row(counts):
    small, large, _sc, _lc = counts
    grown = {name: (small[name], large[name]) for name in LISTS if large[name] > small[name]}
    assert grown == {}, f"queries grew with the rows shown (2 -> 20 records): {grown}"


def test_card_does_not_query_per_related_row(counts):
    _s, _l, small_card, large_card = counts
    assert large_card <= small_card


def test_invoice_and_deal_cards_do_not_query_per_line(client, manager, reference_data):
    client.force_login(manager)
    cp = CounterpartyFactory(responsible=manager)
    products = [product_with_stock(reference_data, name=f"P{i}") for i in range(12)]

    def invoice_with(n):
        return invoice_create(user=manager, data={"own_company": reference_data["own_company"], "counterparty": cp},
                              lines=[LineInput(product=products[i], quantity=Decimal("1"), price=Decimal("7"))
                                     for i in range(n)])

    one, many = invoice_with(1), invoice_with(12)
    assert (_count(client, reverse("web:invoice_detail", args=[many.pk]))
            <= _count(client, reverse("web:invoice_detail", args=[one.pk])))
    deal = deal_for(cp, reference_data)
    from raccordo.sales.services import deal_set_lines

    deal_set_lines(user=manager, deal=deal, lines=[LineInput(product=products[0], quantity=Decimal("1"),
                                                             price=Decimal("1"))])
    few = _count(client, reverse("web:deal_detail", args=[deal.pk]))
    deal_set_lines(user=manager, deal=deal, lines=[LineInput(product=p, quantity=Decimal("1"), price=Decimal("1"))
                                                   for p in products])
    assert _count(client, reverse("web:deal_detail", args=[deal.pk])) <= few


# --- Cards: one record with few and with many related rows (and history) ---------------------------------------

def _card_counts(client, url: str, grow) -> tuple[int, int]:
    few = _count(client, url)
    grow()
    return few, _count(client, url)


def test_contact_card_does_not_query_per_related_row(client, manager, reference_data):
    from raccordo.activities.services import interaction_log
    from raccordo.parties.services import contact_update, email_add, phone_add

    client.force_login(manager)
    cp = CounterpartyFactory(responsible=manager)
    contact = ContactPersonFactory(counterparty=cp)

    def grow():
        for i in range(10):
            phone_add(user=manager, counterparty=cp, contact=contact, number=f"+7916{3000000 + i}")
            email_add(user=manager, counterparty=cp, contact=contact, address=f"p{i}@example.com")
            interaction_log(user=manager, data={"kind": "call", "subject": f"Call {i}", "counterparty": cp,
                                                "contact": contact})
            deal_for(cp, reference_data, title=f"Deal {i}", contact=contact)
            contact_update(user=manager, contact=contact, data={"position": f"Position {i}"})

    few, many = _card_counts(client, reverse("web:contact_detail", args=[contact.pk]), grow)
    assert many <= few


def test_product_card_does_not_query_per_price_or_warehouse(client, admin_user, reference_data):
    from raccordo.catalog.models import PriceType, Warehouse
    from raccordo.catalog.services import price_set, product_update, stock_set

    client.force_login(admin_user)
    product = product_with_stock(reference_data, name="Valve")

    def grow():
        for i in range(10):
            price_set(user=admin_user, product=product, price_type=PriceType.objects.create(name=f"Type {i}"),
                      value=Decimal("5"))
            stock_set(user=admin_user, product=product, warehouse=Warehouse.objects.create(name=f"Store {i}"),
                      quantity=Decimal("2"))
            product_update(user=admin_user, product=product, data={"name": f"Valve {i}"})

    few, many = _card_counts(client, reverse("web:product_detail", args=[product.pk]), grow)
    assert many <= few


def test_task_card_does_not_query_per_history_entry(client, manager, reference_data):
    from raccordo.activities.services import task_create, task_update

    client.force_login(manager)
    task = task_create(user=manager, data={"title": "Call", "counterparty": CounterpartyFactory(responsible=manager)})

    def grow():
        for i in range(10):
            task_update(user=manager, task=task, data={"title": f"Call {i}"})

    few, many = _card_counts(client, reverse("web:task_detail", args=[task.pk]), grow)
    assert many <= few


def test_complaint_card_does_not_query_per_history_entry(client, manager, reference_data):
    from raccordo.activities.services import complaint_register, complaint_update

    client.force_login(manager)
    complaint = complaint_register(user=manager, data={"subject": "Leak", "counterparty":
                                                       CounterpartyFactory(responsible=manager)})

    def grow():
        for i in range(10):
            complaint_update(user=manager, complaint=complaint, data={"description": f"More detail {i}"})

    few, many = _card_counts(client, reverse("web:complaint_detail", args=[complaint.pk]), grow)
    assert many <= few


def test_payment_form_does_not_query_per_open_invoice(client, manager, reference_data):
    client.force_login(manager)
    cp = CounterpartyFactory(responsible=manager)

    def invoice():
        return invoice_issue(user=manager, invoice=invoice_create(user=manager, data={
            "own_company": reference_data["own_company"], "counterparty": cp},
            lines=[LineInput(description="x", quantity=Decimal("1"), price=Decimal("10"))]))

    invoice()
    url = reverse("web:counterparty_payment", args=[cp.pk])
    few = _count(client, url)
    for _ in range(10):
        invoice()
    assert _count(client, url) <= few


def test_admin_lists_do_not_query_per_row(client, admin_user, manager, reference_data):
    """The audit log and the exchange runs: lists of administrators, guarded like the others."""
    from raccordo.exchange.models import Run

    client.force_login(admin_user)
    pages = ["web:audit", "exchange:run_list"]

    def populate(n, start):
        _populate(manager, reference_data, n, start)
        for _ in range(n):
            Run.objects.create(kind="import", user=admin_user)

    # More than a page of journal entries and runs from the start: a list that fits one page is not even
    # counted, which would make the small case one query cheaper than the large one.
    from raccordo.parties.services import tag_get_or_create

    for i in range(30):
        tag_get_or_create(user=admin_user, name=f"tag {i}")
        Run.objects.create(kind="import", user=admin_user)
    populate(2, 100)
    small = {name: _count(client, reverse(name)) for name in pages}
    populate(18, 102)
    large = {name: _count(client, reverse(name)) for name in pages}
    grown = {name: (small[name], large[name]) for name in pages if large[name] > small[name]}
    assert grown == {}, f"queries grew with the rows shown: {grown}"


def test_global_search_does_not_query_per_result(client, manager, reference_data):
    client.force_login(manager)
    url = reverse("web:search") + "?q=Client"
    _populate(manager, reference_data, 2, 200)
    few = _count(client, url)
    _populate(manager, reference_data, 18, 202)
    assert _count(client, url) <= few
