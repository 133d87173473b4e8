"""The check of an uploaded template: hostile archives refused before they are unpacked, template errors named."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.utils import timezone

from raccordo.documents.checking import TemplateRefused, check_template
from raccordo.documents.context import build_context
from raccordo.documents.rendering import SHIPPED_DIR
from raccordo.documents.sources import sample_source

from .test_documents_web import _docx


@pytest.fixture(scope="module")
def context():
    return build_context(sample_source(), number="XX-2026-00001", day=timezone.localdate(), language="ru")


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("path", sorted(p.name for p in SHIPPED_DIR.glob("*.docx")))
def test_shipped_templates_pass_their_own_check(path, context):
    check_template((SHIPPED_DIR / path).read_bytes(), context)


@pytest.mark.parametrize("source, code, words", [
    ("{{ client.innn }}", "unknown_variable", "client.innn"),
    ("{% for l in lines %}{{ l.amnt }}{% endfor %}", "unknown_variable", "l.amnt"),
    ("{{ totals.total }} {{ nonsense }}", "unknown_variable", "nonsense"),
    ("{{ client.name ", "syntax", "client.name"),
    ("{% for l in lines %}{{ l.n }}", "syntax", "endfor"),
    ("{{ client.name.__class__.__mro__ }}", "render", "unsafe"),
])
def test_template_errors_are_named(source, code, words, context):
    with pytest.raises(TemplateRefused) as refused:
        check_template(_docx(source), context)
    assert refused.value.code == f"documents.template.{code}"
    assert words in refused.value.message


def test_zip_bomb_is_refused_before_unpacking(context):
    bomb = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"0" * (60 * 1024 * 1024)})
    with pytest.raises(TemplateRefused) as refused:
        check_template(bomb, context)
    assert refused.value.code == "documents.template.zip_bomb"


def test_paths_outside_the_archive_are_refused(context):
    data = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>", "../../etc/evil": b"x"})
    with pytest.raises(TemplateRefused) as refused:
        check_template(data, context)
    assert refused.value.code == "documents.template.bad_path" and "../../etc/evil" in refused.value.message


def test_too_big_and_not_a_word_document(context):
    with pytest.raises(TemplateRefused, match="more than"):
        check_template(b"x" * (5 * 1024 * 1024 + 1), context)
    with pytest.raises(TemplateRefused, match="not a Word document"):
        check_template(_zip({"hello.txt": b"hi"}), context)
