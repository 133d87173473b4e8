"""A scripted 1C peer exchanges counterparties with Raccordo over a folder, by 1C's numbering rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from raccordo.core.models import ChangeJournal
from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.enterprisedata.models import SentMessage
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.models import Binding, ExchangeNode, NodeKind
from raccordo.exchange.services import node_create
from raccordo.parties.models import BankAccount, Counterparty
from raccordo.parties.services import bank_account_add, counterparty_create, counterparty_update

from .conftest import needs_corpus

pytestmark = [pytest.mark.django_db, needs_corpus]
ROMASHKA = "5a1c1b8e-7a3d-11ee-b962-0242ac120002"


def _run(node):
    node.refresh_from_db()
    return ed.enterprisedata_exchange(node=node)


def _romashka(version):
    rec = fmt.CounterpartyRec(ref=ROMASHKA, name="Ромашка", full_name="ООО «Ромашка»", inn="7707083893",
                              kpp="770701001", phones=[("work", "+74951234567")], emails=["buh@romashka.ru"],
                              addresses=[("legal", "Москва, ул. Тверская, 1")])
    rec.main_account = fmt.BankAccountRec(ref="5a1c1b8e-7a3d-11ee-b962-0242ac120003", number="40702810900000000001",
                                          bank_name="ПАО Сбербанк", bic="044525225",
                                          correspondent_account="30101810400000000225")
    return rec


def _handshake(node, peer):
    peer.send(settings_only=True)
    run = _run(node)
    assert run.status == "succeeded", run.message
    header, records = peer.receive()
    return header, records


def test_settings_then_numbered_messages_both_ways(node, peer):
    header, _records = _handshake(node, peer)
    assert header.settings_only is False and header.version == "1.17"    # agreed: highest common
    assert peer.version == "1.17"
    assert header.message_no == 1 and header.received_no == 0

    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v),
               lambda v: fmt.bank_account_element(_romashka(v).main_account, _romashka(v), v)])
    run = _run(node)
    assert (run.status, run.created, run.failed) == ("succeeded", 2, 0), list(run.items.values("message"))
    cp = Counterparty.objects.get(inn="7707083893")
    assert (cp.name, cp.kpp, cp.full_name) == ("Ромашка", "770701001", "ООО «Ромашка»")
    assert list(cp.phones.values_list("number", flat=True)) == ["+74951234567"]
    account = BankAccount.objects.get(counterparty=cp)
    assert (account.bic, account.correspondent_account) == ("044525225", "30101810400000000225")
    assert Binding.objects.get(node=node, object_type=fmt.COUNTERPARTY).external_id == ROMASHKA

    header, records = peer.receive()
    # Ours numbers on; it confirms 1C's message 1 and does not echo what came from 1C.
    assert (header.message_no, header.received_no) == (2, 1)
    assert records == []
    node.refresh_from_db()
    assert (node.last_sent_no, node.last_received_no) == (2, 1)


def test_the_same_message_twice_writes_nothing(node, peer):
    _handshake(node, peer)
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    assert _run(node).created == 1
    journal = ChangeJournal.objects.count()
    again = _run(node)      # 1C has not written anything new: its message 1 is still there
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert again.items.filter(code="exchange.enterprisedata.174").exists()
    assert "174" in again.message
    assert ChangeJournal.objects.count() == journal
    node.refresh_from_db()
    assert node.last_received_no == 1


def test_a_message_to_someone_else_is_refused(node, peer):
    _handshake(node, peer)
    ours = Path(node.path) / "Message_RC_BP.xml"
    before = ours.read_bytes()
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)], recipient="UT")
    run = _run(node)
    assert run.status == "failed"
    item = run.items.get()
    assert item.code == "exchange.enterprisedata.not_addressed" and item.file == "Message_BP_RC.xml"
    assert not Counterparty.objects.exists()
    assert ours.read_bytes() == before          # no answer to a message that was not for us
    node.refresh_from_db()
    assert node.last_received_no == 0


def test_our_counterparties_travel_under_our_guid_until_confirmed(node, peer, manager):
    _handshake(node, peer)
    cp = counterparty_create(user=manager, data={"name": "Bianchi", "kind": "sole_trader", "inn": "500100732259"})
    bank_account_add(user=manager, data={"counterparty": cp, "bank_name": "Banca", "bic": "044525225",
                                         "account_number": "40802810900000000002"})
    peer.send()
    assert _run(node).status == "succeeded"
    header, records = peer.receive()
    sent = [r for r in records if isinstance(r, fmt.CounterpartyRec)]
    assert [(r.ref, r.name, r.legal, r.sole_trader) for r in sent] == [(str(cp.pk), "Bianchi", False, True)]
    assert [r.number for r in records if isinstance(r, fmt.BankAccountRec)] == ["40802810900000000002"]

    # Not confirmed yet: the next message carries it again (cumulative, like 1C's own).
    peer.received_no = 0
    peer.send()
    _run(node)
    _header, records = peer.receive()
    assert any(isinstance(r, fmt.CounterpartyRec) and r.ref == str(cp.pk) for r in records)

    # 1C confirms; it sends the counterparty back under our GUID, unchanged: nothing is written.
    journal = ChangeJournal.objects.count()
    echo = next(r for r in records if isinstance(r, fmt.CounterpartyRec))
    peer.send([lambda v: fmt.counterparty_element(echo, v)])
    run = _run(node)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 1)
    assert ChangeJournal.objects.count() == journal
    assert not SentMessage.objects.filter(node=node, number__lte=peer.received_no).exists()
    _header, records = peer.receive()
    assert records == []


def test_deletion_marks_both_ways(node, peer, manager):
    _handshake(node, peer)
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    _run(node)
    peer.receive()
    peer.send([lambda v: fmt.deletion_element("КонтрагентыСсылка", ROMASHKA, v)])
    assert _run(node).updated == 1
    cp = Counterparty.objects.get(inn="7707083893")
    assert cp.is_active is False
    assert Binding.objects.get(node=node, external_id=ROMASHKA).peer_deleted is True
    peer.receive()
    # Made active again in the CRM: 1C gets it back; made inactive: 1C gets a deletion.
    counterparty_update(user=None, counterparty=cp, data={"is_active": True})
    peer.send()
    _run(node)
    _h, records = peer.receive()
    assert [r.ref for r in records if isinstance(r, fmt.CounterpartyRec)] == [ROMASHKA]
    counterparty_update(user=None, counterparty=cp, data={"is_active": False})
    peer.send()
    _run(node)
    _h, records = peer.receive()
    assert [(r.object_type, r.ref) for r in records if isinstance(r, fmt.DeletionRec)] == [
        ("КонтрагентыСсылка", ROMASHKA)]


def test_identity_by_inn_and_kpp_when_no_binding(node, peer, manager):
    _handshake(node, peer)
    ours = counterparty_create(user=manager, data={"name": "Romashka LLC", "inn": "7707083893", "kpp": "770701001"})
    peer.receive()
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    run = _run(node)
    assert (run.created, run.updated) == (0, 1)
    ours.refresh_from_db()
    assert ours.name == "Ромашка"
    assert Binding.objects.get(node=node, object_type=fmt.COUNTERPARTY, object_id=ours.pk).external_id == ROMASHKA


def test_a_bad_object_is_reported_and_the_others_come_in(node, peer):
    _handshake(node, peer)
    bad = fmt.CounterpartyRec(ref="5a1c1b8e-0000-11ee-b962-0242ac120009", name="Bad", inn="1234567890")
    peer.send([lambda v: fmt.counterparty_element(bad, v), lambda v: fmt.counterparty_element(_romashka(v), v)])
    run = _run(node)
    assert (run.created, run.failed, run.status) == (1, 1, "partial")
    item = run.items.get(outcome="failed")
    assert item.code == "exchange.record.invalid" and "inn" in item.message and item.file == "Message_BP_RC.xml"


def test_hostile_message_writes_nothing(node, peer):
    _handshake(node, peer)
    (Path(node.path) / "Message_BP_RC.xml").write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Message>&x;</Message>')
    run = _run(node)
    assert run.status == "failed"
    item = run.items.get()
    assert (item.code, item.line) == ("exchange.xml.doctype", 2)
    assert not Counterparty.objects.exists()


def test_no_temporary_file_is_left_and_ours_is_whole(node, peer):
    _handshake(node, peer)
    names = sorted(p.name for p in Path(node.path).iterdir())
    assert names == ["Message_BP_RC.xml", "Message_RC_BP.xml"]


def test_cli_runs_an_exchange(node, peer, capsys):
    peer.send(settings_only=True)
    call_command("exchange", "enterprisedata", "run", "--node", "bp", "--json")
    assert '"status": "succeeded"' in capsys.readouterr().out
    other = node_create(user=None, code="folder", kind=NodeKind.FOLDER, path=node.path)
    with pytest.raises(CommandError, match="not an EnterpriseData node"):
        call_command("exchange", "enterprisedata", "run", "--node", other.code)
    assert ExchangeNode.objects.get(code="bp").enterprisedata.format_version == "1.17"


def test_messages_longer_than_a_chunk_bind_and_hash_everything(node, peer, manager, monkeypatch):
    """Both ways work a chunk at a time (bindings preloaded and written per chunk): with chunks of two, every
    record sent is bound with the hash of what 1C sends back, so the whole echo is recognised unchanged."""
    from raccordo.exchange.enterprisedata import documents, incoming, outgoing
    from raccordo.exchange.formats.enterprisedata import contacts as ct
    from raccordo.parties.services import contact_create

    for module in (outgoing, documents, incoming):
        monkeypatch.setattr(module, "CHUNK", 2)
    _handshake(node, peer)
    for i in range(3):
        cp = counterparty_create(user=manager, data={"name": f"Client {i}", "kind": "legal"})
        bank_account_add(user=manager, data={"counterparty": cp, "bank_name": "Banca", "bic": "044525225",
                                             "account_number": f"4070281090000000000{i}"})
        contact_create(user=manager, counterparty=cp, data={"first_name": f"Anna {i}", "last_name": "Rossi"})
    peer.send()
    assert _run(node).status == "succeeded"
    _header, records = peer.receive()
    assert len(records) == 9
    hashes = dict(Binding.objects.filter(node=node).values_list("external_id", "content_hash"))
    assert len(hashes) == 9 and all(hashes.values())

    owners = {r.ref: r for r in records if isinstance(r, fmt.CounterpartyRec)}
    echo = []
    for rec in records:
        if isinstance(rec, fmt.CounterpartyRec):
            echo.append(lambda v, r=rec: fmt.counterparty_element(r, v))
        elif isinstance(rec, fmt.BankAccountRec):
            echo.append(lambda v, r=rec: fmt.bank_account_element(r, owners[r.owner.ref], v))
        else:
            echo.append(lambda v, r=rec: ct.contact_element(r, owners[r.counterparty.ref], v))
    journal = ChangeJournal.objects.count()
    peer.send(echo)
    run = _run(node)
    assert (run.created, run.updated, run.unchanged, run.failed) == (0, 0, 9, 0), list(run.items.values("message"))
    assert ChangeJournal.objects.count() == journal
