"""Automation rules with the clock injected: a rule fires on a deal's stage change and on a 1C status change
imported from a real CommerceML file through the importer, each change once, and never on its own changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from raccordo.activities.models import Reminder, Task
from raccordo.core.models import ChangeJournal, Origin
from raccordo.exchange.nodes import node_create
from raccordo.exchange.services import exchange_import
from raccordo.parties.services import email_add
from raccordo.processes.models import AutomationRule, RuleFiring
from raccordo.processes.services import automation_pass, rule_save, rule_switch
from raccordo.sales.models import Invoice
from raccordo.sales.services import deal_move
from tests import corpus
from tests.factories import CounterpartyFactory, deal_for, reference_data

pytestmark = pytest.mark.django_db

BITRIX_ORDERS = "irpsv__commerceml__bitrix-module-6_documents_2_documents.xml"
ONEC_ORDERS = "irpsv__commerceml__off-doc-1c_orders.xml"


def corpus_file(name: str):
    files = corpus.commerceml_files()
    if name not in files:
        pytest.skip(f"{name}: a file of the shared corpus, which is not at {corpus.SHARED_COMMERCEML}")
    return files[name]


def action(kind: str, **fields) -> dict:
    return {"kind": kind, "assignee_kind": "responsible", "days": 1, **fields}


@pytest.fixture
def sales(team):
    ref = reference_data()
    client = CounterpartyFactory(name="Romashka LLC", responsible=team["anna"])
    return {**team, "ref": ref, "stages": ref["stages"], "client": client,
            "big": deal_for(client, ref, title="Big order", amount=50000),
            "small": deal_for(client, ref, title="Small order", amount=500)}


def test_a_rule_fires_on_a_stage_change_once(sales, clock):
    rule = rule_save(user=sales["admin"], data={"name": "Offer for big deals", "trigger": "deal_stage",
                                                "trigger_stage": sales["stages"]["Proposal"]},
                     conditions_text="amount > 10000", actions=[
                         action("create_task", text="Send the offer", days=2),
                         action("notify_user", text="A big deal reached Proposal", assignee_kind="role",
                                assignee_role="head")])
    deal_move(user=sales["anna"], deal=sales["big"], stage=sales["stages"]["Proposal"])
    deal_move(user=sales["anna"], deal=sales["small"], stage=sales["stages"]["Proposal"])
    deal_move(user=sales["anna"], deal=sales["big"], stage=sales["stages"]["Negotiation"])   # another stage
    result = automation_pass(now=clock.now)
    assert result.fired == 1
    task = Task.objects.get(title__startswith="Send the offer")
    assert (task.assignee, task.deal) == (sales["anna"], sales["big"])
    assert Reminder.objects.filter(user=sales["head"], subject__startswith="A big deal").count() == 1
    firing = RuleFiring.objects.get(rule=rule)
    assert firing.object_id == sales["big"].pk and not firing.failed and len(firing.results) == 2
    # Journaled as the system, the rule named in the request id; nothing fires twice on another pass.
    entry = ChangeJournal.objects.get(object_id=task.pk)
    assert entry.origin == Origin.SYSTEM and entry.request_id == f"rule:{rule.pk}"
    assert ChangeJournal.objects.filter(object_id=firing.pk).exists()
    assert automation_pass(now=clock.advance(minutes=1)).fired == 0


def test_rules_never_trigger_on_their_own_changes(sales, clock):
    stages = sales["stages"]
    ping = rule_save(user=sales["admin"], data={"name": "Back to proposal", "trigger": "deal_stage",
                                                "trigger_stage": stages["Negotiation"]},
                     conditions_text="", actions=[action("change_field", field="stage", value="Proposal")])
    pong = rule_save(user=sales["admin"], data={"name": "On to negotiation", "trigger": "deal_stage",
                                                "trigger_stage": stages["Proposal"]},
                     conditions_text="title = Small order",
                     actions=[action("change_field", field="stage", value="Negotiation")])
    # A rule for any stage that moves the deal: its own move would trigger it again.
    selfish = rule_save(user=sales["admin"], data={"name": "Always to proposal", "trigger": "deal_stage"},
                        conditions_text="title = Big order\nstage != Proposal",
                        actions=[action("change_field", field="stage", value="Proposal")])
    deal_move(user=sales["anna"], deal=sales["small"], stage=stages["Negotiation"])
    deal_move(user=sales["anna"], deal=sales["big"], stage=stages["Won"])
    for _minute in range(5):
        automation_pass(now=clock.advance(minutes=1))
    sales["small"].refresh_from_db()
    sales["big"].refresh_from_db()
    assert sales["small"].stage == stages["Proposal"] and sales["big"].stage == stages["Proposal"]
    counts = {r.name: RuleFiring.objects.filter(rule=r).count() for r in (ping, pong, selfish)}
    assert counts == {"Back to proposal": 1, "On to negotiation": 0, "Always to proposal": 1}


def test_tell_the_client_when_1c_ships_the_order(team, clock):
    """The shipped rule, switched on, on the real Bitrix/1C order documents: K479 and K481 are shipped, L319 and
    K480 not (K480's client has an e-mail in the file, and gets nothing)."""
    reference_data()
    rule = AutomationRule.objects.get(code="onec-shipped")
    rule_switch(user=team["admin"], rule=rule, active=True)
    node = node_create(user=None, code="bx", kind="folder")
    exchange_import(paths=[corpus_file(BITRIX_ORDERS)], node=node)
    shipped = list(Invoice.objects.filter(shipped_on__isnull=False).order_by("accounting_number"))
    assert [i.accounting_number for i in shipped] == ["K479", "K481"]
    for n, invoice in enumerate(shipped):
        if not invoice.counterparty.emails.exists():
            email_add(user=None, counterparty=invoice.counterparty, address=f"buyer{n}@store.example")
    mail.outbox.clear()

    assert automation_pass(now=clock.now).fired == 2
    assert len(mail.outbox) == 2
    for invoice in shipped:
        message = next(m for m in mail.outbox if invoice.number in m.subject)
        assert message.to == [invoice.counterparty.emails.order_by("address").first().address]
    assert not any("kovalevskiy" in m.to[0] for m in mail.outbox)
    assert {f.object_id for f in RuleFiring.objects.filter(rule=rule, failed=False)} == {i.pk for i in shipped}
    # Sent as the system, the rule named: the e-mail is on the client's timeline through the journal.
    assert ChangeJournal.objects.filter(request_id="rule:onec-shipped", origin=Origin.SYSTEM).exists()

    # The same file again changes nothing, so nothing is sent again.
    exchange_import(paths=[corpus_file(BITRIX_ORDERS)], node=node)
    assert automation_pass(now=clock.advance(minutes=1)).fired == 0 and len(mail.outbox) == 2


def test_a_1c_order_status_text_fires_a_rule(team, clock):
    reference_data()
    rule_save(user=team["admin"], data={"name": "1C accepted an order", "trigger": "onec_status"},
              conditions_text="accounting_status changed\naccounting_status contains принят",
              actions=[action("create_task", text="Confirm the order", assignee_kind="user",
                              assignee_user=team["anna"])])
    node = node_create(user=None, code="site", kind="folder")
    exchange_import(paths=[corpus_file(ONEC_ORDERS)], node=node)
    automation_pass(now=clock.now)
    task = Task.objects.get(title__startswith="Confirm the order")
    invoice = Invoice.objects.get(accounting_status="[N] Принят")
    assert task.assignee == team["anna"] and task.counterparty == invoice.counterparty


def test_a_failing_action_is_kept_and_the_others_still_run(sales, clock):
    rule_save(user=sales["admin"], data={"name": "Tell and task", "trigger": "deal_stage"}, conditions_text="",
              actions=[action("send_message", message_template=None), action("create_task", text="Call")])
    deal_move(user=sales["anna"], deal=sales["big"], stage=sales["stages"]["Proposal"])
    automation_pass(now=clock.now)
    firing = RuleFiring.objects.get()
    assert firing.failed and "error" in firing.results[0] and "did" in firing.results[1]
    assert Task.objects.filter(title__startswith="Call").exists()


def test_conditions_are_checked_against_the_trigger_record(team):
    with pytest.raises(ValidationError) as caught:
        rule_save(user=team["admin"], data={"name": "Bad", "trigger": "deal_stage"},
                  conditions_text="amount > 10\nbudget > 5\ncounterparty.nam = X",
                  actions=[action("create_task", text="x")])
    messages = caught.value.message_dict["conditions"]
    assert len(messages) == 2 and "Line 2" in messages[0] and "budget" in messages[0] and "Line 3" in messages[1]
    assert not AutomationRule.objects.filter(name="Bad").exists()


def test_only_administrators_write_rules(team):
    from raccordo.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        rule_save(user=team["head"], data={"name": "Mine", "trigger": "deal_stage"}, conditions_text="",
                  actions=[action("create_task", text="x")])


def test_a_late_task_fires_once_per_due_time(sales):
    from django.utils import timezone

    from raccordo.activities.services import task_create, task_update

    rule_save(user=sales["admin"], data={"name": "Late task to the head", "trigger": "task_overdue"},
              conditions_text="priority = high",
              actions=[action("notify_user", text="A task is late", assignee_kind="role", assignee_role="head")])
    soon = timezone.now() + dt.timedelta(days=1)
    late = task_create(user=sales["anna"], data={"title": "Call back", "due_at": soon, "priority": "high"})
    task_create(user=sales["anna"], data={"title": "Not urgent", "due_at": soon, "priority": "low"})
    assert automation_pass(now=soon - dt.timedelta(minutes=1)).overdue == 0
    assert automation_pass(now=soon + dt.timedelta(hours=1)).overdue == 1
    assert automation_pass(now=soon + dt.timedelta(hours=2)).overdue == 0
    assert Reminder.objects.filter(user=sales["head"], subject__startswith="A task is late").count() == 1
    # Moved to a new date and late again: that is a new lateness.
    task_update(user=sales["anna"], task=late, data={"due_at": soon + dt.timedelta(days=1)})
    assert automation_pass(now=soon + dt.timedelta(days=2)).overdue == 1
