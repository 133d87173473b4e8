"""Employees' photos that come with company.xml (`Картинка`: a file uploaded in the same exchange)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path, PurePosixPath

from django.conf import settings

from raccordo.exchange.sources import path_inside

from .records import Batch

PHOTO_TYPES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"}
MAX_PHOTO = 10 * 1024 * 1024


def photos_dir() -> Path:
    return Path(settings.VAR_DIR) / "staff" / "photos"


def photos_take(batch: Batch, directory: Path) -> None:
    """Copy each employee's photo out of the exchange directory (which is cleaned up later) and point the
    record at the copy; a photo not uploaded, outside the directory, too big or not an image is dropped."""
    target = photos_dir()
    for person in batch.persons:
        if not person.photo:
            continue
        name = person.photo.replace("\\", "/").lstrip("/")
        source = directory / PurePosixPath(name)
        suffix = source.suffix.lower()
        if (suffix not in PHOTO_TYPES or not path_inside(directory, source) or not source.is_file()
                or source.stat().st_size > MAX_PHOTO):
            person.photo = ""
            continue
        target.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256(person.person_id.encode()).hexdigest()[:24]
        shutil.copyfile(source, target / f"{key}{suffix}")
        person.photo = f"staff/photos/{key}{suffix}"
