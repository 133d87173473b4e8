"""Product pictures: attached from a real 1C catalog's `Картинка` names, idempotently, every file checked, and
shown on the product page only to signed-in users."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from django.urls import reverse

from raccordo.catalog.models import ProductImage
from raccordo.catalog.services import product_create
from raccordo.core.models import ChangeJournal
from raccordo.exchange.engine import RunRecorder, start_run
from raccordo.exchange.formats.commerceml import reader as cml_reader
from raccordo.exchange.formats.commerceml import records as cml
from raccordo.exchange.importers import pictures
from raccordo.exchange.importers.pictures import picture_paths, product_images_attach
from raccordo.exchange.services import node_create
from tests import corpus

pytestmark = pytest.mark.django_db(transaction=True)

CORPUS = corpus.SHARED_COMMERCEML   # a third-party file: only in shared/ (tests/corpus)
UMI = CORPUS / "irpsv__commerceml__umi-cms_import.xml"
GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
       b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def png(seed: int) -> bytes:
    """A real 1x1 PNG whose colour depends on `seed` (so each has its own content)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixel = zlib.compress(b"\x00" + bytes([seed % 256, (seed * 7) % 256, (seed * 13) % 256]))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixel) + chunk(b"IEND", b""))


def jpeg(seed: int) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes([seed % 256]) * 64 + b"\xff\xd9"


@pytest.fixture
def media(settings, var_dir):
    settings.MEDIA_ROOT = var_dir / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def node():
    return node_create(user=None, code="umi", kind="folder")


def recorder(node) -> RunRecorder:
    return RunRecorder(start_run(node=node))


def media_files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def umi(tmp_path):
    """The umi-cms catalog of the corpus: its goods as products and, next to the XML, the pictures it names."""
    if not UMI.is_file():
        pytest.skip(f"the shared corpus is not beside the checkout ({UMI})")
    root = tmp_path / "exchange"
    with UMI.open("rb") as raw:
        goods = [rec for rec in cml_reader.read(raw) if isinstance(rec, cml.ProductRec) and rec.images]
    assert goods
    mapping = {}
    for n, rec in enumerate(goods):
        product = product_create(user=None, data={"name": rec.name or rec.id, "article": rec.article or ""})
        paths = picture_paths(root, rec.images)
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(jpeg(n * 10 + paths.index(path)))
        mapping[product.pk] = paths
    return root, mapping, goods


def test_pictures_of_a_real_catalog_are_attached_and_a_second_exchange_writes_nothing(node, media, umi):
    root, mapping, goods = umi
    first = product_images_attach(node=node, product_ids_to_paths=mapping, recorder=recorder(node), root=root)
    assert first["added"] == sum(len(set(map(str, p))) for p in mapping.values()) and first["skipped"] == 0
    for pk, paths in mapping.items():
        images = list(ProductImage.objects.filter(product_id=pk).order_by("position"))
        assert [img.source_name for img in images] == [p.relative_to(root).as_posix() for p in paths][:len(images)]
        assert all(img.content_type == "image/jpeg" and img.file.name.endswith(".jpg") for img in images)
        assert images[0].file.read() == paths[0].read_bytes()
    stored, journal = media_files(media), ChangeJournal.objects.count()

    second = product_images_attach(node=node, product_ids_to_paths=mapping, recorder=recorder(node), root=root)
    assert second["added"] == second["moved"] == second["removed"] == 0
    assert second["unchanged"] == first["added"]
    assert media_files(media) == stored                           # no file written again, not even touched
    assert ChangeJournal.objects.count() == journal               # and no record changed


def test_same_content_is_stored_once_and_a_dropped_picture_goes(node, media, tmp_path):
    a = product_create(user=None, data={"name": "A"})
    b = product_create(user=None, data={"name": "B"})
    (tmp_path / "import_files").mkdir()
    shared, own = tmp_path / "import_files" / "same.png", tmp_path / "import_files" / "own.gif"
    shared.write_bytes(png(1))
    own.write_bytes(GIF)
    product_images_attach(node=node, product_ids_to_paths={a.pk: [shared, own], b.pk: [shared]},
                          recorder=recorder(node), root=tmp_path)
    assert len(media_files(media)) == 2 and ProductImage.objects.count() == 3
    # 1C lists a's pictures in another order, then without the shared one; b no longer has pictures.
    counts = product_images_attach(node=node, product_ids_to_paths={a.pk: [own, shared]}, recorder=recorder(node),
                                   root=tmp_path)
    assert counts["moved"] == 2
    assert list(a.images.order_by("position").values_list("content_type", flat=True)) == ["image/gif", "image/png"]
    product_images_attach(node=node, product_ids_to_paths={a.pk: [own]}, recorder=recorder(node), root=tmp_path)
    assert len(media_files(media)) == 2                            # b still shows the shared picture
    product_images_attach(node=node, product_ids_to_paths={b.pk: []}, recorder=recorder(node), root=tmp_path)
    assert ProductImage.objects.filter(product=b).count() == 0
    assert sorted(Path(n).suffix for n in media_files(media)) == [".gif"]   # unreferenced: removed


def test_bad_pictures_are_skipped_items_and_nothing_else_is_lost(node, media, tmp_path, monkeypatch):
    monkeypatch.setattr(pictures, "PICTURE_MAX_BYTES", 4096)
    product = product_create(user=None, data={"name": "P"})
    root = tmp_path / "exchange"
    files = root / "import_files"
    files.mkdir(parents=True)
    (files / "good.png").write_bytes(png(2))
    (files / "old.png").write_bytes(png(3))
    product_images_attach(node=node, product_ids_to_paths={product.pk: [files / "old.png"]},
                          recorder=recorder(node), root=root)

    (files / "shell.jpg").write_bytes(b"<?php system($_GET['c']); ?>")
    (files / "page.png").write_bytes(b"<html><script>alert(1)</script></html>")
    (files / "huge.jpg").write_bytes(jpeg(4) + b"\0" * 5000)
    (files / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    (tmp_path / "secret.jpg").write_bytes(jpeg(5))
    names = ["import_files/good.png", "import_files/shell.jpg", "import_files/page.png", "import_files/huge.jpg",
             "import_files/link.jpg", "../secret.jpg", "/etc/passwd", "import_files/missing.jpg"]
    rec = recorder(node)
    counts = product_images_attach(node=node, product_ids_to_paths={product.pk: picture_paths(root, names)},
                                   recorder=rec, root=root)
    rec.save()
    assert counts["added"] == 1 and counts["skipped"] == 7
    items = {item.file: item.code for item in rec.run.items.all()}
    assert items == {"shell.jpg": "exchange.picture.not_image", "page.png": "exchange.picture.not_image",
                     "huge.jpg": "exchange.picture.too_large", "link.jpg": "exchange.picture.name",
                     "secret.jpg": "exchange.picture.name", "passwd": "exchange.picture.name",
                     "missing.jpg": "exchange.picture.missing"}
    assert all(item.outcome == "skipped" and item.object_id == product.pk and item.message
               for item in rec.run.items.all())
    assert rec.run.skipped == 7
    # The good one is attached first; the picture it had stays (a refused one may be its new version).
    assert list(product.images.order_by("position").values_list("source_name", flat=True)) == [
        "import_files/good.png", "import_files/old.png"]
    assert len(media_files(media)) == 2


def test_a_symlink_inside_the_directory_is_refused_even_without_a_root(node, media, tmp_path):
    product = product_create(user=None, data={"name": "P"})
    target = tmp_path / "real.png"
    target.write_bytes(png(6))
    os.symlink(target, tmp_path / "link.png")
    rec = recorder(node)
    counts = product_images_attach(node=node, product_ids_to_paths={product.pk: [tmp_path / "link.png"]},
                                   recorder=rec)
    assert counts["skipped"] == 1 and ProductImage.objects.count() == 0


def test_the_product_page_shows_pictures_to_signed_in_users_only(client, manager, node, media, tmp_path):
    product = product_create(user=None, data={"name": "Стол"})
    other = product_create(user=None, data={"name": "Стул"})
    (tmp_path / "a.png").write_bytes(png(7))
    (tmp_path / "b.gif").write_bytes(GIF)
    product_images_attach(node=node, product_ids_to_paths={product.pk: [tmp_path / "a.png", tmp_path / "b.gif"]},
                          recorder=recorder(node), root=tmp_path)
    first, second = product.images.order_by("position")
    url = reverse("web:product_image", args=[product.pk, first.pk])

    assert client.get(url).status_code == 302                      # anonymous: to the login page
    client.force_login(manager)
    page = client.get(reverse("web:product_detail", args=[product.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert url in html and reverse("web:product_image", args=[product.pk, second.pk]) in html
    assert html.index(url) < html.index(reverse("web:product_image", args=[product.pk, second.pk]))
    picture = client.get(url)
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    assert picture["X-Content-Type-Options"] == "nosniff" and b"".join(picture.streaming_content) == png(7)
    # A picture is reached only through its own product; the media directory is not served.
    assert client.get(reverse("web:product_image", args=[other.pk, first.pk])).status_code == 404
    assert client.get("/media/" + first.file.name).status_code == 404
    assert "Pictures" not in client.get(reverse("web:product_detail", args=[other.pk])).content.decode()
