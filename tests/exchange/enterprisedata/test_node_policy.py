"""An EnterpriseData node follows its mapping as a CommerceML node does: conflicts under its policy, the
fields the CRM owns, its managers as its scope both ways, and the responsible of what 1C brings."""

from __future__ import annotations

import pytest

from raccordo.core.models import ChangeJournal
from raccordo.exchange.conflict_review import conflict_resolve
from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.mappings import mapping_for, mapping_save
from raccordo.exchange.models import ConflictPolicy, RunItem
from raccordo.exchange.selectors import node_refused_documents
from raccordo.parties.models import Counterparty
from raccordo.parties.services import counterparty_create, counterparty_update
from tests.factories import UserFactory

from .conftest import needs_corpus

pytestmark = [pytest.mark.django_db, needs_corpus]
ROMASHKA = "5a1c1b8e-7a3d-11ee-b962-0242ac120002"
OTHER = "5a1c1b8e-7a3d-11ee-b962-0242ac1200ff"


def _run(node):
    node.refresh_from_db()
    run = ed.enterprisedata_exchange(node=node)
    assert run.status == "succeeded", run.message
    return run


def _rec(name="Ромашка", ref=ROMASHKA, inn="7707083893", kpp="770701001", full_name="ООО «Ромашка»"):
    return fmt.CounterpartyRec(ref=ref, name=name, full_name=full_name, inn=inn, kpp=kpp)


def _send(node, peer, *recs):
    peer.send([lambda v, r=r: fmt.counterparty_element(r, v) for r in recs])
    run = _run(node)
    peer.receive()
    return run


def _mapping(node, **changes):
    data = mapping_for(node, "parties.counterparty")
    for key, value in changes.items():
        setattr(data, key, value)
    mapping_save(user=None, node=node, data=data)


@pytest.fixture
def started(node, peer, manager):
    """Handshake done, Ромашка received from 1C, and our answer read by 1C."""
    node.default_responsible = manager
    node.save(update_fields=["default_responsible"])
    peer.send(settings_only=True)
    _run(node)
    peer.receive()
    _send(node, peer, _rec())
    return Counterparty.objects.get(inn="7707083893")


def _conflicts(run):
    return list(RunItem.objects.filter(run=run, outcome="conflict").values_list("changes", "resolution"))


@pytest.mark.parametrize("policy, kept", [(ConflictPolicy.ACCOUNTING_WINS, "Ромашка Плюс"),
                                          (ConflictPolicy.CRM_WINS, "Romashka (ours)"),
                                          (ConflictPolicy.ASK, "Romashka (ours)")])
def test_a_field_changed_on_both_sides_is_a_conflict_under_the_policy(node, peer, started, manager, policy, kept):
    _mapping(node, conflict_policy=policy)
    counterparty_update(user=manager, counterparty=started, data={"name": "Romashka (ours)"})
    # 1C changed it too; the CRM's change travels to 1C first, but 1C sends its own before it reads ours.
    run = _send(node, peer, _rec(name="Ромашка Плюс"))
    started.refresh_from_db()
    assert started.name == kept
    [(changes, resolution)] = _conflicts(run)
    assert changes == {"name": ["Romashka (ours)", "Ромашка Плюс"]}
    assert resolution == {"accounting": "accounting", "crm": "crm", "ask": ""}[policy]
    if policy == ConflictPolicy.ASK:   # settled by a person on the run's page, through the same service
        item = RunItem.objects.get(run=run, outcome="conflict")
        conflict_resolve(user=UserFactory(is_superuser=True), item=item, choice="accounting")
        started.refresh_from_db()
        assert started.name == "Ромашка Плюс"


def test_a_field_only_one_side_changed_is_no_conflict(node, peer, started, manager):
    _mapping(node, conflict_policy=ConflictPolicy.CRM_WINS)
    counterparty_update(user=manager, counterparty=started, data={"full_name": "ООО «Ромашка» (наш)"})
    # 1C sends the name changed and the full name as it last sent it: its name is taken, ours is kept.
    run = _send(node, peer, _rec(name="Ромашка Плюс"))
    started.refresh_from_db()
    assert (started.name, started.full_name) == ("Ромашка Плюс", "ООО «Ромашка» (наш)")
    assert _conflicts(run) == []


def test_fields_the_crm_owns_are_never_overwritten(node, peer, started, manager):
    owned = [f for f in mapping_for(node, "parties.counterparty").owned_fields if f != "name"]
    _mapping(node, owned_fields=owned)
    journal = ChangeJournal.objects.count()
    run = _send(node, peer, _rec(name="Ромашка Плюс", full_name="ООО «Ромашка Плюс»"))
    started.refresh_from_db()
    assert (started.name, started.full_name) == ("Ромашка", "ООО «Ромашка Плюс»")
    assert run.updated == 1 and ChangeJournal.objects.count() == journal + 1


def test_the_managers_filter_is_the_node_scope_both_ways(node, peer, started, manager):
    other = UserFactory(username="other-manager")
    theirs = counterparty_create(user=None, data={"name": "Bianchi", "inn": "500100732259", "kind": "sole_trader",
                                                  "responsible": other})
    _mapping(node, filters={"managers": [str(manager.pk)]})
    peer.send()
    _run(node)
    _header, records = peer.receive()
    # Ours (the manager's) travels; the other manager's client does not.
    assert str(theirs.pk) not in {getattr(r, "ref", "") for r in records}

    # 1C sends a change of the other manager's client (it knows it by INN): refused whole and listed.
    counterparty_update(user=None, counterparty=theirs, data={"name": "Bianchi Srl"})
    run = _send(node, peer, _rec(name="Bianchi forged", ref=OTHER, inn="500100732259", kpp="", full_name=""))
    theirs.refresh_from_db()
    assert theirs.name == "Bianchi Srl"
    [item] = RunItem.objects.filter(run=run, outcome="refused")
    assert item.code == "exchange.enterprisedata.out_of_scope" and item.external_id == OTHER
    assert item in node_refused_documents(user=UserFactory(is_superuser=True), node=node)


def test_new_counterparties_get_the_mappings_responsible(node, peer, started, manager):
    head = UserFactory(username="head-of-sales")
    _mapping(node, responsible=str(head.pk))
    _send(node, peer, _rec(name="Новый", ref=OTHER, inn="7710140679", kpp="771001001", full_name=""))
    assert Counterparty.objects.get(inn="7710140679").responsible == head
