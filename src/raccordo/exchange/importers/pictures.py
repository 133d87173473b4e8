"""Product pictures of a CommerceML exchange (`Картинка`: `import_files/…` next to the XML or in the 1C archive).

The catalog importer knows which product each `ProductRec.images` belongs to and where the exchange's
files are; it resolves the relative names with `picture_paths` and hands the lot to
`product_images_attach` after its product flush. Every file is hostile until checked: size, that it is
really a JPEG, PNG, GIF or WebP (magic bytes, whatever its name says), that it is a regular file
inside the exchange's directory. A bad picture is a skipped run item with its reason; the product's
other pictures and the rest of the run go on.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

from raccordo.catalog.models import Product
from raccordo.catalog.services import ImageInput, product_images_set
from raccordo.exchange.engine import RunRecorder
from raccordo.exchange.models import ExchangeNode, RunItem

# 1C resizes nothing: a catalog photo of several MB is normal, tens of MB is not a product picture.
PICTURE_MAX_BYTES = getattr(settings, "RACCORDO_PICTURE_MAX_BYTES", 20 * 1024 * 1024)
OBJECT_TYPE = "catalog.productimage"


class PictureRefused(Exception):
    """A picture that is not stored, with the reason the run shows."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def picture_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image by its first bytes; None unless JPEG, PNG, GIF or WebP."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", ".gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def picture_paths(root: Path, names: Iterable[str]) -> list[Path]:
    """The files `Картинка` names, under the exchange directory `root`.

    Nothing is dropped here: a name that leads out of `root` is refused by `product_images_attach`
    (given the same `root`), which records why.
    """
    return [root / name.replace("\\", "/") for name in names]


def picture_read(path: Path, *, root: Path | None = None, max_bytes: int | None = None) -> ImageInput:
    """Read and check one picture file; PictureRefused with the reason if it is not one to store."""
    max_bytes = PICTURE_MAX_BYTES if max_bytes is None else max_bytes
    if root is not None:
        try:
            inside = Path(os.path.realpath(path)).is_relative_to(Path(os.path.realpath(root)))
        except (OSError, ValueError):
            inside = False
        if not inside:
            raise PictureRefused("exchange.picture.name",
                                 _("The picture's name leads out of the exchange directory."))
    try:
        info = path.lstat()
    except (OSError, ValueError):
        raise PictureRefused("exchange.picture.missing", _("The picture was not sent.")) from None
    if not stat.S_ISREG(info.st_mode):
        # A symbolic link (or a device) could point anywhere on the server.
        raise PictureRefused("exchange.picture.not_file", _("The picture is not a plain file."))
    if info.st_size > max_bytes:
        raise PictureRefused("exchange.picture.too_large",
                             _("The picture is larger than %(limit)s bytes.") % {"limit": max_bytes})
    with path.open("rb") as f:
        content = f.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise PictureRefused("exchange.picture.too_large",
                             _("The picture is larger than %(limit)s bytes.") % {"limit": max_bytes})
    kind = picture_type(content[:16])
    if kind is None:
        raise PictureRefused("exchange.picture.not_image",
                             _("The file is not a JPEG, PNG, GIF or WebP picture."))
    content_type, extension = kind
    return ImageInput(content=content, sha1=hashlib.sha1(content).hexdigest(), content_type=content_type,
                      extension=extension, source_name=_source_name(path, root))


def _source_name(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def product_images_attach(*, node: ExchangeNode, product_ids_to_paths: dict, recorder: RunRecorder,
                          root: Path | None = None) -> dict[str, int]:
    """Attach each product's pictures (the files in the order 1C listed them), idempotently.

    `product_ids_to_paths` maps a product's pk to its picture files; a product mapped to an empty list
    loses its pictures, a product not in the map keeps them. With `root`, every file must lie inside it.
    The same pictures again write nothing. A picture that cannot be stored is a skipped run item, and
    that product then keeps the pictures it had besides the new ones (one of them may be the refused
    picture's last good version). Returns the counts of `product_images_set`, plus skipped.
    """
    totals = {"added": 0, "moved": 0, "removed": 0, "unchanged": 0, "skipped": 0}
    products = Product.objects.in_bulk(list(product_ids_to_paths))
    for product_id, paths in product_ids_to_paths.items():
        product = products.get(product_id)
        if product is None:
            continue
        images: list[ImageInput] = []
        refused = False
        for path in paths:
            try:
                images.append(picture_read(Path(path), root=root))
            except PictureRefused as exc:
                # Nothing else is lost for it: the product keeps the pictures it had (see below).
                refused = True
                totals["skipped"] += 1
                recorder.count("skipped")
                recorder.add(RunItem(outcome="skipped", object_type=OBJECT_TYPE, object_id=product.pk,
                                     code=exc.code, message=f"{exc.message} ({_source_name(Path(path), root)})"[:2000],
                                     file=PurePosixPath(str(path)).name[:255]))
        counts = product_images_set(user=None, product=product, images=images, remove_others=not refused)
        for key, value in counts.items():
            totals[key] += value
    return totals
