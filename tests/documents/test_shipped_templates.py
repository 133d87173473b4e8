"""Every shipped template, filled for a Russian and an Italian client, says what it must: both companies'
requisites, the lines, the total and the total in words, in DOCX (read back with python-docx) and in PDF
(pdftotext)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from raccordo.core.models import ChangeJournal
from raccordo.documents.models import DocumentKind, GeneratedDocument
from raccordo.documents.rendering import soffice_path
from raccordo.documents.services import DocumentRequest, document_generate
from tests.factories import UserFactory, reference_data

from .worlds import docx_pictures, docx_text, italian_sale, russian_sale

pytestmark = pytest.mark.django_db

KINDS = [k.value for k in DocumentKind]
SALES = {"ru": russian_sale, "it": italian_sale}
# What each language's documents call the lines and the client's and our requisites.
EXPECTED = {
    "ru": ["Насос ЦНС-38", "Монтаж", "ООО «Ромашка»", "LLC Raccordo Trade", "ИНН 7736207543", "044525225",
           "40702810938000000001", "Казань", "1 200,50"],
    "it": ["Pompa centrifuga", "Installazione", "Bianchi S.p.A.", "Raccordo Italia S.r.l.", "IT01234567897",
           "IT00743110157", "IT60X0542811101000000123456", "Torino", "1.200,50"],
}


@pytest.fixture
def anna(db):
    return UserFactory(username="anna", role="manager", email="anna@example.com")


def _request(sale, kind: str, fmt: str = "docx") -> DocumentRequest:
    return DocumentRequest(kind=kind, deal=sale.deal, invoice=sale.invoice, format=fmt)


@pytest.mark.parametrize("language", ["ru", "it"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_shipped_template_as_docx(kind, language, anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sale = SALES[language](reference_data(), anna)
    doc = document_generate(user=anna, request=_request(sale, kind))
    assert doc.language == language and doc.template_name == f"{kind}.{language}"
    with doc.file.open("rb") as fh:
        data = fh.read()
    text = docx_text(data)
    for expected in [*EXPECTED[language], sale.words, doc.number]:
        assert expected in text, f"{kind}.{language}: {expected!r} missing"
    assert "{{" not in text and "{%" not in text
    # The stamp and the signature are pictures in the Russian company's documents; the Italian one has none.
    assert docx_pictures(data) == (2 if language == "ru" else 0)
    assert doc.counterparty == sale.client
    assert ChangeJournal.objects.filter(object_id=str(doc.pk), operation="create").exists()


def test_numbers_run_per_kind_and_year(anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sale = russian_sale(reference_data(), anna)
    first = document_generate(user=anna, request=_request(sale, "offer"))
    second = document_generate(user=anna, request=_request(sale, "offer"))
    act = document_generate(user=anna, request=_request(sale, "act"))
    year = first.date.year
    assert (first.number, second.number, act.number) == (f"OF-{year}-00001", f"OF-{year}-00002",
                                                           f"AC-{year}-00001")
    assert set(GeneratedDocument.objects.filter(deal=sale.deal).values_list("number", flat=True)) >= {
        first.number, second.number}


@pytest.mark.skipif(soffice_path() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice or pdftotext is not installed (scripts/install-system-deps.sh)")
@pytest.mark.parametrize("language", ["ru", "it"])
def test_every_shipped_template_as_pdf(language, anna, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sale = SALES[language](reference_data(), anna)
    for kind in KINDS:
        doc = document_generate(user=anna, request=_request(sale, kind, "pdf"))
        path = tmp_path / "out.pdf"
        with doc.file.open("rb") as fh:
            path.write_bytes(fh.read())
        assert path.read_bytes().startswith(b"%PDF-")
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                              text=True).stdout
        flat = " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())
        for expected in [*EXPECTED[language], sale.words, doc.number]:
            assert " ".join(expected.split()) in flat, f"{kind}.{language} PDF: {expected!r} missing"
