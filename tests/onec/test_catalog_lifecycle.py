"""The life cycle of a catalog across files, chunks, archives and exchanges (docs/commerceml.md).

The same files must give the same final state however 1C hands them over: in one call of the command
line, one file per call, one HTTP exchange (plain, zipped, cut in small chunks, ended by `complete` or
by going idle), one HTTP exchange per file; and a second identical exchange writes nothing.
"""

from __future__ import annotations

import urllib.request

import pytest
from django.core.management import call_command
from django.urls import reverse

from raccordo.catalog.models import (
    Price,
    PriceType,
    Product,
    ProductGroup,
    Property,
    StockLevel,
    Unit,
    Warehouse,
)
from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import Binding, Run
from raccordo.exchange.onec.models import OneCFile, OneCSession, OneCSettings
from raccordo.exchange.onec.services import sessions_finish_idle
from raccordo.exchange.services import exchange_import
from tests import corpus
from tests.onec import lifecycle
from tests.onec.cml import zipped
from tests.onec.conftest import OneC

pytestmark = pytest.mark.django_db(transaction=True)


def state(node) -> dict:
    """The catalog's tables, by accounting's ids (our primary keys differ from run to run)."""
    ext = dict(Binding.objects.filter(node=node, object_type="catalog.product").values_list("object_id", "external_id"))
    return {
        "products": sorted((ext.get(p.pk, "?"), p.name, p.article, p.is_active, ext.get(p.variant_of_id))
                           for p in Product.objects.all()),
        "prices": sorted((ext.get(pid), str(v)) for pid, v in Price.objects.values_list("product_id", "value")),
        "stock": sorted((ext.get(pid), str(q)) for pid, q in StockLevel.objects.values_list("product_id", "quantity")),
        "groups": sorted(ProductGroup.objects.values_list("name", "is_active")),
        "bindings": sorted(Binding.objects.filter(node=node).values_list("object_type", "external_id", "scope",
                                                                            "peer_deleted")),
    }


def active(node) -> dict[str, bool]:
    ext = dict(Binding.objects.filter(node=node, object_type="catalog.product").values_list("object_id", "external_id"))
    return {ext[pk]: is_active for pk, is_active in Product.objects.values_list("pk", "is_active")}


def wipe() -> None:
    for model in (Price, StockLevel, Binding, Product, ProductGroup, Property, PriceType, Warehouse, Unit):
        model.objects.all().delete()
    OneCSession.objects.all().update(status="complete")


def write(tmp_path, files: dict[str, bytes]) -> list:
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


# --- the ways 1C hands the same files over ----------------------------------------------------------------------------


def cli_one_call(ctx, files):
    run = exchange_import(paths=write(ctx["tmp"], files), node=ctx["node"])
    assert run.status == "succeeded", run.message


def cli_file_per_call(ctx, files):
    for path in write(ctx["tmp"], files):
        assert exchange_import(paths=[path], node=ctx["node"]).status == "succeeded"


def _http(ctx, files, *, zip_=False, chunk=None, end="idle", version=None):
    onec = OneC(ctx["url"])
    assert onec.checkauth().first == "success"
    onec.init(**({"version": version} if version else {}))
    if zip_:
        onec.send("v8_1C5E_1.zip", zipped(files), chunk=chunk)
    else:
        for name, data in files.items():
            onec.send(name, data, chunk=chunk)
    for name in files:
        assert onec.import_(name)[-1].first == "success"
    if end == "complete":
        assert onec.call("catalog", "complete").first == "success"
    elif end == "idle":
        assert sessions_finish_idle() == 1


def http_one_exchange(ctx, files):
    _http(ctx, files)


def http_zipped(ctx, files):
    _http(ctx, files, zip_=True, chunk=512)


def http_small_chunks(ctx, files):
    _http(ctx, files, chunk=300)


def http_complete(ctx, files):
    _http(ctx, files, end="complete", version="3.1")


def http_exchange_per_file(ctx, files):
    # Each file in an exchange of its own: the next one's start ends the one before; the last goes idle.
    for name, data in files.items():
        _http(ctx, {name: data}, end="next")
    assert sessions_finish_idle() == 1


GROUPINGS = [cli_one_call, cli_file_per_call, http_one_exchange, http_zipped, http_small_chunks, http_complete,
             http_exchange_per_file]


@pytest.fixture
def ctx(live_server, node, var_dir, huey_immediate, tmp_path):
    OneCSettings.objects.update_or_create(node=node, defaults={"snapshot_idle": 0})
    return {"url": live_server.url, "node": node, "tmp": tmp_path}


@pytest.mark.parametrize("grouping", GROUPINGS, ids=lambda g: g.__name__)
def test_the_same_files_end_in_one_state_however_they_come(ctx, node, grouping):
    # The reference: everything in one call of the command line.
    cli_one_call(ctx, lifecycle.before())
    cli_one_call(ctx, lifecycle.after())
    reference = state(node)
    assert active(node) == lifecycle.EXPECTED_ACTIVE
    wipe()

    cli_one_call(ctx, lifecycle.before())
    grouping(ctx, lifecycle.after())
    assert active(node) == lifecycle.EXPECTED_ACTIVE
    assert state(node) == reference

    # The same exchange again: nothing is written.
    journal = ChangeJournal.objects.count()
    grouping(ctx, lifecycle.after())
    assert state(node) == reference
    assert ChangeJournal.objects.count() == journal


def test_deleted_goods_and_their_variants_never_become_active(ctx, node):
    cli_one_call(ctx, lifecycle.before())
    cli_file_per_call(ctx, lifecycle.after())
    states = active(node)
    assert not states["p3"] and not states["p7"] and not states["p8"] and not states["p3#x"]
    bound = Binding.objects.filter(node=node, object_type="catalog.product")
    assert set(bound.filter(peer_deleted=True).values_list("external_id", flat=True)) == {"p3", "p7", "p8"}
    # The offers file of a later exchange, alone, names them again: they stay inactive, each listed with why.
    cli_one_call(ctx, {"offers.xml": lifecycle.after()["offers.xml"]})
    run = Run.objects.filter(kind="import").latest("started_at")
    assert active(node) == lifecycle.EXPECTED_ACTIVE
    skipped = {i.external_id: i for i in run.items.filter(outcome="skipped")}
    assert set(skipped) == {"p7", "p8", "p3#x"}
    assert all("deleted" in i.message and i.file == "offers.xml" and i.line for i in skipped.values())
    assert not Price.objects.filter(product__in=Product.objects.filter(pk__in=bound.filter(
        external_id="p8").values("object_id"))).exists()


def test_a_good_listed_again_is_active_again_even_unchanged(ctx, node):
    a = lifecycle.Catalog("cat-a", [lifecycle.Good(f"p{i}") for i in range(4)])
    cli_one_call(ctx, {"import.xml": lifecycle.import_xml(a)})
    cli_one_call(ctx, {"import.xml": lifecycle.import_xml(a, goods=a.goods[:2])})
    assert active(node) == {"p0": True, "p1": True, "p2": False, "p3": False}
    http_one_exchange(ctx, {"import.xml": lifecycle.import_xml(a)})
    assert active(node) == {"p0": True, "p1": True, "p2": True, "p3": True}
    run = Run.objects.filter(kind="import").latest("started_at")
    assert (run.updated, run.unchanged) == (2, 3)   # p2 and p3 made active; p0, p1 and their group as they were


def test_a_full_export_touches_only_its_own_catalog(ctx, node):
    cli_one_call(ctx, lifecycle.before())
    b = lifecycle.Catalog("cat-b", [lifecycle.Good("b0")], [lifecycle.Offer("b0")])
    http_one_exchange(ctx, {"import_b.xml": lifecycle.import_xml(b), "offers_b.xml": lifecycle.offers_xml(b)})
    states = active(node)
    assert states["b1"] is False and states["b0"] is True
    assert all(states[k] for k in ("p0", "p6", "q2", "p5#b"))
    assert Run.objects.filter(kind="deactivate").latest("started_at").deactivated == 1


def test_changes_only_exports_never_deactivate(ctx, node):
    cli_one_call(ctx, lifecycle.before())
    a = lifecycle.Catalog("cat-a", [lifecycle.Good("p0")], [lifecycle.Offer("p0", price="1.00")])
    http_one_exchange(ctx, {"import.xml": lifecycle.import_xml(a, full=False),
                            "offers.xml": lifecycle.offers_xml(a, full=False)})
    assert all(active(node).values())
    finish = OneCSession.objects.latest("created_at").finish_run
    assert finish.deactivated == 0 and "Only changes" in finish.message


def test_a_package_export_ends_with_deactivate(ctx, node, admin_client):
    """1C's package mode (UT 11.4 2.08+, the 1C-Bitrix module): every file says "changes only", and
    `mode=deactivate` says the export was whole: what the exchange did not list goes, in its catalogs."""
    cli_one_call(ctx, lifecycle.before())
    a = lifecycle.Catalog("cat-a", [lifecycle.Good(f"p{i}") for i in range(6)],
                          [lifecycle.Offer(f"p{i}") for i in range(6)] + [lifecycle.Offer("q1", name="Only an offer 1")])
    onec = OneC(ctx["url"])
    stamp = onec.checkauth().lines[4].removeprefix("timestamp=")
    onec.init(version="3.1")
    files = {"import___1.xml": lifecycle.import_xml(a, full=False), "offers___1.xml": lifecycle.offers_xml(a, full=False)}
    for name, data in files.items():
        onec.send(name, data)
        assert onec.import_(name)[-1].first == "success"
    reply = onec.call("catalog", "deactivate", timestamp=stamp)
    assert reply.first == "success" and reply.lines[1] == "deactivated 6", reply.text
    assert onec.call("catalog", "complete").first == "success"
    states = active(node)
    assert [k for k, v in sorted(states.items()) if not v] == ["p3#x", "p5#b", "p5#r", "p6", "p7", "q2"]
    assert states["b0"] and states["b1"]   # another catalog is never touched
    # Each deactivated good is on the run's report by name, 1C's id and catalog, not only as a number.
    run = Run.objects.filter(deactivated=6).latest("started_at")
    dropped = sorted(run.items.filter(outcome="dropped").values_list("external_id", "code"))
    assert dropped == sorted((ext, "exchange.catalog.absent") for ext in ("p3#x", "p5#b", "p5#r", "p6", "p7", "q2"))
    assert all("full export of catalog cat-a" in m for m in run.items.filter(outcome="dropped")
               .values_list("message", flat=True))
    page = admin_client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "deactivated"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="tab-deactivated"' in html and "p5#r" in html


def test_deactivate_with_a_timestamp_counts_every_exchange_begun_since_it(ctx, node):
    """Bitrix's `deactivate&timestamp=T`: a package export spread over two exchanges; what either listed
    since T stays, what neither listed goes (in the catalogs listed)."""
    cli_one_call(ctx, lifecycle.before())
    a = lifecycle.Catalog("cat-a", [lifecycle.Good(f"p{i}") for i in range(6)])
    first = OneC(ctx["url"])
    stamp = first.checkauth().lines[4].removeprefix("timestamp=")
    first.init(version="3.1")
    first.send("import___1.xml", lifecycle.import_xml(a, full=False, goods=a.goods[:3]))
    assert first.import_("import___1.xml")[-1].first == "success"
    assert first.call("catalog", "complete").first == "success"      # changes only: nothing goes yet
    assert all(active(node).values())
    second = OneC(ctx["url"])
    second.checkauth()
    second.init(version="3.1")
    second.send("import___2.xml", lifecycle.import_xml(a, full=False, goods=a.goods[3:]))
    assert second.import_("import___2.xml")[-1].first == "success"
    reply = second.call("catalog", "deactivate", timestamp=stamp)
    assert reply.first == "success" and reply.lines[1] == "deactivated 2", reply.text   # p6, p7
    assert second.call("catalog", "complete").first == "success"
    states = active(node)
    assert [k for k in ("p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7") if not states[k]] == ["p6", "p7"]
    assert states["b0"] and states["b1"]   # another catalog is never touched


def test_an_exchange_left_open_ends_when_the_next_begins(ctx, node):
    OneCSettings.objects.filter(node=node).update(snapshot_idle=3600)
    a = lifecycle.Catalog("cat-a", [lifecycle.Good(f"p{i}") for i in range(3)])
    _http(ctx, {"import.xml": lifecycle.import_xml(a)}, end="next")
    _http(ctx, {"import.xml": lifecycle.import_xml(a, goods=a.goods[:1])}, end="next")
    assert sessions_finish_idle() == 0        # not idle long enough
    assert active(node) == {"p0": True, "p1": True, "p2": True}
    _http(ctx, {"import.xml": lifecycle.import_xml(a, goods=a.goods[:1])}, end="next")
    # Ended by the third exchange's start: the second's snapshot listed p0 only.
    assert active(node) == {"p0": True, "p1": False, "p2": False}
    first, second, third = OneCSession.objects.order_by("created_at")
    assert first.status == second.status == "complete" and third.status == "open"


def test_the_command_line_file_by_file_keeps_variants(ctx, node, tmp_path):
    cli_one_call(ctx, lifecycle.before())
    paths = write(tmp_path, lifecycle.before())
    call_command("exchange", "import", str(paths[0]), "--node", node.code)
    assert active(node)["p5#r"] and active(node)["q1"]
    call_command("exchange", "import", str(paths[1]), "--node", node.code)
    assert all(active(node).values())


CORPUS = corpus.SHARED_COMMERCEML   # third-party files: only in shared/ (tests/corpus)
UT11 = ["dobromyslov__commerceml-parser__import0_1.xml", "dobromyslov__commerceml-parser__offers0_1.xml"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the checkout")
def test_real_ut11_files_file_by_file_twice_then_zipped(ctx, node):
    """UT 11's own export (CommerceML 2.07, 36 goods of which KM-245-BC is deleted, 44 offers of which 8
    name goods the catalog does not send), uploaded and imported file by file with zip off, as 1C does."""
    OneCSettings.objects.filter(node=node).update(zip_allowed=False, file_limit=65_536)
    files = {name.split("__")[-1]: (CORPUS / name).read_bytes() for name in UT11}

    def file_by_file():
        onec = OneC(ctx["url"])
        onec.checkauth()
        assert onec.init()["zip"] == "no"
        for name, data in files.items():
            onec.send(name, data)
            assert onec.import_(name)[-1].first == "success"
        assert sessions_finish_idle() == 1

    file_by_file()
    first = state(node)
    km = Product.objects.get(article="KM-245-BC")
    assert not km.is_active and Binding.objects.get(object_id=km.pk).peer_deleted
    assert Product.objects.filter(is_active=True).count() == 43 and Product.objects.count() == 44
    journal = ChangeJournal.objects.count()
    file_by_file()
    assert state(node) == first and ChangeJournal.objects.count() == journal

    wipe()
    OneCSettings.objects.filter(node=node).update(zip_allowed=True)
    _http(ctx, files, zip_=True, chunk=4096)
    assert state(node) == first


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def test_pictures_of_an_exchange_are_attached_to_their_products(ctx, node):
    """Pictures in 1C's archive reach their products (the page that shows them: tests/exchange/test_pictures.py)."""
    from raccordo.catalog.models import ProductImage

    goods = [lifecycle.Good("p0", images=("import_files/a/p0.jpg", "import_files/a/p0b.png")),
             lifecycle.Good("p1", images=("import_files/a/p1.jpg",)),
             lifecycle.Good("p2", images=("import_files/a/evil.jpg",))]
    a = lifecycle.Catalog("cat-a", goods)
    files = {"import.xml": lifecycle.import_xml(a), "import_files/a/p0.jpg": JPEG, "import_files/a/p0b.png": PNG,
             "import_files/a/p1.jpg": JPEG + b"1", "import_files/a/evil.jpg": b"<?php echo 1; ?>"}
    onec = OneC(ctx["url"])
    onec.checkauth()
    onec.init()
    onec.send("v8_1.zip", zipped(files), chunk=256)
    assert onec.import_("import.xml")[-1].first == "success"
    p0 = Product.objects.get(article="cat-a-p0")
    assert list(p0.images.values_list("content_type", "source_name")) == [
        ("image/jpeg", "import_files/a/p0.jpg"), ("image/png", "import_files/a/p0b.png")]
    assert ProductImage.objects.count() == 3
    run = Run.objects.filter(kind="import").latest("started_at")
    refused = run.items.get(outcome="skipped", object_type="catalog.productimage")
    assert "evil.jpg" in refused.message and "JPEG" in refused.message

    # The same exchange again writes nothing; a picture dropped in 1C goes.
    journal = ChangeJournal.objects.count()
    sessions_finish_idle()
    again = OneC(ctx["url"])
    again.checkauth()
    again.init()
    again.send("v8_2.zip", zipped(files))
    assert again.import_("import.xml")[-1].first == "success"
    assert ChangeJournal.objects.count() == journal and ProductImage.objects.count() == 3
    goods[0].images = ("import_files/a/p0.jpg",)
    sessions_finish_idle()
    third = OneC(ctx["url"])
    third.checkauth()
    third.init()
    third.send("v8_3.zip", zipped({**files, "import.xml": lifecycle.import_xml(a)}))
    assert third.import_("import.xml")[-1].first == "success"
    assert list(p0.images.values_list("source_name", flat=True)) == ["import_files/a/p0.jpg"]


def test_pictures_of_an_exchange_are_shown_and_served_over_http_to_signed_in_users(ctx, node, manager):
    """From 1C's archive to the browser, on the live server: the product page shows the picture, its
    address serves it to a signed-in user, and sends anyone else to the sign-in page."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    a = lifecycle.Catalog("cat-a", [lifecycle.Good("p0", images=("import_files/a/p0.png",))])
    onec = OneC(ctx["url"])
    onec.checkauth()
    onec.init()
    onec.send("v8_1.zip", zipped({"import.xml": lifecycle.import_xml(a), "import_files/a/p0.png": PNG}))
    assert onec.import_("import.xml")[-1].first == "success"
    product = Product.objects.get(article="cat-a-p0")
    image_url = reverse("web:product_image", args=[product.pk, product.images.get().pk])
    with urllib.request.urlopen(ctx["url"] + image_url, timeout=30) as anonymous:   # follows the redirect
        assert reverse(settings.LOGIN_URL) in anonymous.url and anonymous.read() != PNG
    signed_in = Client()
    signed_in.force_login(manager)
    cookie = f"{settings.SESSION_COOKIE_NAME}={signed_in.cookies[settings.SESSION_COOKIE_NAME].value}"

    def get(path: str):
        return urllib.request.urlopen(urllib.request.Request(ctx["url"] + path, headers={"Cookie": cookie}),
                                      timeout=30)

    with get(reverse("web:product_detail", args=[product.pk])) as page:
        assert image_url in page.read().decode()
    with get(image_url) as picture:
        assert picture.headers["Content-Type"] == "image/png" and picture.read() == PNG


def test_with_the_background_worker_between_requests(live_server, node, var_dir, worker, tmp_path):
    """The same exchange with imports and its end run by a worker thread between 1C's requests (the
    server answers `progress` meanwhile), as `raccordo serve` runs them."""
    OneCSettings.objects.update_or_create(node=node, defaults={"snapshot_idle": 0, "time_budget": 0.05})
    ctx = {"url": live_server.url, "node": node, "tmp": tmp_path}
    cli_one_call(ctx, lifecycle.before())
    cli_one_call(ctx, lifecycle.after())
    reference = state(node)   # the tables, as the other groupings compare them
    wipe()
    cli_one_call(ctx, lifecycle.before())
    onec = OneC(live_server.url, turns=worker.lock)
    onec.checkauth()
    onec.init()
    for name, data in lifecycle.after().items():
        onec.send(name, data, chunk=700)
    for name in lifecycle.after():
        assert onec.import_(name)[-1].first == "success"
    with worker.lock:
        assert sessions_finish_idle() == 1
    for thread in worker.threads:
        thread.join(timeout=120)
    assert not worker.errors, worker.errors
    assert active(node) == lifecycle.EXPECTED_ACTIVE and state(node) == reference
    assert OneCSession.objects.get(pk=OneCSession.objects.latest("created_at").pk).finish_run.status == "succeeded"
    # Each offer not taken is in the worker's run report one by one, with its file, line and reason.
    run = OneCFile.objects.get(session=OneCSession.objects.latest("created_at"), name="offers.xml").run
    skipped = {i.external_id: i for i in run.items.filter(outcome="skipped")}
    assert set(skipped) == {"p7", "p8", "p3#x"}
    assert all("deleted" in i.message and i.file == "offers.xml" and i.line for i in skipped.values())
