"""Uploads waiting for the mapping step, kept under the person's own directory by a random token, and who may
import which kind of records."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from raccordo.access import policy

from .columns import (
    PRODUCTS,
    TabularError,
    max_file_size,
)

# --- uploads -----------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")


def _upload_dir(user) -> Path:
    return Path(settings.VAR_DIR) / "tabular" / str(getattr(user, "pk", "system"))


def upload_store(*, user, uploaded) -> tuple[str, Path]:
    """Keep an uploaded file for the mapping step: its size capped while copying; return (token, path).

    The file lives under the user's own directory, named by a random token, so one person cannot
    import another's upload and no name from the browser reaches the file system.
    """
    suffix = Path(getattr(uploaded, "name", "") or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise TabularError(_("Upload a CSV or XLSX file."))
    if getattr(uploaded, "size", 0) and uploaded.size > max_file_size():
        raise TabularError(_("The file is larger than %(limit)s MB.") % {"limit": max_file_size() // (1024 * 1024)})
    directory = _upload_dir(user)
    directory.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    path = directory / f"{token}{suffix}"
    written = 0
    with path.open("wb") as out:
        for chunk in uploaded.chunks():
            written += len(chunk)
            if written > max_file_size():
                out.close()
                path.unlink(missing_ok=True)
                raise TabularError(_("The file is larger than %(limit)s MB.")
                                   % {"limit": max_file_size() // (1024 * 1024)})
            out.write(chunk)
    return token, path


def upload_get(*, user, token: str) -> Path:
    """The stored upload of `user` with this token, or TabularError."""
    if not _TOKEN.match(token or ""):
        raise TabularError(_("The uploaded file is no longer available: upload it again."))
    for suffix in UPLOAD_SUFFIXES:
        path = _upload_dir(user) / f"{token}{suffix}"
        if path.is_file():
            return path
    raise TabularError(_("The uploaded file is no longer available: upload it again."))


def may_import(user, kind: str) -> bool:
    """Administrators, and roles that may add records of this kind (counterparties; products: the catalog)."""
    subject = "catalog" if kind == PRODUCTS else "counterparties"
    return policy.allows(user, "add", subject)

