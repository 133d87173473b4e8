"""The scripted 1C peer exchanges with Raccordo over a real FTP server (pyftpdlib on 127.0.0.1), plain and zipped."""

from __future__ import annotations

import ftplib
import io
import logging
import threading
import zipfile
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from raccordo.core.models import ChangeJournal
from raccordo.exchange.enterprisedata import services as ed
from raccordo.exchange.enterprisedata import transport as tr
from raccordo.exchange.enterprisedata.models import EnterpriseDataPeer
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.formats.enterprisedata import documents as doc
from raccordo.exchange.models import ExchangeNode, NodeKind, Run
from raccordo.exchange.services import node_create
from raccordo.parties.models import Counterparty
from raccordo.parties.services import counterparty_create
from raccordo.sales.models import InvoiceStatus

from .conftest import OneCPeer, needs_corpus
from .test_documents_exchange import _from_1c, _invoice, _payment
from .test_exchange import _romashka, _run

pyftpdlib = pytest.importorskip("pyftpdlib")
from pyftpdlib.authorizers import DummyAuthorizer  # noqa: E402  # only once pyftpdlib is known to be there
from pyftpdlib.handlers import FTPHandler  # noqa: E402
from pyftpdlib.servers import FTPServer  # noqa: E402

pytestmark = [pytest.mark.django_db, needs_corpus]
USER, PASSWORD, READER = "onec", "s3cret-пароль", "reader"
GUID_1C = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
GUID_US = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def ftp_server(tmp_path):
    """A real FTP server on 127.0.0.1, a free port, one user whose home is `root/`; stopped after the test."""
    root = tmp_path / "ftp-root"
    (root / "exchange").mkdir(parents=True)
    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, str(root), perm="elradfmwMT")
    authorizer.add_user(READER, PASSWORD, str(root), perm="elr")      # may read, may not write
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer, "encoding": "utf-8"})
    with served(handler) as port:
        yield "127.0.0.1", port, root / "exchange"


@contextmanager
def served(handler):
    """A pyftpdlib server with `handler` on 127.0.0.1 and a free port, served from a thread while the block runs."""
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    server = FTPServer(("127.0.0.1", 0), handler)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        server.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.socket.getsockname()[1]
    finally:
        stop.set()
        thread.join()


class FtpOneCPeer(OneCPeer):
    """1C's side, but through the FTP server as 1C's FTP transport reaches it."""

    def __init__(self, host, port, folder, schema, **kw):
        super().__init__(folder, schema, **kw)
        self.host, self.port = host, port

    def _ftp(self):
        ftp = ftplib.FTP()
        ftp.encoding = "utf-8"
        ftp.connect(self.host, self.port, timeout=10)
        ftp.login(USER, PASSWORD)
        ftp.cwd("exchange")
        return ftp

    def write_file(self, name, data):
        with self._ftp() as ftp:
            ftp.storbinary(f"STOR {name}", io.BytesIO(data))

    def read_file(self, name):
        out = io.BytesIO()
        with self._ftp() as ftp:
            ftp.retrbinary(f"RETR {name}", out.write)
        return out.getvalue()

    def file_names(self):
        with self._ftp() as ftp:
            return sorted(name for name, facts in ftp.mlsd() if facts["type"] == "file")


def _ftp_node(host, port, *, password=PASSWORD, compress=False, our="RC", theirs="BP", user=USER):
    node = node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA)
    ed.peer_setup(user=None, node=node, our_code=our, peer_code=theirs, transport="ftp", compress=compress,
                  ftp=tr.FtpSettings(host=host, port=port, user=user, password=password, directory="/exchange"))
    return node


@pytest.fixture
def ftp_peer(ftp_server, message_schema):
    host, port, folder = ftp_server
    return _ftp_node(host, port), FtpOneCPeer(host, port, folder, message_schema)


def _handshake(node, peer):
    peer.send(settings_only=True)
    run = _run(node)
    assert run.status == "succeeded", run.message
    return peer.receive()


def test_counterparties_go_to_1c_and_its_payment_makes_the_invoice_paid(ftp_peer, reference_data, manager):
    node, peer = ftp_peer
    header, _records = _handshake(node, peer)
    assert header.version == "1.17"
    counterparty_create(user=manager, data={"name": "Bianchi", "kind": "sole_trader", "inn": "500100732259"})
    peer.send([lambda v, i=i: _from_1c(v)[i] for i in range(4)])
    assert _run(node).failed == 0
    _header, records = peer.receive()
    assert [r.name for r in records if isinstance(r, fmt.CounterpartyRec)] == ["Bianchi"]

    invoice = _invoice(reference_data)
    peer.send()
    _run(node)
    _header, records = peer.receive()
    [order] = [r for r in records if isinstance(r, doc.OrderRec)]
    ordered = doc.DocumentRef(ref=order.ref, number=order.number, date=order.date)
    peer.send([_payment(ordered, "3000.00")])
    run = _run(node)
    assert (run.created, run.failed, run.status) == (1, 0, "succeeded"), list(run.items.values("message"))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.PAID, Decimal("3000.00"))

    # The same message read again (1C wrote nothing new): warning 174, nothing written.
    journal = ChangeJournal.objects.count()
    again = _run(node)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert again.items.filter(code="exchange.enterprisedata.174").exists()
    assert ChangeJournal.objects.count() == journal
    # Only 1C's message and ours are left in the directory: no temporary file.
    assert peer.file_names() == ["Message_BP_RC.xml", "Message_RC_BP.xml"]


def test_a_wrong_password_is_a_clear_error_and_writes_nothing(ftp_server, message_schema):
    host, port, folder = ftp_server
    node = _ftp_node(host, port, password="wrong")
    OneCPeer(folder, message_schema).send(settings_only=True)
    with pytest.raises(ed.ExchangeRefused, match=f"FTP server 127.0.0.1:{port} refused the login for user onec"):
        ed.enterprisedata_exchange(node=node)
    assert not Run.objects.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["Message_BP_RC.xml"]
    node.refresh_from_db()
    assert (node.last_sent_no, node.last_received_no) == (0, 0)
    with pytest.raises(CommandError, match="refused the login"):
        call_command("exchange", "enterprisedata", "run", "--node", "bp")


def test_a_refused_write_fails_the_run_and_keeps_the_numbers(ftp_server, message_schema):
    host, port, folder = ftp_server
    node = _ftp_node(host, port, user=READER)
    peer = OneCPeer(folder, message_schema)
    peer.send(settings_only=True)
    _run(node)              # 1C's settings are read; our answer cannot be stored
    peer.version = "1.17"
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    run = _run(node)
    assert run.status == "failed"
    item = run.items.get(outcome="failed")
    assert item.code == "exchange.enterprisedata.transport" and "cannot be written" in item.message
    assert sorted(p.name for p in folder.iterdir()) == ["Message_BP_RC.xml"]     # no temporary file left
    node.refresh_from_db()
    assert (node.last_sent_no, node.last_received_no) == (0, 1)   # 1C's message was taken; ours not numbered


def test_an_unreachable_server_is_a_clear_error(ftp_server):
    host, port, _folder = ftp_server
    node = _ftp_node(host, 1)       # nothing listens on port 1 of 127.0.0.1
    with pytest.raises(ed.ExchangeRefused, match="FTP server 127.0.0.1:1 cannot be reached"):
        ed.enterprisedata_exchange(node=node)


def test_zip_both_ways(ftp_peer):
    node, peer = ftp_peer
    EnterpriseDataPeer.objects.filter(node=node).update(compress=True)
    peer.compress = True
    _handshake(node, peer)
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    run = _run(node)
    assert (run.created, run.failed) == (1, 0)
    assert Counterparty.objects.filter(inn="7707083893").exists()
    header, _records = peer.receive()       # peer.receive unzips and checks the one member's name
    assert header.received_no == 1
    assert peer.file_names() == ["Message_BP_RC.zip", "Message_RC_BP.zip"]


def test_long_guid_names_are_found_and_written(ftp_server, message_schema):
    host, port, folder = ftp_server
    node = _ftp_node(host, port, our=GUID_US, theirs=GUID_1C)
    peer = FtpOneCPeer(host, port, folder, message_schema, code=GUID_1C, ours=GUID_US)
    peer.ib_prefix = "БП"
    _handshake(node, peer)
    peer.send([lambda v: fmt.counterparty_element(_romashka(v), v)])
    assert _run(node).created == 1
    # Ours takes 1C's long form too: our GUID code with our prefix.
    assert f"Message_RC_{GUID_US}_{GUID_1C}.xml" in peer.file_names()
    assert f"Message_БП_{GUID_1C}_{GUID_US}.xml" in peer.file_names()


def _zip(members, *, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("members", "message"), [
    ([("Message_BP_RC.xml", b"<a/>"), ("other.xml", b"<b/>")], "exactly one file"),
    ([("../../etc/Message_BP_RC.xml", b"<a/>")], "has a path"),
    ([("Message_BP_RC.xml", b" " * (8 * 1024 * 1024))], "zip bomb"),
])
def test_hostile_zips_are_refused_and_write_nothing(node, peer, members, message):
    peer.send(settings_only=True)
    _run(node)
    peer.receive()
    before = (Path(node.path) / "Message_RC_BP.xml").read_bytes()
    (Path(node.path) / "Message_BP_RC.xml").unlink()
    (Path(node.path) / "Message_BP_RC.zip").write_bytes(_zip(members))
    run = _run(node)
    assert run.status == "failed"
    item = run.items.get()
    assert (item.code, item.file) == ("exchange.enterprisedata.zip", "Message_BP_RC.zip")
    assert message in item.message
    assert (Path(node.path) / "Message_RC_BP.xml").read_bytes() == before
    node.refresh_from_db()
    assert node.last_received_no == 0


def test_the_newest_message_is_taken_and_names_follow_1c():
    assert tr.is_message_of("Message_BP_RC.xml", "BP", "RC")
    assert tr.is_message_of("Message_БП_BP_RC.ZIP", "BP", "RC")
    assert not tr.is_message_of("Message_XBP_RC.xml", "BP", "RC")
    assert not tr.is_message_of("Message_BP_RC.txt", "BP", "RC")
    assert not tr.is_message_of("Message_RC_BP.xml", "BP", "RC")
    assert not tr.is_message_of("Message_x\r\nDELE y_BP_RC.xml", "BP", "RC")
    files = [tr.Found("Message_BP_RC.xml", 10, 1.0), tr.Found("Message_БП_BP_RC.zip", 10, 2.0),
             tr.Found("Message_BP_RC.zip", 0, 3.0)]     # empty: skipped, as 1C does
    assert tr.newest_message(files, "BP", "RC").name == "Message_БП_BP_RC.zip"
    assert tr.message_stem("RC", "BP", "RC") == "Message_RC_BP"
    assert tr.message_stem(GUID_US, GUID_1C, "RC") == f"Message_RC_{GUID_US}_{GUID_1C}"
    assert tr.message_stem(GUID_US, GUID_1C, "") == f"Message_{GUID_US}_{GUID_1C}"


def test_cli_sets_up_ftp_without_showing_the_password(ftp_server, monkeypatch, capsys):
    host, port, _folder = ftp_server
    node_create(user=None, code="bp", kind=NodeKind.ENTERPRISEDATA)
    monkeypatch.setenv("BP_FTP_PASSWORD", PASSWORD)
    call_command("exchange", "enterprisedata", "setup", "--node", "bp", "--our-code", "RC", "--peer-code", "BP",
                 "--ftp", f"{host}:{port}", "--ftp-user", USER, "--ftp-password-env", "BP_FTP_PASSWORD",
                 "--ftp-dir", "/exchange", "--zip")
    out = capsys.readouterr().out
    assert PASSWORD not in out and f"ftp://{host}:{port}/exchange" in out
    peer = ExchangeNode.objects.get(code="bp").enterprisedata
    assert (peer.transport, peer.ftp_host, peer.ftp_port, peer.ftp_user, peer.ftp_password, peer.ftp_dir,
            peer.compress) == ("ftp", host, port, USER, PASSWORD, "/exchange", True)
    assert PASSWORD not in str(peer)
    monkeypatch.delenv("BP_FTP_PASSWORD")
    with pytest.raises(CommandError, match="BP_FTP_PASSWORD"):
        call_command("exchange", "enterprisedata", "setup", "--node", "bp", "--our-code", "RC", "--peer-code", "BP",
                     "--ftp", f"{host}:{port}", "--ftp-password-env", "BP_FTP_PASSWORD")
    with pytest.raises(CommandError, match="host:port"):
        call_command("exchange", "enterprisedata", "setup", "--node", "bp", "--our-code", "RC", "--peer-code", "BP",
                     "--ftp", f"{host}:port", "--ftp-password-env", "X")
