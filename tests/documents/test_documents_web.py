"""The documents pages: a manager makes a document from a deal and an invoice, downloads and e-mails it; another
manager cannot reach it; an administrator uploads templates (a broken one refused with its tag) and pictures."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from raccordo.activities.models import Interaction
from raccordo.documents.models import DocumentTemplate, GeneratedDocument
from raccordo.documents.rendering import SHIPPED_DIR
from tests.factories import UserFactory, reference_data

from .worlds import PIXEL_PNG, docx_text, italian_sale, russian_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def anna(db):
    return UserFactory(username="anna", role="manager", email="anna@example.com")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return tmp_path


def _login(client, user):
    client.force_login(user)
    return client


def test_manager_makes_an_offer_from_a_deal_and_only_she_reaches_it(client, anna, media):
    sale = russian_sale(reference_data(), anna)
    _login(client, anna)
    response = client.post(reverse("documents:deal_generate", args=[sale.deal.pk]),
                           {"kind": "offer", "format": "docx", "template": "", "language": ""})
    assert response.status_code == 302
    doc = GeneratedDocument.objects.get(deal=sale.deal)
    page = client.get(reverse("web:deal_detail", args=[sale.deal.pk])).content.decode()
    assert doc.number in page and reverse("documents:download", args=[doc.pk]) in page
    download = client.get(reverse("documents:download", args=[doc.pk]))
    assert download.status_code == 200
    assert "Насос ЦНС-38" in docx_text(b"".join(download.streaming_content))
    # Another manager sees neither the document nor a way to make one for a client who is not hers.
    marco = _login(client.__class__(), UserFactory(username="marco", role="manager"))
    assert marco.get(reverse("documents:download", args=[doc.pk])).status_code == 404
    assert marco.post(reverse("documents:send", args=[doc.pk]), {"to": "buyer@romashka.ru"}).status_code == 404
    assert marco.post(reverse("documents:deal_generate", args=[sale.deal.pk]),
                      {"kind": "offer", "format": "docx"}).status_code == 404
    assert GeneratedDocument.objects.count() == 1


def test_invoice_documents_and_sending_only_to_the_clients_addresses(client, anna, media):
    sale = russian_sale(reference_data(), anna)
    _login(client, anna)
    client.post(reverse("documents:invoice_generate", args=[sale.invoice.pk]), {"kind": "act", "format": "docx"})
    doc = GeneratedDocument.objects.get(invoice=sale.invoice, kind="act")
    assert doc.number in client.get(reverse("web:invoice_detail", args=[sale.invoice.pk])).content.decode()
    # An address not on the client's card is refused; nothing leaves.
    client.post(reverse("documents:send", args=[doc.pk]), {"to": "stranger@example.com"})
    assert mail.outbox == []
    client.post(reverse("documents:send", args=[doc.pk]), {"to": "buyer@romashka.ru"})
    (message,) = mail.outbox
    assert message.to == ["buyer@romashka.ru"] and message.attachments[0][0] == doc.filename
    assert Interaction.objects.filter(counterparty=sale.client, kind="email").exists()


def test_an_offer_is_not_made_from_an_invoice(client, anna, media):
    sale = russian_sale(reference_data(), anna)
    _login(client, anna)
    client.post(reverse("documents:invoice_generate", args=[sale.invoice.pk]), {"kind": "offer", "format": "docx"})
    assert not GeneratedDocument.objects.exists()


def test_fatturapa_download_and_reason_when_it_cannot_be(client, anna, media):
    italian = italian_sale(reference_data(), anna)
    _login(client, anna)
    response = client.get(reverse("documents:invoice_fatturapa", args=[italian.invoice.pk]))
    assert response.status_code == 200 and b"FatturaElettronica" in response.content
    assert ".xml" in response["Content-Disposition"]


def _docx(*paragraphs: str) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _upload(client, data: bytes, name="Our offer"):
    return client.post(reverse("documents:templates"), {
        "name": name, "kind": "offer", "language": "ru", "is_active": "on",
        "upload": SimpleUploadedFile("offer.docx", data)})


def test_admin_uploads_templates_broken_ones_refused_with_the_tag(client, admin_user, anna, media):
    _login(client, admin_user)
    page = client.get(reverse("documents:templates")).content.decode()
    assert "client.inn" in page and "amount_in_words" in page
    refused = _upload(client, _docx("ИНН покупателя: {{ client.innn }}")).content.decode()
    assert "client.innn" in refused and "{{ client.innn }}" in refused
    assert "Syntax error" in _upload(client, _docx("{% if totals.has_vat %} НДС")).content.decode()
    assert "not a DOCX file" in _upload(client, b"PK\x03\x04 not really a zip").content.decode()
    assert not DocumentTemplate.objects.exists()
    assert _upload(client, _docx("Предложение {{ document.number }} для {{ client.full_name }}")).status_code == 302
    template = DocumentTemplate.objects.get()
    # The active uploaded template is what a manager's offer is made from.
    sale = russian_sale(reference_data(), anna)
    _login(client, anna)
    client.post(reverse("documents:deal_generate", args=[sale.deal.pk]), {"kind": "offer", "format": "docx"})
    doc = GeneratedDocument.objects.get()
    assert doc.template == template
    with doc.file.open("rb") as fh:
        assert docx_text(fh.read()).strip() == f"Предложение {doc.number} для ООО «Ромашка»"


def test_templates_page_and_uploads_are_for_administrators_only(client, anna, media):
    _login(client, anna)
    assert client.get(reverse("documents:templates")).status_code == 404
    assert _upload(client, (SHIPPED_DIR / "offer.ru.docx").read_bytes()).status_code == 404
    assert client.get(reverse("documents:shipped_template", args=["offer.ru"])).status_code == 404
    assert not DocumentTemplate.objects.exists()


def test_company_stamp_and_signature_upload(client, admin_user, media):
    ref = reference_data()
    _login(client, admin_user)
    url = reverse("documents:company_pictures", args=[ref["own_company"].pk])
    client.post(url, {"stamp": SimpleUploadedFile("stamp.png", PIXEL_PNG)})
    ref["own_company"].refresh_from_db()
    assert ref["own_company"].stamp
    client.post(url, {"signature": SimpleUploadedFile("sign.png", b"GIF89a not a png")})
    ref["own_company"].refresh_from_db()
    assert not ref["own_company"].signature


def test_admin_downloads_a_shipped_template(client, admin_user):
    _login(client, admin_user)
    response = client.get(reverse("documents:shipped_template", args=["contract.it"]))
    assert response.status_code == 200
    assert "Contratto di fornitura" in docx_text(b"".join(response.streaming_content))
