"""Webhooks over real HTTP: a receiver on loopback gets a scripted day's events in order, signed, even after being
down for part of the day; a manager's subscription hears only of that manager's clients."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from raccordo.core.errors import PermissionDenied
from raccordo.exchange.engine import finish_run, start_run
from raccordo.parties.services import counterparty_create, counterparty_delete
from raccordo.sales.services.deals import deal_create, deal_move
from raccordo.sales.services.invoices import invoice_create, invoice_issue
from raccordo.sales.services.lines import LineInput
from raccordo.sales.services.payments import payment_record
from raccordo.webhooks import services
from raccordo.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.factories import UserFactory, reference_data

SECRET = "whsec-test-0123456789"


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records what it is sent, and answers 503 while `down`."""

    def __init__(self):
        self.received: list[dict] = []
        self.down = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _valid(item) -> bool:
    header = item["headers"]["X-Raccordo-Signature"]
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + item["body"], hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def _drain(now, rounds=40, step=dt.timedelta(minutes=5)):
    """The worker's rounds, the clock moving on by `step` each time (backoff waits are at most an hour)."""
    for _ in range(rounds):
        services.run_all(now=now)
        now += step
    return now


@pytest.mark.django_db(transaction=True)
def test_a_scripted_day_arrives_in_order_signed_after_the_receiver_was_down(receiver, admin_user):
    ref = reference_data()
    anna = UserFactory(username="anna", role="manager")
    sub = services.subscription_create(user=admin_user, data={
        "name": "ERP", "url": receiver.url, "secret": SECRET, "owner": admin_user,
        "events": ["record.created", "record.changed", "record.deleted", "deal.stage_changed", "invoice.paid",
                   "exchange.run_finished"],
        "record_types": ["parties.counterparty", "sales.deal", "sales.invoice", "sales.payment"]})
    now = timezone.now()
    # Morning: a client and a deal.
    client = counterparty_create(user=anna, data={"name": "Romashka", "inn": "7707083893", "responsible": anna})
    deal = deal_create(user=anna, data={"title": "Pumps", "counterparty": client, "funnel": ref["funnel"],
                                        "stage": ref["stages"]["New"], "amount": Decimal("100")})
    _drain(now, rounds=2)
    assert len(receiver.received) == 2
    # Midday: the receiver is down while the deal moves, an invoice is issued and paid, 1C exchanges.
    receiver.down = True
    deal_move(user=anna, deal=deal, stage=ref["stages"]["Proposal"])
    invoice = invoice_create(user=anna, data={"own_company": ref["own_company"], "counterparty": client,
                                              "currency": "RUB", "deal": deal},
                             lines=[LineInput(description="Pump", quantity=Decimal("1"), price=Decimal("100"))])
    invoice_issue(user=anna, invoice=invoice)
    payment_record(user=anna, data={"counterparty": client, "date": timezone.localdate(), "amount": Decimal("100"),
                                    "currency": "RUB"})
    finish_run(start_run(node=None, kind="import"))
    now = _drain(now + dt.timedelta(minutes=10), rounds=3, step=dt.timedelta(minutes=1))
    assert WebhookDelivery.objects.filter(subscription=sub, status=DeliveryStatus.PENDING).exists()
    # Evening: it is back; a throwaway client is created and deleted.
    receiver.down = False
    other = counterparty_create(user=anna, data={"name": "Throwaway", "responsible": anna})
    counterparty_delete(user=anna, counterparty=other)
    _drain(now + dt.timedelta(hours=1))

    bodies = [json.loads(item["body"]) for item in receiver.received]
    assert all(_valid(item) for item in receiver.received)
    events = [(b["event"], b["object"]["type"]) for b in bodies]
    assert ("deal.stage_changed", "sales.deal") in events
    assert ("invoice.paid", "sales.invoice") in events
    assert ("exchange.run_finished", "exchange.run") in events
    assert ("record.deleted", "parties.counterparty") in events
    assert not WebhookDelivery.objects.filter(subscription=sub).exclude(status=DeliveryStatus.DELIVERED).exists()
    # Every event once, each record's events in journal order.
    ids = [b["id"] for b in bodies]
    assert len(ids) == len(set(ids)) == WebhookDelivery.objects.filter(subscription=sub).count()
    by_record: dict = {}
    for b in bodies:
        if "seq" in b:
            by_record.setdefault(b["object"]["id"], []).append(b["seq"])
    assert all(seqs == sorted(seqs) for seqs in by_record.values())
    # A failed attempt was logged and retried.
    assert WebhookDelivery.objects.filter(subscription=sub, attempts__gt=1).exists()


@pytest.mark.django_db(transaction=True)
def test_a_managers_subscription_hears_only_of_that_managers_clients(receiver, admin_user):
    anna = UserFactory(username="anna", role="manager")
    marco = UserFactory(username="marco", role="manager")
    services.subscription_create(user=admin_user, data={
        "name": "Anna's tool", "url": receiver.url, "secret": SECRET, "owner": anna, "events": ["record.created"]})
    counterparty_create(user=anna, data={"name": "Anna's client", "responsible": anna})
    counterparty_create(user=marco, data={"name": "Marco's client", "responsible": marco})
    _drain(timezone.now(), rounds=2)
    names = [json.loads(i["body"])["object"]["repr"] for i in receiver.received]
    assert "Anna's client" in names and "Marco's client" not in names


@pytest.mark.django_db
def test_only_administrators_subscribe_and_a_bad_url_is_refused(admin_user):
    manager = UserFactory(username="m1", role="manager")
    with pytest.raises(PermissionDenied):
        services.subscription_create(user=manager, data={"name": "x", "url": "http://127.0.0.1/", "owner": manager,
                                                         "events": ["record.created"]})
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.subscription_create(user=admin_user, data={"name": "x", "url": "file:///etc/passwd",
                                                            "owner": admin_user, "events": ["nope"]})
    assert set(caught.value.message_dict) >= {"url", "events"}


@pytest.mark.django_db(transaction=True)
def test_replay_sends_a_delivery_again(receiver, admin_user):
    sub = services.subscription_create(user=admin_user, data={
        "name": "ERP", "url": receiver.url, "secret": SECRET, "owner": admin_user, "events": ["record.created"]})
    counterparty_create(user=admin_user, data={"name": "Once"})
    _drain(timezone.now(), rounds=1)
    [delivery] = WebhookDelivery.objects.filter(subscription=sub)
    services.replay(user=admin_user, delivery=delivery)
    _drain(timezone.now() + dt.timedelta(seconds=1), rounds=1)
    assert [json.loads(i["body"])["id"] for i in receiver.received] == [delivery.pk, delivery.pk]


@pytest.mark.django_db
def test_a_gap_in_the_journal_holds_later_entries_back_until_it_is_old(admin_user):
    from raccordo.core.models import ChangeJournal

    sub = services.subscription_create(user=admin_user, data={
        "name": "ERP", "url": "http://127.0.0.1:9/", "secret": SECRET, "owner": admin_user,
        "events": ["record.created"]})
    client = counterparty_create(user=admin_user, data={"name": "After the gap"})
    entry = ChangeJournal.objects.filter(object_id=client.pk).get()
    # Another transaction took the position before this one and has not committed yet: move ours past a gap.
    ChangeJournal.objects.filter(pk=entry.pk).update(seq=entry.seq + 3)
    now = timezone.now()
    assert services.collect(sub, now=now) == 0
    assert services.collect(sub, now=now + dt.timedelta(minutes=2)) == 1
    sub.refresh_from_db()
    assert sub.journal_seq == entry.seq + 3
