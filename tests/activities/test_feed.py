"""The counterparty card's activity feed: one time line of its interactions, deal stage changes, invoices,
payments, tasks and 1C events, newest first, each line only for readers who may see its record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from raccordo.access.models import Department
from raccordo.access.policy import can
from raccordo.access.records import record_update
from raccordo.access.services import counterparty_share
from raccordo.activities.feed import feed_page, next_steps
from raccordo.activities.models import Interaction, TaskStatus
from raccordo.activities.services import interaction_log, reminder_create, task_create, task_update
from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.parties.services import counterparty_create
from raccordo.sales.services import LineInput, deal_create, deal_move, invoice_create, invoice_issue
from raccordo.sales.services.payments import invoice_payment_record
from tests import factories

pytestmark = pytest.mark.django_db


def _client_of(user, name, seed, **extra):
    return counterparty_create(user=user, data={"kind": "legal", "name": name, "inn": factories.inn10(seed), **extra})


@pytest.fixture
def story(manager, reference_data):
    """A client of `manager` with one of each kind of event, in a known order."""
    ref = reference_data
    cp = _client_of(manager, "Romashka", 301)
    deal = deal_create(user=manager, data={"title": "Pipes", "counterparty": cp, "amount": Decimal("1000")})
    deal_move(user=manager, deal=deal, stage=ref["stages"]["Proposal"])
    invoice = invoice_create(user=manager, data={
        "own_company": ref["own_company"], "counterparty": cp, "currency": "RUB", "date": timezone.localdate()},
        lines=[LineInput(description="Pipe", quantity=Decimal("2"), price=Decimal("500"))])
    invoice = invoice_issue(user=manager, invoice=invoice)
    invoice_payment_record(user=manager, invoice=invoice, amount=Decimal("1000"), date=timezone.localdate())
    task = task_create(user=manager, data={"title": "Send the contract", "counterparty": cp})
    task_update(user=manager, task=task, data={"status": TaskStatus.DONE})
    interaction_log(user=manager, data={"kind": "call", "subject": "Agreed the delivery date", "counterparty": cp})
    return {"cp": cp, "deal": deal, "invoice": invoice, "task": task}


def _titles(page):
    return [item.title for item in page.items]


def test_every_kind_newest_first_in_words(manager, story):
    with translation.override("en"):
        page = feed_page(user=manager, counterparty=story["cp"])
    kinds = [item.kind for item in page.items]
    assert kinds[0] == "call"          # logged last, so on top
    assert {"stage", "invoice", "payment", "task", "call"} <= set(kinds)
    assert [i.at for i in page.items] == sorted((i.at for i in page.items), reverse=True)
    titles = _titles(page)
    number = story["invoice"].number
    assert "Deal “Pipes” moved from “New” to “Proposal”" in titles
    assert f"Invoice {number} issued" in titles and f"Invoice {number} paid" in titles
    assert "Task “Send the contract” created" in titles and "Task “Send the contract” done" in titles
    payment = next(i for i in page.items if i.kind == "payment")
    assert payment.amount == Decimal("1000")
    assert not any("None" in t or "{" in t for t in titles)
    assert page.next_before is None


def test_words_in_the_readers_language(manager, story):
    with translation.override("ru"):
        titles = _titles(feed_page(user=manager, counterparty=story["cp"]))
    assert any(t.startswith("Сделка «Pipes»") or "Pipes" in t and "Сделка" in t for t in titles), titles
    assert any("Счёт" in t or "Счет" in t for t in titles), titles


def test_exchange_events_on_the_client(manager, story):
    with change_context(origin=Origin.EXCHANGE, node="bp"):
        record_update(story["cp"], user=None, data={"full_name": "LLC Romashka Plus"}, fields=["full_name"])
    with translation.override("en"):
        top = feed_page(user=manager, counterparty=story["cp"]).items[0]
    assert top.kind == "exchange" and top.from_exchange
    assert top.title == "Updated from 1C" and "full name" in top.detail


def test_pages_follow_each_other_without_gaps(manager, story):
    cp = story["cp"]
    for n in range(25):
        Interaction.objects.create(counterparty=cp, kind="note", subject=f"Note {n}", author=manager,
                                   occurred_at=timezone.now() - dt.timedelta(days=n + 1))
    first = feed_page(user=manager, counterparty=cp, size=10)
    assert len(first.items) == 10 and first.next_before is not None
    seen = _titles(first)
    before = first.next_before
    while before is not None:
        page = feed_page(user=manager, counterparty=cp, before=before, size=10)
        seen += _titles(page)
        before = page.next_before
    total = len(feed_page(user=manager, counterparty=cp, size=1000).items)
    assert len(seen) == total and len(set(seen)) == len(seen)


def test_another_manager_sees_only_what_the_policy_lets_them(manager, other_manager, story):
    cp = story["cp"]
    # Not shared: the other manager sees nothing of the client.
    assert feed_page(user=other_manager, counterparty=cp).items == []
    counterparty_share(user=manager, counterparty=cp, with_user=other_manager)
    page = feed_page(user=other_manager, counterparty=cp)
    kinds = {item.kind for item in page.items}
    # Shared: each line exactly when the policy lets them see its record.
    assert ("stage" in kinds) == can(other_manager, "view", story["deal"])
    assert ("invoice" in kinds) == can(other_manager, "view", story["invoice"])
    assert ("task" in kinds) == can(other_manager, "view", story["task"])


def test_head_sees_the_team_and_vip_stays_hidden(manager, other_manager, reference_data):
    russia, italy = Department.objects.create(name="Sales Russia"), Department.objects.create(name="Sales Italy")
    manager.department = russia
    manager.save()
    head = factories.UserFactory(role="head", department=russia)
    other_head = factories.UserFactory(role="head", department=italy)
    vip = _client_of(manager, "Big Boss", 401, is_vip=True)
    interaction_log(user=manager, data={"kind": "note", "subject": "Private chat", "counterparty": vip})
    assert _titles(feed_page(user=manager, counterparty=vip)) == ["Private chat"]
    assert _titles(feed_page(user=head, counterparty=vip)) == ["Private chat"]
    assert feed_page(user=other_manager, counterparty=vip).items == []
    assert feed_page(user=other_head, counterparty=vip).items == []


def test_a_page_costs_the_same_whatever_the_history(manager, story, reference_data):
    cp = story["cp"]
    feed_page(user=manager, counterparty=cp)      # content types cached, as on a running server
    with CaptureQueriesContext(connection) as small:
        feed_page(user=manager, counterparty=cp)
    for n in range(30):
        deal = deal_create(user=manager, data={"title": f"Deal {n}", "counterparty": cp})
        deal_move(user=manager, deal=deal, stage=reference_data["stages"]["Proposal"])
        interaction_log(user=manager, data={"kind": "note", "subject": f"Note {n}", "counterparty": cp})
    with CaptureQueriesContext(connection) as large:
        page = feed_page(user=manager, counterparty=cp)
    assert len(page.items) == 20 and page.next_before is not None
    # Interactions, journal, stage names, invoice numbers: at most four, the last two only when the page names any;
    # plus one for each source other apps register (SMS, mass e-mail), each a fixed cost.
    from raccordo.activities.feed import FEED_SOURCES

    limit = 4 + len(FEED_SOURCES)
    assert len(small.captured_queries) <= limit and len(large.captured_queries) <= limit


def test_next_steps_overdue_first(manager, story):
    cp = story["cp"]
    now = timezone.now()
    task_create(user=manager, data={"title": "Later", "counterparty": cp, "due_at": now + dt.timedelta(days=3)})
    task_create(user=manager, data={"title": "Late", "counterparty": cp, "due_at": now - dt.timedelta(days=1)})
    reminder_create(user=manager, data={"subject": "Ring back", "counterparty": cp, "start_at": now + dt.timedelta(days=1)})
    steps = next_steps(user=manager, counterparty=cp)
    assert [s.title for s in steps][:3] == ["Late", "Ring back", "Later"]
    assert steps[0].overdue and not steps[1].overdue
    assert "Send the contract" not in [s.title for s in steps]     # done


# --- The card and its composer --------------------------------------------------------------------------------

@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def test_composer_logs_in_place(manager_client, story):
    cp = story["cp"]
    response = manager_client.post(reverse("web:counterparty_log", args=[cp.pk]),
                                   {"kind": "call", "direction": "in", "subject": "Asked for a discount"},
                                   HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'hx-swap-oob="afterbegin:#feed-list"' in body and "Asked for a discount" in body
    assert Interaction.objects.filter(counterparty=cp, subject="Asked for a discount", author__isnull=False).exists()


def test_composer_refuses_empty_text_next_to_the_field(manager_client, story):
    cp = story["cp"]
    before = Interaction.objects.count()
    response = manager_client.post(reverse("web:counterparty_log", args=[cp.pk]),
                                   {"kind": "call", "direction": "out", "subject": "  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "hx-swap-oob" not in body
    assert 'id="id_subject"' in body and "is-invalid" in body
    assert Interaction.objects.count() == before


def test_card_opens_on_the_feed_and_keeps_every_action(manager_client, story):
    cp = story["cp"]
    response = manager_client.get(reverse("web:counterparty_detail", args=[cp.pk]))
    body = response.content.decode()
    assert 'id="feed-list"' in body and "Agreed the delivery date" in body
    for url in (reverse("web:counterparty_edit", args=[cp.pk]), reverse("web:invoice_create"),
                reverse("web:counterparty_payment", args=[cp.pk]), reverse("web:task_create"),
                reverse("web:reminder_create"), reverse("web:complaint_create"),
                reverse("web:counterparty_address_add", args=[cp.pk]),
                reverse("web:counterparty_bank_account_add", args=[cp.pk])):
        assert url in body, url
    assert body.count("btn-primary btn-sm\" href") <= 1


def test_show_more_answers_the_next_lines(manager_client, manager, story):
    cp = story["cp"]
    for n in range(25):
        interaction_log(user=manager, data={"kind": "note", "subject": f"Old note {n}", "counterparty": cp,
                                            "occurred_at": timezone.now() - dt.timedelta(days=30 + n)})
    card = manager_client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    assert 'id="feed-more"' in card and "Old note 24" not in card
    before = feed_page(user=manager, counterparty=cp).next_before
    more = manager_client.get(reverse("web:counterparty_feed", args=[cp.pk]), {"before": before.isoformat()})
    assert more.status_code == 200 and "Old note 24" in more.content.decode()
