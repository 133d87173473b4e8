"""Filling a DOCX template (docxtpl) and turning the result into PDF (LibreOffice, headless).

Why LibreOffice and not WeasyPrint (which prints the invoice PDF): the templates are DOCX, and an administrator's
own template must give a PDF that looks like the DOCX they made. WeasyPrint would need a second, HTML copy of
every template, which an uploaded DOCX does not have. LibreOffice Writer converts the very document that was
filled, so DOCX and PDF always agree. Debian's `libreoffice-writer-nogui` (scripts/install-system-deps.sh) is
enough; without it a PDF is refused with a clear message and DOCX still works.

Templates run in Jinja's sandbox with undefined variables as errors: a template is an administrator's upload,
and it must neither reach Python objects nor print a misspelt variable as an empty string.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from raccordo.core.errors import ApplicationError

SHIPPED_DIR = Path(__file__).resolve().parent / "shipped"
STAMP_WIDTH = Mm(40)
SIGNATURE_WIDTH = Mm(35)
# A cold LibreOffice start is a few seconds on a busy 2-core box; a document that takes longer is broken.
CONVERT_TIMEOUT = 120
# One conversion at a time per process: LibreOffice keeps one instance per user profile.
_convert_lock = threading.Lock()


class PdfUnavailable(ApplicationError):
    """LibreOffice is not installed, so a document can be made as DOCX only."""

    code = "documents.pdf.unavailable"


def jinja_environment() -> SandboxedEnvironment:
    """The environment every template is rendered in: sandboxed, strict about undefined names, escaping XML."""
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def render_docx(template: bytes, context: dict[str, Any], *, images: dict[str, bytes] | None = None) -> bytes:
    """Fill the DOCX `template` with `context`; `images` ("stamp", "signature": PNG/JPEG bytes) become pictures."""
    tpl = DocxTemplate(io.BytesIO(template))
    context = dict(context)
    for name, data in (images or {}).items():
        if data:
            width = STAMP_WIDTH if name == "stamp" else SIGNATURE_WIDTH
            context[name] = InlineImage(tpl, image_descriptor=io.BytesIO(data), width=width)
    tpl.render(context, jinja_env=jinja_environment(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def soffice_path() -> str | None:
    """LibreOffice's command, when installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes) -> bytes:
    """Convert a DOCX document to PDF with LibreOffice in headless mode."""
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable(_("PDF needs LibreOffice (libreoffice-writer-nogui), which is not installed here; "
                               "make the document as DOCX."))
    # The profile LibreOffice writes on first start: under var/, one per process, kept so later starts are quick.
    profile = Path(settings.VAR_DIR) / "libreoffice" / f"profile-{os.getpid()}"
    with _convert_lock, tempfile.TemporaryDirectory(prefix="raccordo-pdf-") as work:
        source = Path(work) / "document.docx"
        source.write_bytes(docx)
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", "pdf", "--outdir", work, str(source)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=CONVERT_TIMEOUT, check=False,
                                  env={**os.environ, "HOME": work})
        except subprocess.TimeoutExpired as exc:
            raise ApplicationError(_("LibreOffice took too long to convert the document to PDF."),
                                   code="documents.pdf.timeout") from exc
        target = Path(work) / "document.pdf"
        if done.returncode != 0 or not target.exists():
            raise ApplicationError(_("LibreOffice could not convert the document to PDF: %(error)s")
                                   % {"error": (done.stderr or done.stdout).decode(errors="replace")[-300:]},
                                   code="documents.pdf.failed")
        return target.read_bytes()
