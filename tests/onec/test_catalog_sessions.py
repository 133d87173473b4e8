"""Whole catalog sessions over real HTTP, as 1C runs them: plain files, a zip, chunks, files sent again, progress."""

from __future__ import annotations

from decimal import Decimal

import pytest

from raccordo.catalog.models import Price, Product, StockLevel
from raccordo.exchange.models import Run
from raccordo.exchange.onec.models import OneCFile, OneCRequest, OneCSession, OneCSettings
from tests.onec.cml import import_xml, offers_xml, zipped
from tests.onec.conftest import OneC

pytestmark = pytest.mark.django_db(transaction=True)


def catalog_state():
    return (sorted(Product.objects.values_list("article", "is_active")),
            sorted(Price.objects.values_list("product__article", "value")),
            sorted(StockLevel.objects.values_list("product__article", "quantity")))


def test_plain_files(onec, node, var_dir):
    reply = onec.checkauth()
    assert reply.status == 200 and reply.content_type == "text/plain; charset=utf-8"
    assert not reply.body.startswith(b"\xef\xbb\xbf")
    assert reply.lines[0] == "success" and reply.lines[1] == "raccordo_1c" and reply.lines[3].startswith("sessid=")
    assert reply.lines[4].startswith("timestamp=") and reply.lines[4].split("=")[1].isdigit()
    assert onec.init() == {"zip": "yes", "file_limit": str(OneCSettings.objects.get(node=node).file_limit)}
    onec.send("import.xml", import_xml(range(20)))
    onec.send("offers.xml", offers_xml(range(20)))
    first = onec.import_("import.xml")
    assert first[-1].first == "success", first[-1].text
    assert "created" in first[-1].lines[1]
    assert onec.import_("offers.xml")[-1].first == "success"
    assert Product.objects.filter(is_active=True).count() == 20
    assert Price.objects.get(product__article="A00003").value == Decimal("100.50")

    session = OneCSession.objects.get()
    assert session.directory == var_dir / "exchange" / "ut11" / str(session.pk)
    assert sorted(f.name for f in session.files.all()) == ["import.xml", "offers.xml"]
    assert all(f.run is not None and f.status == "imported" for f in session.files.all())
    modes = list(OneCRequest.objects.filter(node=node).order_by("at", "id").values_list("mode", "answer"))
    assert modes[:4] == [("checkauth", "success"), ("init", "zip=yes"), ("file", "success"), ("file", "success")]
    assert all(r.session_id == session.pk for r in OneCRequest.objects.filter(node=node))

    # The same exchange again changes nothing.
    before = catalog_state()
    again = OneC(onec.base.removesuffix("/exchange/1c/"))
    again.checkauth()
    again.init()
    again.send("import.xml", import_xml(range(20)))
    again.send("offers.xml", offers_xml(range(20)))
    assert again.import_("import.xml")[-1].first == "success"
    assert again.import_("offers.xml")[-1].first == "success"
    assert catalog_state() == before
    assert Run.objects.filter(kind="import").order_by("-started_at").first().unchanged > 0


def test_one_zip_with_images(onec, node, var_dir):
    onec.checkauth()
    assert onec.init()["zip"] == "yes"
    archive = zipped({"import.xml": import_xml(range(10)), "offers.xml": offers_xml(range(10)),
                      "import_files/ab/picture.jpg": b"\xff\xd8\xff" + b"0" * 100})
    onec.send("v8_8789_c.zip", archive)
    replies = onec.import_("import.xml")
    assert replies[0].first == "progress" and "unpacked" in replies[0].lines[1]
    assert replies[-1].first == "success"
    assert onec.import_("offers.xml")[-1].first == "success"
    assert Product.objects.count() == 10 and Price.objects.count() == 10
    session = OneCSession.objects.get()
    assert (session.directory / "import_files" / "ab" / "picture.jpg").is_file()
    assert OneCFile.objects.get(name="v8_8789_c.zip").status == "unpacked"
    assert OneCFile.objects.get(name="import.xml").archive.name == "v8_8789_c.zip"


def test_chunks_smaller_than_the_files(onec, node):
    OneCSettings.objects.create(node=node, file_limit=1000, zip_allowed=False)
    onec.checkauth()
    assert onec.init() == {"zip": "no", "file_limit": "1000"}
    data = import_xml(range(40))
    replies = onec.send("import.xml", data)
    assert len(replies) == len(data) // 1000 + 1
    onec.send("offers.xml", offers_xml(range(40)))
    assert onec.import_("import.xml")[-1].first == "success"
    assert onec.import_("offers.xml")[-1].first == "success"
    record = OneCFile.objects.get(name="import.xml")
    assert record.size == len(data) and record.chunks == len(replies)
    assert Product.objects.count() == 40


def test_a_whole_file_sent_again_replaces_it(onec, node):
    onec.checkauth()
    onec.init()
    data = import_xml(range(15))
    onec.send("import.xml", data)
    onec.send("import.xml", data)                             # 1C sends the whole file again
    onec.send("offers.xml", offers_xml(range(15)), chunk=700)
    onec.send("offers.xml", offers_xml(range(15)), chunk=700)
    assert OneCFile.objects.get(name="import.xml").size == len(data)
    assert OneCFile.objects.get(name="import.xml").resent == 1
    assert OneCFile.objects.get(name="offers.xml").size == len(offers_xml(range(15)))
    assert onec.import_("import.xml")[-1].first == "success"
    assert onec.import_("offers.xml")[-1].first == "success"
    assert Product.objects.count() == 15


def test_import_repeated_after_a_timeout_is_safe(onec, node):
    onec.checkauth()
    onec.init()
    onec.send("import.xml", import_xml(range(5)))
    assert onec.import_("import.xml")[-1].first == "success"
    assert onec.import_("import.xml")[-1].first == "success"   # the answer was lost: 1C asks again
    assert Run.objects.filter(kind="import").count() == 1


def test_progress_loops_on_a_large_catalog(live_server, node, var_dir, worker):
    n = 3000
    OneCSettings.objects.create(node=node, time_budget=0.01)
    onec = OneC(live_server.url, turns=worker.lock)
    onec.checkauth()
    onec.init()
    onec.send("import.xml", import_xml(range(n)))
    onec.send("offers.xml", offers_xml(range(n)))
    replies = onec.import_("import.xml")
    offers = onec.import_("offers.xml")
    assert replies[-1].first == "success" and offers[-1].first == "success", (replies[-1].text, offers[-1].text)
    loops = [r for r in replies + offers if r.first == "progress"]
    assert len(loops) >= 2
    done = [int(r.lines[1].split()[0]) for r in replies if r.first == "progress"]
    assert done == sorted(done)
    assert Product.objects.filter(is_active=True).count() == n and Price.objects.count() == n
    print(f"\n{n} products, budget 0.01 s: import.xml {len(replies) - 1} progress answers, "
          f"offers.xml {len(offers) - 1}")


def test_full_catalog_deactivates_only_when_the_exchange_ends_whole(onec, node):
    onec.checkauth()
    onec.init()
    onec.send("import.xml", import_xml(range(10)))
    onec.send("offers.xml", offers_xml(range(10)))
    onec.import_("import.xml")
    onec.import_("offers.xml")

    # The next full exchange no longer lists p8 and p9; its offers file is broken.
    second = OneC(onec.base.removesuffix("/exchange/1c/"))
    second.checkauth()
    second.init()
    second.send("import.xml", import_xml(range(8)))
    second.send("offers.xml", offers_xml(range(8))[:-40])
    assert second.import_("import.xml")[-1].first == "success"
    assert Product.objects.filter(is_active=False).count() == 0      # the exchange is not over
    failed = second.import_("offers.xml")[-1]
    assert failed.first == "failure" and failed.lines[1]

    # Sent whole again in a third exchange: its start ends the second, which had a failed file: nothing goes.
    third = OneC(onec.base.removesuffix("/exchange/1c/"))
    third.checkauth()
    third.init()
    ended = OneCSession.objects.order_by("created_at")[1]
    assert ended.status == "complete" and ended.finish_run is None and "Not every file" in ended.message
    assert Product.objects.filter(is_active=False).count() == 0
    third.send("import.xml", import_xml(range(8)))
    third.send("offers.xml", offers_xml(range(8)))
    assert third.import_("import.xml")[-1].first == "success"
    assert third.import_("offers.xml")[-1].first == "success"
    # An older client never says the exchange is over: it ends when it has been idle long enough.
    assert Product.objects.filter(is_active=False).count() == 0
    from raccordo.exchange.onec.services import sessions_finish_idle
    assert sessions_finish_idle() == 0
    OneCSettings.objects.filter(node=node).update(snapshot_idle=0)
    assert sessions_finish_idle() == 1
    assert sorted(Product.objects.filter(is_active=False).values_list("article", flat=True)) == ["A00008", "A00009"]
    finish = OneCSession.objects.order_by("-created_at").first().finish_run
    assert finish.kind == "deactivate" and finish.deactivated == 2
    assert sessions_finish_idle() == 0


def test_newer_clients_deactivate_at_complete(onec, node):
    onec.checkauth()
    assert onec.init(version="3.1")["version"] == "2.05"      # what orders are written in, not an echo
    onec.send("import.xml", import_xml(range(6)))
    onec.send("offers.xml", offers_xml(range(6)))
    onec.import_("import.xml")
    onec.import_("offers.xml")
    assert onec.call("catalog", "complete").first == "success"
    again = OneC(onec.base.removesuffix("/exchange/1c/"))
    again.checkauth()
    values = again.init(version="3.1")
    assert values["sessid"] == again.sessid
    again.send("import.xml", import_xml(range(4)))
    again.send("offers.xml", offers_xml(range(4)))
    again.import_("import.xml")
    again.import_("offers.xml")
    assert Product.objects.filter(is_active=False).count() == 0
    assert again.call("catalog", "deactivate").first == "success"
    assert again.call("catalog", "complete").first == "success"
    assert Product.objects.filter(is_active=False).count() == 2
    assert list(Run.objects.filter(kind="deactivate").order_by("started_at").values_list("deactivated", flat=True)) == [0, 2]


def test_the_bitrix_address_works_too(live_server, node, var_dir, huey_immediate):
    onec = OneC(live_server.url, path="/bitrix/admin/1c_exchange.php")
    assert onec.checkauth().first == "success"
    assert onec.init()["zip"] == "yes"
