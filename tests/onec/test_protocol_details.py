"""Protocol details as Bitrix's own components answer them (issue #13), over the real HTTP endpoint:
file names, chunks that look like a new file, bodies without a length, per-exchange archive budgets,
open-exchange caps, init as "start over", the address without a slash, the version line, mode=info."""

from __future__ import annotations

import http.client
import io
import urllib.parse
import zipfile
from xml.etree import ElementTree

import pytest

from raccordo.exchange.engine import start_run
from raccordo.exchange.onec.models import OneCFile, OneCRequest, OneCSession, OneCSettings
from raccordo.exchange.onec.services import ProtocolError, safe_name
from tests.onec.cml import import_xml, offers_xml, zipped
from tests.onec.conftest import OneC

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def opened(onec):
    onec.checkauth()
    onec.init()
    return onec


def fresh(onec: OneC) -> OneC:
    return OneC(onec.base.removesuffix("/exchange/1c/"))


# --- 1. Unix absolute paths --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "kept"), [("/tmp/v8_8790_c.xml", "v8_8790_c.xml"),
                                           ("/var/tmp/x/v8_1.xml", "v8_1.xml"),
                                           ("C:\\Temp\\v8_8789_c.zip", "v8_8789_c.zip")])
def test_absolute_paths_keep_their_base_name(raw, kept):
    assert safe_name(raw) == kept


@pytest.mark.parametrize("raw", ["/tmp/../etc/x.xml", "/../x.xml", "/tmp/.hidden.xml", "/tmp/run.sh", "/tmp/",
                                 "import_files/../../x.jpg"])
def test_absolute_paths_with_traversal_or_bad_names_are_refused(raw):
    with pytest.raises(ProtocolError):
        safe_name(raw)


def test_a_linux_temp_path_is_stored_under_its_base_name(opened):
    data = import_xml(range(2))
    assert opened.call("catalog", "file", data, filename="/tmp/v8_8790_c.xml").first == "success"
    record = OneCFile.objects.get()
    assert record.name == "v8_8790_c.xml" and record.path.read_bytes() == data
    reply = opened.call("catalog", "file", data, filename="/tmp/../../etc/passwd.xml")
    assert reply.first == "failure" and "leads out" in reply.lines[1]
    assert OneCFile.objects.count() == 1


# --- 2. A chunk that only looks like a new file -------------------------------------------------------------------


def zip_with_member_at(offset_wanted: int) -> tuple[bytes, int]:
    """An archive whose second member's local header starts exactly at a chunk boundary (findings #7)."""
    for pad in range(0, 4096):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("import.xml", import_xml(range(3)) + b" " * pad)
            zf.writestr("offers.xml", offers_xml(range(3)))
        data = out.getvalue()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            second = zf.getinfo("offers.xml").header_offset
        if second == offset_wanted:
            return data, second
    raise AssertionError("no padding puts the member on the boundary")


def test_a_chunk_starting_on_a_member_header_is_appended(opened):
    data, boundary = zip_with_member_at(4096)
    assert data[boundary:boundary + 4] == b"PK\x03\x04"
    replies = opened.send("v8_1.zip", data, chunk=boundary)
    assert len(replies) == 2
    record = OneCFile.objects.get(name="v8_1.zip")
    assert record.size == len(data) and record.resent == 0 and record.chunks == 2
    reply = opened.call("catalog", "import", filename="import.xml")
    assert reply.first == "progress" and "2" in reply.lines[1], reply.text
    assert sorted(OneCFile.objects.filter(archive=record).values_list("name", flat=True)) == ["import.xml",
                                                                                              "offers.xml"]


def test_a_whole_zip_or_xml_sent_again_replaces_it(opened):
    archive = zipped({"import.xml": import_xml(range(3))})
    opened.send("v8_1.zip", archive)
    opened.send("v8_1.zip", archive)                 # the whole archive again, after a failure
    record = OneCFile.objects.get(name="v8_1.zip")
    assert record.size == len(archive) and record.resent == 1
    assert record.path.read_bytes() == archive
    xml = offers_xml(range(3))
    opened.send("offers.xml", xml, chunk=700)
    opened.send("offers.xml", xml, chunk=700)
    record = OneCFile.objects.get(name="offers.xml")
    assert record.size == len(xml) and record.resent == 1


def test_an_xml_chunk_after_an_incomplete_part_is_appended(opened):
    first = b'<?xml version="1.0" encoding="UTF-8"?><root><a>'
    second = b'<?xml-stylesheet href="x"?></a></root>'        # starts like a new XML, but the root is open
    opened.send("import.xml", first)
    opened.send("import.xml", second)
    record = OneCFile.objects.get()
    assert record.path.read_bytes() == first + second and record.resent == 0


# --- 3. A body without Content-Length ----------------------------------------------------------------------------


def raw_post(onec: OneC, query: dict, body: bytes, headers: dict) -> tuple[int, bytes]:
    url = urllib.parse.urlsplit(onec.base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("POST", f"{url.path}?{urllib.parse.urlencode(query)}", skip_accept_encoding=True)
    conn.putheader("Cookie", f"{onec.cookie[0]}={onec.cookie[1]}")
    conn.putheader("Connection", "close")
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(body)
    response = conn.getresponse()
    try:
        return response.status, response.read()
    finally:
        conn.close()


def test_a_chunk_without_content_length_is_refused_not_lost(opened):
    status, body = raw_post(opened, {"type": "catalog", "mode": "file", "filename": "import.xml"},
                            import_xml(range(2)), {"Content-Type": "application/octet-stream"})
    lines = body.decode().split("\n")
    assert status == 200 and lines[0] == "failure" and "Content-Length" in lines[1]
    assert OneCFile.objects.count() == 0
    # Chunked transfer encoding the server does not decode for Django: refused the same way.
    chunk = import_xml(range(2))
    status, body = raw_post(opened, {"type": "catalog", "mode": "file", "filename": "import.xml"},
                            f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n",
                            {"Transfer-Encoding": "chunked"})
    assert body.decode().split("\n")[0] == "failure"
    assert OneCFile.objects.count() == 0
    # The same chunk with its length is stored.
    assert opened.call("catalog", "file", chunk, filename="import.xml").first == "success"
    assert OneCFile.objects.get().size == len(chunk)


def test_a_chunked_body_the_server_decoded_is_stored(client, node, var_dir):
    reply = client.get("/exchange/1c/", {"type": "catalog", "mode": "checkauth"},
                       HTTP_AUTHORIZATION="Basic c2l0ZTpzM2NyZXQtcGFzcw==")
    assert reply.content.decode().split("\n")[0] == "success"
    client.get("/exchange/1c/", {"type": "catalog", "mode": "init"})
    data = import_xml(range(3))
    # As gunicorn hands it over: no Content-Length, the body decoded and terminated (PEP 3333 extension).
    reply = client.post("/exchange/1c/?type=catalog&mode=file&filename=import.xml", data=data,
                        content_type="application/octet-stream", CONTENT_LENGTH="",
                        HTTP_TRANSFER_ENCODING="chunked",
                        **{"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(data)})
    assert reply.content.decode() == "success"
    record = OneCFile.objects.get()
    assert record.size == len(data) and record.path.read_bytes() == data
    assert OneCRequest.objects.filter(mode="file").get().bytes == len(data)


# --- 4. Budgets of one exchange, nested archives, open exchanges per node ---------------------------------------


def test_M6_archive_budget_is_for_the_whole_exchange(opened, node):
    OneCSettings.objects.filter(node=node).update(zip_max_entries=5)
    opened.send("a.zip", zipped({f"import_files/a{i}.jpg": b"a" for i in range(3)}))
    opened.send("b.zip", zipped({f"import_files/b{i}.jpg": b"b" for i in range(3)}))
    assert opened.call("catalog", "import", filename="import.xml").first == "progress"
    reply = opened.call("catalog", "import", filename="import.xml")
    assert reply.first == "failure" and "together" in reply.lines[1] and "3 files" in reply.lines[1]
    session = OneCSession.objects.get()
    assert sorted(p.name for p in (session.directory / "import_files").iterdir()) == ["a0.jpg", "a1.jpg", "a2.jpg"]


def test_M6_archive_size_budget_is_for_the_whole_exchange(opened, node):
    OneCSettings.objects.filter(node=node).update(zip_max_total=2500)
    opened.send("a.zip", zipped({"import_files/a.jpg": b"a" * 1500}))
    opened.send("b.zip", zipped({"import_files/b.jpg": b"b" * 1500}))
    assert opened.call("catalog", "import", filename="import.xml").first == "progress"
    assert opened.call("catalog", "import", filename="import.xml").first == "failure"
    assert not (OneCSession.objects.get().directory / "import_files" / "b.jpg").exists()


def test_M6_archives_inside_archives_are_refused(opened):
    inner = zipped({"import_files/x.jpg": b"x" * 100})
    opened.send("outer.zip", zipped({"import.xml": import_xml(range(1)), "inner.zip": inner}))
    reply = opened.call("catalog", "import", filename="import.xml")
    assert reply.first == "failure" and "inner.zip" in reply.lines[1] and "inside" in reply.lines[1]
    session = OneCSession.objects.get()
    assert sorted(p.name for p in session.directory.iterdir()) == ["outer.zip"]
    assert not OneCFile.objects.filter(name="inner.zip").exists()


def test_M6_open_exchanges_per_node_are_capped(onec, node):
    OneCSettings.objects.create(node=node, max_open_sessions=2)
    clients = [fresh(onec) for _ in range(3)]
    clients[0].checkauth()
    clients[0].init()
    clients[0].send("import.xml", import_xml(range(1)))
    clients[1].checkauth("sale")                              # another type: init does not replace it
    clients[1].init("sale")
    oldest = OneCSession.objects.get(type="catalog")
    assert clients[2].checkauth().first == "success"
    oldest.refresh_from_db()
    assert oldest.status == "closed" and "limit" in oldest.message
    assert not oldest.directory.exists() and oldest.files_removed
    assert OneCSession.objects.filter(status__in=["auth", "open"]).count() == 2
    reply = clients[0].call("catalog", "file", import_xml(range(1)), filename="offers.xml")
    assert reply.first == "failure" and "replaced" in reply.lines[1]


def test_when_every_open_exchange_imports_a_new_one_is_refused(onec, node):
    OneCSettings.objects.create(node=node, max_open_sessions=1)
    first = fresh(onec)
    first.checkauth()
    first.init()
    first.send("import.xml", import_xml(range(1)))
    OneCFile.objects.update(run=start_run(node=node))          # its import is running right now
    reply = fresh(onec).checkauth()
    assert reply.first == "failure" and "importing right now" in reply.lines[1]
    assert OneCSession.objects.get().status == "open"


# --- 5. init after an interrupted exchange ------------------------------------------------------------------------


def test_init_starts_over_after_an_interrupted_exchange(opened, node):
    data = import_xml(range(30))
    opened.send("import.xml", data[:500])                     # the connection broke here
    old = OneCSession.objects.get()
    again = fresh(opened)
    assert again.checkauth().first == "success"
    assert again.init()["zip"] == "yes"                       # at once, not after lock_seconds
    old.refresh_from_db()
    assert old.status == "closed" and "started the exchange over" in old.message
    assert not old.directory.exists()
    again.send("import.xml", data)
    new = OneCSession.objects.exclude(pk=old.pk).get()
    assert new.status == "open" and new.files.get().size == len(data)
    # The interrupted exchange cannot go on behind the new one's back.
    assert opened.call("catalog", "file", data, filename="offers.xml").first == "failure"


def test_init_is_refused_while_the_other_exchange_imports(opened, node):
    opened.send("import.xml", import_xml(range(3)))
    OneCFile.objects.update(run=start_run(node=node))
    again = fresh(opened)
    again.checkauth()
    reply = again.call("catalog", "init")
    assert reply.first == "failure" and "importing right now" in reply.lines[1]
    assert OneCSession.objects.get(pk=OneCFile.objects.get().session_id).status == "open"


# --- 6. The address without the slash ------------------------------------------------------------------------------


def test_the_address_without_the_slash_answers_get_and_post(live_server, node, var_dir, huey_immediate):
    onec = OneC(live_server.url, path="/exchange/1c")
    reply = onec.checkauth()
    assert reply.status == 200 and reply.first == "success"
    assert onec.init()["zip"] == "yes"
    assert onec.call("catalog", "file", import_xml(range(1)), filename="import.xml").first == "success"
    assert OneCFile.objects.get().size == len(import_xml(range(1)))


# --- 7. The version line ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("asked", "answered"), [("2.09", "2.09"), ("2.10", "2.10"), ("3.1", "2.05"),
                                                 ("9.99", "2.05")])
def test_init_answers_the_version_orders_are_written_in(onec, node, asked, answered):
    onec.checkauth("sale")
    assert onec.init("sale", version=asked)["version"] == answered
    sent = onec.call("sale", "query")
    root = ElementTree.fromstring(sent.body)
    assert root.get("ВерсияСхемы") == answered
    assert OneCSession.objects.get().version == asked


def test_the_version_line_follows_the_node_and_is_absent_when_not_asked(onec, node):
    node.cml_version = "2.08"
    node.save(update_fields=["cml_version"])
    onec.checkauth()
    assert "version" not in onec.init()
    again = fresh(onec)
    again.checkauth()
    assert again.init(version="3.1")["version"] == "2.08"


# --- 8. mode=info and a missing type -------------------------------------------------------------------------------


def test_sale_info_answers_the_dictionary_in_the_nodes_encoding(onec, node):
    onec.checkauth("sale")
    onec.init("sale")
    reply = onec.call("sale", "info")
    assert reply.status == 200 and reply.content_type == "application/xml; charset=windows-1251"
    assert reply.body.startswith(b'<?xml version="1.0" encoding="windows-1251"?>')
    root = ElementTree.fromstring(reply.body)
    assert root.tag == "Справочник"
    statuses = {el.findtext("Ид"): el.findtext("Название") for el in root.find("Cтатусы")}
    assert statuses == {"issued": "Принят", "partly_paid": "Частично оплачен", "paid": "Оплачен",
                        "cancelled": "Отменен"}
    assert list(root.find("ПлатежныеСистемы")) == [] and list(root.find("СлужбыДоставки")) == []
    node.encoding = "utf-8"
    node.save(update_fields=["encoding"])
    utf = onec.call("sale", "info")
    assert utf.content_type == "application/xml; charset=utf-8" and "Оплачен".encode() in utf.body


def test_a_missing_type_means_the_catalog(onec, node):
    reply = onec.checkauth(type_="")
    assert reply.first == "success"
    session = OneCSession.objects.get()
    assert session.type == "catalog"
    assert onec.init(type_="")["zip"] == "yes"
    assert OneCRequest.objects.filter(mode="init").get().type == "catalog"
