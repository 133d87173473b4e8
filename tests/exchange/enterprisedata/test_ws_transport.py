"""The scripted 1C peer exchanges with Raccordo over 1C's web service EnterpriseDataExchange_1_0_1_1 (a WSGI server on
127.0.0.1 playing SSL's module): Raccordo the client, 1C's long operations polled at a pace that never sleeps."""

from __future__ import annotations

import io
import random
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from raccordo.core.models import ChangeJournal
from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.enterprisedata import webservice as ws
from raccordo.exchange.enterprisedata.models import EnterpriseDataPeer
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.formats.enterprisedata import soap
from raccordo.exchange.models import ExchangeNode, NodeKind, Run
from raccordo.exchange.services import node_create
from raccordo.parties.services import counterparty_create
from raccordo.sales.models import InvoiceStatus

from .conftest import needs_corpus
from .onec_service import PLAN, MemoryOneCPeer, OneCService, ServiceThread
from .test_documents_exchange import _from_1c, _invoice, _payment
from .test_exchange import _romashka, _run

pytestmark = [pytest.mark.django_db, needs_corpus]
USER, PASSWORD = "Обмен", "s3cret-пароль"


class FakeTime:
    """The pace's clock and sleep: sleeping only moves the clock."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    clock = FakeTime()
    monkeypatch.setattr(ws, "DEFAULT_PACE", ws.Pace(interval=2, timeout=60, sleep=clock.sleep, clock=clock.clock))
    return clock


@pytest.fixture
def service(message_schema, fake_time):
    onec = OneCService(MemoryOneCPeer(message_schema), user=USER, password=PASSWORD)
    served = ServiceThread(onec)
    onec.base = served.base
    yield onec
    served.stop()


def _ws_node(service, *, password=PASSWORD, user=USER, url=None):
    node = node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA)
    ed.peer_setup(user=None, node=node, our_code="RC", peer_code="BP", transport="ws",
                  ws=ws.WsSettings(url=url or service.base, user=user, password=password))
    return node


def _handshake(node, peer):
    peer.send(settings_only=True)
    run = _run(node)
    assert run.status == "succeeded", run.message
    return peer.receive()


def test_counterparties_go_to_1c_and_its_payment_makes_the_invoice_paid(service, fake_time, reference_data,
                                                                          manager):
    node, peer = _ws_node(service), service.peer
    service.active_polls = 2
    service.piece_size = 400      # 1C's zip comes in several pieces
    header, _records = _handshake(node, peer)
    assert header.version == "1.17"
    # 1C's zip in two pieces, fetched then released; ours in one piece; each job polled till Completed.
    assert service.calls == ["Ping", "TestConnection", "PrepareDataForGetting", *["PrepareDataActionResult"] * 3,
                             "GetDataPart", "GetDataPart", "ConfirmGettingFile", "PutFilePart", "PutData",
                             *["PutDataActionResult"] * 3]
    assert fake_time.sleeps == [2, 2, 2, 2]      # two Active answers for each job, nothing really waited

    counterparty_create(user=manager, data={"name": "Bianchi", "kind": "sole_trader", "inn": "500100732259"})
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    assert _run(node).failed == 0
    assert service.calls.count("GetDataPart") > 2
    _header, records = peer.receive()     # validated against the schema of its version
    assert [r.name for r in records if isinstance(r, fmt.CounterpartyRec)] == ["Bianchi"]

    invoice = _invoice(reference_data)
    peer.send()
    _run(node)
    _header, records = peer.receive()
    [order] = [r for r in records if isinstance(r, doc.OrderRec)]
    peer.send([_payment(doc.DocumentRef(ref=order.ref, number=order.number, date=order.date), "3000.00")])
    run = _run(node)
    assert (run.created, run.failed, run.status) == (1, 0, "succeeded"), list(run.items.values("message"))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.PAID, Decimal("3000.00"))

    # 1C hands the same message out again: warning 174, nothing written.
    journal = ChangeJournal.objects.count()
    again = _run(node)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert again.items.filter(code="exchange.enterprisedata.174").exists()
    assert ChangeJournal.objects.count() == journal


def test_a_wrong_password_is_a_clear_error_and_writes_nothing(service):
    node = _ws_node(service, password="wrong")
    service.peer.send(settings_only=True)
    with pytest.raises(ed.ExchangeRefused, match=r"refused the login for user Обмен \(HTTP 401, Ping\)"):
        ed.enterprisedata_exchange(node=node)
    assert not Run.objects.exists() and service.calls == []
    node.refresh_from_db()
    assert (node.last_sent_no, node.last_received_no) == (0, 0)
    with pytest.raises(CommandError, match="refused the login"):
        call_command("exchange", "enterprisedata", "run", "--node", "bp")


def test_a_node_1c_does_not_know_is_a_clear_error(service):
    service.node_known = False
    with pytest.raises(ed.ExchangeRefused, match="TestConnection failed: Заданный узел плана обмена не найден"):
        ed.enterprisedata_exchange(node=_ws_node(service))
    assert not Run.objects.exists()


def test_a_fault_while_1c_prepares_its_message_writes_nothing(service):
    node = _ws_node(service)
    service.peer.send(settings_only=True)
    service.faults["PrepareDataForGetting"] = "Ошибка при вызове метода контекста (ВыполнитьВФоне)"
    with pytest.raises(ed.ExchangeRefused, match=r"PrepareDataForGetting failed: Ошибка при вызове метода"):
        ed.enterprisedata_exchange(node=node)
    assert not Run.objects.exists()
    assert "PutFilePart" not in service.calls


def test_an_error_message_of_1cs_job_is_a_clear_error(service):
    node = _ws_node(service)
    service.peer.send(settings_only=True)
    service.errors["PrepareDataActionResult"] = "Недостаточно прав для выполнения синхронизации данных."
    with pytest.raises(ed.ExchangeRefused, match="PrepareDataActionResult failed: Недостаточно прав"):
        ed.enterprisedata_exchange(node=node)


def test_a_fault_while_1c_loads_ours_fails_the_run_and_keeps_the_numbers(service):
    node, peer = _ws_node(service), service.peer
    _handshake(node, peer)
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    service.faults["PutData"] = "Ошибка загрузки данных"
    run = _run(node)
    assert run.status == "failed"
    item = run.items.get(outcome="failed")
    assert item.code == "exchange.enterprisedata.transport"
    assert "PutData failed: Ошибка загрузки данных" in item.message
    node.refresh_from_db()
    assert (node.last_sent_no, node.last_received_no) == (1, 1)   # 1C's message was taken; ours not numbered
    # The next exchange converges: 1C's message again is already received (174), ours goes with the next number.
    del service.faults["PutData"]
    again = _run(node)
    assert again.status == "succeeded" and again.items.filter(code="exchange.enterprisedata.174").exists()
    header, _records = peer.receive()
    assert (header.message_no, header.received_no) == (2, 1)


def test_zip_our_messages_changes_nothing_on_the_wire(service):
    node, peer = _ws_node(service), service.peer
    EnterpriseDataPeer.objects.filter(node=node).update(compress=True)
    peer.compress = True        # 1C hands out its own zip as it is
    header, _records = _handshake(node, peer)
    assert header.version == "1.17" and "Message_RC_BP.xml" in peer.file_names()


def test_a_job_that_never_ends_is_given_up_at_the_timeout(service, fake_time):
    node = _ws_node(service)
    service.peer.send(settings_only=True)
    service.stuck = True
    with pytest.raises(ed.ExchangeRefused, match="PrepareDataActionResult failed: 1C's job did not finish within 60 s"):
        ed.enterprisedata_exchange(node=node)
    assert fake_time.now == 60 and len(fake_time.sleeps) == 30


def test_an_html_page_instead_of_an_answer_is_a_clear_error(service):
    service.html_page = True
    with pytest.raises(ed.ExchangeRefused, match="Ping failed: the answer is not 1C's"):
        ed.enterprisedata_exchange(node=_ws_node(service))


def test_a_redirect_is_not_followed_with_the_password(service):
    service.redirect_to = f"{service.base}/elsewhere"
    with pytest.raises(ed.ExchangeRefused, match="answered Ping with HTTP 302 Found"):
        ed.enterprisedata_exchange(node=_ws_node(service))
    assert service.calls == []


def test_an_unreachable_service_is_a_clear_error(service):
    with pytest.raises(ed.ExchangeRefused, match="cannot be reached \\(Ping\\)"):
        ed.enterprisedata_exchange(node=_ws_node(service, url="http://127.0.0.1:1/bp"))


def _zip(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("members", "message"), [
    ([("Message_BP_RC.xml", b"<a/>"), ("other.xml", b"<b/>")], "exactly one file"),
    ([("../../etc/Message_BP_RC.xml", b"<a/>")], "has a path"),
    ([("Message_BP_RC.xml", b" " * (8 * 1024 * 1024))], "zip bomb"),
])
def test_hostile_zips_are_refused_and_write_nothing(service, members, message):
    node, peer = _ws_node(service), service.peer
    _handshake(node, peer)
    service.payload = _zip(members)
    calls = len(service.calls)
    run = _run(node)
    assert run.status == "failed"
    item = run.items.get()
    assert (item.code, item.file) == ("exchange.enterprisedata.zip", "Message_BP_RC.zip")
    assert message in item.message
    assert "PutFilePart" not in service.calls[calls:]       # nothing of ours was sent
    node.refresh_from_db()
    assert (node.last_sent_no, node.last_received_no) == (1, 0)


def test_our_message_goes_in_pieces_1c_puts_together(service):
    transport = ws.WebServiceTransport(ws.WsSettings(url=service.base, user=USER, password=PASSWORD),
                                       exchange_plan=PLAN, our_code="RC", peer_code="BP", part_size_kb=1).open()
    data = random.Random(1).randbytes(3 * 1024)     # 3 KB that do not compress
    transport.put("Message_RC_BP.zip", lambda out: out.write(_zip([("Message_RC_BP.xml", data)])))
    [pieces] = service.uploads.values()
    assert sorted(pieces) == [1, 2, 3, 4] and all(len(p) == 1024 for n, p in pieces.items() if n < 4)
    assert service.peer.files["Message_RC_BP.xml"] == data
    transport.close()


def test_cli_sets_up_the_web_service_without_showing_the_password(service, monkeypatch, capsys):
    node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA)
    monkeypatch.setenv("BP_WS_PASSWORD", PASSWORD)
    call_command("exchange", "enterprisedata", "setup", "--node", "bp", "--our-code", "RC", "--peer-code", "BP",
                 "--ws", service.base, "--ws-user", USER, "--ws-password-env", "BP_WS_PASSWORD")
    out = capsys.readouterr().out
    url = f"{service.base}/ws/EnterpriseDataExchange_1_0_1_1.1cws"
    assert PASSWORD not in out and url in out
    peer = ExchangeNode.objects.get(code="bp").enterprisedata
    assert (peer.transport, peer.ws_url, peer.ws_user, peer.ws_password) == ("ws", url, USER, PASSWORD)
    service.peer.send(settings_only=True)
    call_command("exchange", "enterprisedata", "run", "--node", "bp")
    assert service.peer.receive()[0].version == "1.17"
    monkeypatch.delenv("BP_WS_PASSWORD")
    with pytest.raises(CommandError, match="BP_WS_PASSWORD"):
        call_command("exchange", "enterprisedata", "setup", "--node", "bp", "--our-code", "RC", "--peer-code", "BP",
                     "--ws", service.base, "--ws-user", USER, "--ws-password-env", "BP_WS_PASSWORD")
    with pytest.raises(CommandError, match="web publication"):
        monkeypatch.setenv("X", "x")
        call_command("exchange", "enterprisedata", "setup", "--node", "bp", "--our-code", "RC", "--peer-code", "BP",
                     "--ws", "1c.example.com/bp", "--ws-user", USER, "--ws-password-env", "X")
    with pytest.raises(CommandError, match="one transport"):
        call_command("exchange", "enterprisedata", "setup", "--node", "bp", "--our-code", "RC", "--peer-code", "BP",
                     "--ws", service.base, "--ftp", "host:21", "--ws-user", USER)
    assert EnterpriseDataPeer.objects.get().ws_password == PASSWORD


def test_envelopes_and_addresses():
    body = soap.request("GetDataPart", [("FileID", "f"), ("PartNumber", 2), ("ClearDataPool", True), ("D", b"\x00")])
    assert b"<m:GetDataPart><m:FileID>f</m:FileID><m:PartNumber>2</m:PartNumber>" \
           b"<m:ClearDataPool>true</m:ClearDataPool><m:D>AA==</m:D></m:GetDataPart>" in body
    assert soap.soap_action("Ping") == "http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1#EnterpriseDataExchange_1_0_1_1:Ping"
    with pytest.raises(soap.SoapError, match="DOCTYPE"):
        soap.parse_answer(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "Ping")
    with pytest.raises(soap.SoapError, match="not PingResponse"):
        soap.parse_answer(soap.request("TestConnection"), "Ping")
    assert ws.service_url("https://1c.example.com/bp/") == \
        "https://1c.example.com/bp/ws/EnterpriseDataExchange_1_0_1_1.1cws"
    assert ws.service_url("https://h/bp/ws/x.1cws") == "https://h/bp/ws/x.1cws"
    assert ws.url_problem("ftp://h/bp") and ws.url_problem("h/bp") and not ws.url_problem("http://h")


def test_the_connection_test_only_pings(service):
    node = _ws_node(service)
    assert ed.transport_check(node=node) == f"{service.base}/ws/EnterpriseDataExchange_1_0_1_1.1cws"
    assert service.calls == ["Ping", "TestConnection"]
