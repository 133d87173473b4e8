"""The orders export never skips a change that commits after a later-numbered one (PostgreSQL only).

Two real connections (psycopg, outside Django) write the change journal the way two services in two
requests do: one holds an uncommitted entry with the lower position while the other commits a higher
one and an export runs. Before, the export took Max(seq) as its cursor and the first change was lost.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from raccordo.exchange.exporters.horizon import journal_horizon
from raccordo.exchange.exporters.orders import orders_acknowledge, orders_export
from raccordo.exchange.models import ExchangeNode, JournalGap
from raccordo.exchange.services import node_create
from raccordo.sales.models import Invoice
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.factories import CounterpartyFactory, UserFactory, reference_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pg():
    """A function opening another real connection to the test database (not autocommit)."""
    if connection.vendor != "postgresql":
        pytest.skip("commit order only differs from position order with concurrent writers: PostgreSQL")
    import psycopg

    opened = []
    s = connection.settings_dict

    def connect():
        conn = psycopg.connect(host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"],
                               password=s["PASSWORD"] or None, dbname=s["NAME"], autocommit=False)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


def journal_write(conn, invoice: Invoice) -> int:
    """What a service writes for a change of `invoice` (core.journal.journal_record), on `conn`."""
    ct = ContentType.objects.get_for_model(Invoice).pk
    row = conn.execute(
        "INSERT INTO core_changejournal (at, content_type_id, object_id, object_repr, operation, changes, origin,"
        " node, request_id) VALUES (now(), %s, %s, %s, 'update', '{\"comment\": [\"\", \"x\"]}', 'ui', '', '')"
        " RETURNING seq", [ct, invoice.pk, str(invoice)[:255]]).fetchone()
    return row[0]


def sent(node: ExchangeNode) -> set[str]:
    out = io.BytesIO()
    orders_export(node=node, out=out)
    text = out.getvalue().decode("windows-1251")
    return {str(pk) for pk in Invoice.objects.values_list("pk", flat=True) if str(pk) in text}


@pytest.fixture
def two_orders():
    ref = reference_data()
    manager = UserFactory(username="sales")

    def issued(name: str) -> Invoice:
        return invoice_issue(user=manager, invoice=invoice_create(
            user=manager, data={"own_company": ref["own_company"],
                                "counterparty": CounterpartyFactory(responsible=manager, name=name)},
            lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("10"))]))

    first, second = issued("First"), issued("Second")
    node = node_create(user=None, code="ut11", kind="onec-http")
    assert orders_export(node=node, out=io.BytesIO(), acknowledge=True) == 2   # both known to 1C already
    return node, first, second


def test_a_change_committed_after_a_later_one_is_sent_by_the_next_export(pg, two_orders):
    node, first, second = two_orders
    slow, fast = pg(), pg()
    low = journal_write(slow, first)         # still open
    high = journal_write(fast, second)
    fast.commit()
    assert low < high

    # The export sees `high` but not `low`: it may not move past `low`, so it sends neither yet.
    assert sent(node) == set()
    node.refresh_from_db()
    assert node.pending_cursor < low
    orders_acknowledge(node=node)
    assert JournalGap.objects.filter(first_seq__lte=low, last_seq__gte=low).exists()

    slow.commit()
    assert sent(node) == {str(first.pk), str(second.pk)}
    node.refresh_from_db()
    assert node.pending_cursor >= high
    orders_acknowledge(node=node)
    assert sent(node) == set()


def test_a_position_whose_writer_rolled_back_does_not_hold_the_export_back(pg, two_orders):
    node, first, second = two_orders
    slow, fast = pg(), pg()
    low = journal_write(slow, first)
    high = journal_write(fast, second)
    fast.commit()
    assert sent(node) == set()                # `low` may still come
    slow.rollback()                           # it never will
    assert sent(node) == {str(second.pk)}
    node.refresh_from_db()
    assert node.pending_cursor >= high > low


def test_without_writers_in_flight_the_horizon_is_the_newest_entry(pg, two_orders):
    node, first, second = two_orders
    other = pg()
    # A rolled-back write leaves a hole below a committed one; nobody holds it, so it settles at once.
    journal_write(other, first)
    other.rollback()
    high = journal_write(other, second)
    other.commit()
    node.refresh_from_db()
    assert journal_horizon(node.export_cursor) == high
