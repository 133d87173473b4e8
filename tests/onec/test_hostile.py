"""Hostile and broken requests: each is answered `failure` with a reason, nothing lands outside the session
directory, and the server goes on serving."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone

from raccordo.access import throttle
from raccordo.catalog.models import Product
from raccordo.exchange.onec.models import OneCFile, OneCRequest, OneCSession, OneCSettings
from raccordo.exchange.onec.services import ProtocolError, safe_name
from tests.onec.cml import import_xml, offers_xml, zipped
from tests.onec.conftest import OneC

pytestmark = pytest.mark.django_db(transaction=True)


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def still_serving(onec: OneC) -> None:
    fresh = OneC(onec.base.removesuffix("/exchange/1c/"))
    assert fresh.checkauth().first == "success"


@pytest.fixture
def opened(onec):
    onec.checkauth()
    onec.init()
    return onec


@pytest.mark.parametrize("name", ["../../x", "../x.xml", "a/../../x.xml", "/etc/../x.xml", "//server/../x.xml",
                                  "import_files/../../../x.jpg", "import_files/C:/x.jpg", "evil.php", "run.exe",
                                  "x.php.jpg", "import_files/a/s.sh", ".htaccess", "script.JS", ""])
def test_file_names_that_are_refused(opened, var_dir, tmp_path, name):
    reply = opened.call("catalog", "file", b"<?xml version='1.0'?><a/>", filename=name)
    assert reply.status == 200 and reply.first == "failure" and reply.lines[1]
    assert files_under(tmp_path) == []
    assert OneCFile.objects.count() == 0
    still_serving(opened)


def test_windows_paths_keep_their_base_name_and_sub_paths_stay():
    assert safe_name("C:\\v8_8789_c.xml") == "v8_8789_c.xml"
    assert safe_name("import_files\\ab\\x.jpg") == "import_files/ab/x.jpg"
    assert safe_name("import_files/ab/./x.jpg") == "import_files/ab/x.jpg"
    with pytest.raises(ProtocolError):
        safe_name("import_files/C:/x.jpg")


def test_zip_bomb(opened, var_dir):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("import.xml", b"<?xml version='1.0'?>" + b" " * (60 * 1024 * 1024))
    opened.send("v8_1.zip", bomb.getvalue())
    reply = opened.call("catalog", "import", filename="import.xml")
    assert reply.first == "failure" and "bomb" in reply.lines[1]
    session = OneCSession.objects.get()
    assert files_under(session.directory) == ["v8_1.zip"]
    # Asked again, the refusal stands.
    assert opened.call("catalog", "import", filename="import.xml").first == "failure"
    still_serving(opened)


def test_archive_over_the_entry_or_size_limit(opened, node, var_dir):
    OneCSettings.objects.filter(node=node).update(zip_max_entries=3)
    opened.send("v8_1.zip", zipped({f"import_files/{i}.jpg": b"x" for i in range(5)}))
    reply = opened.call("catalog", "import", filename="import.xml")
    assert reply.first == "failure" and "5" in reply.lines[1]


def test_zip_slip(opened, var_dir, tmp_path):
    archive = zipped({"import.xml": import_xml(range(2)), "../../../evil.txt": b"owned",
                      "import_files/../../../../evil.jpg": b"owned"})
    opened.send("v8_1.zip", archive)
    reply = opened.call("catalog", "import", filename="import.xml")
    assert reply.first == "failure" and "evil" in reply.lines[1]
    session = OneCSession.objects.get()
    assert files_under(tmp_path) == [str((session.directory / "v8_1.zip").relative_to(tmp_path))]
    assert Product.objects.count() == 0
    still_serving(opened)


def test_wrong_cookie_and_no_credentials(onec):
    onec.cookie = ("raccordo_1c", "not-a-session")
    reply = onec.call("catalog", "init")
    assert reply.first == "failure" and "authorise" in reply.lines[1]
    onec.cookie = None
    assert onec.call("catalog", "init").first == "failure"
    assert onec.call("catalog", "file", b"x", filename="a.xml").first == "failure"
    still_serving(onec)


def test_sessid_and_basic_authenticate_too(onec):
    onec.checkauth()
    sessid, onec.cookie = onec.sessid, None
    assert "zip" in onec.call("catalog", "init", sessid=sessid).first
    assert onec.call("catalog", "file", import_xml(range(1)), filename="import.xml", sessid=sessid).first == "success"
    assert onec.call("catalog", "import", filename="import.xml", basic=True).first == "success"


def test_expired_session(opened, node):
    OneCSession.objects.update(last_seen_at=timezone.now() - dt.timedelta(hours=2))
    reply = opened.call("catalog", "file", import_xml(range(1)), filename="import.xml")
    assert reply.first == "failure" and "expired" in reply.lines[1]
    assert OneCSession.objects.get().status == "expired"
    assert OneCFile.objects.count() == 0
    still_serving(opened)


def test_a_second_init_starts_over_and_the_first_session_cannot_go_on(opened, node):
    # Bitrix treats init as "start over"; only an import running right now holds the node
    # (test_protocol_details covers that refusal).
    opened.send("import.xml", import_xml(range(3)))
    second = OneC(opened.base.removesuffix("/exchange/1c/"))
    assert second.checkauth().first == "success"
    assert second.init()["zip"] == "yes"
    reply = opened.call("catalog", "file", offers_xml(range(3)), filename="offers.xml")
    assert reply.first == "failure" and "replaced" in reply.lines[1]
    assert OneCFile.objects.filter(session__status="open").count() == 0


def test_wrong_passwords_are_throttled(onec):
    onec.password = "wrong"
    for _ in range(10):
        reply = onec.checkauth()
        assert reply.first == "failure" and "password" in reply.lines[1]
    onec.password = "s3cret-pass"
    reply = onec.checkauth()
    assert reply.first == "failure" and "Too many" in reply.lines[1]
    # The refused attempt counts as a failed one in the log too.
    assert OneCRequest.objects.filter(auth_failed=True).count() == 11
    # The right one after the lock is over is not affected.
    throttle.counters_clear()
    assert onec.checkauth().first == "success"


def test_unknown_type_or_mode_and_upload_limit(opened, node):
    for params in ({"type": "catalog", "mode": "explode"}, {"type": "nonsense", "mode": "init"}, {}):
        reply = opened.call(params.get("type", ""), params.get("mode", ""))
        assert reply.status == 200 and reply.first == "failure" and reply.lines[1]
    OneCSettings.objects.filter(node=node).update(max_upload=1000)
    reply = opened.call("catalog", "file", b"<?xml version='1.0'?>" + b" " * 2000, filename="import.xml")
    assert reply.first == "failure" and "larger" in reply.lines[1]
    opened.send("import.xml", b"<?xml version='1.0'?>" + b" " * 900)
    reply = opened.call("catalog", "file", b" " * 200, filename="import.xml")      # the total is over
    assert reply.first == "failure" and "larger" in reply.lines[1]
    assert OneCFile.objects.get().size == 921
    assert (OneCSession.objects.get().directory / "import.xml").stat().st_size == 921
    still_serving(opened)


def test_import_of_a_file_never_sent_and_of_a_broken_one(opened):
    assert opened.call("catalog", "import", filename="import.xml").first == "failure"
    opened.send("import.xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    reply = opened.import_("import.xml")[-1]
    assert reply.first == "failure" and reply.lines[1]
