"""Issue #19, documents from templates: a manager makes a commercial offer from a deal as PDF, and the first page
of what was rendered is looked at; an administrator's broken template is refused with the failing tag.

Screenshots: 140-deal-offer-ru, 141-offer-pdf-ru (pdftoppm), 142-deal-offer-it, 143-offer-pdf-it,
144-template-refused.
"""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document
from playwright.sync_api import expect

from raccordo.documents.rendering import soffice_path
from tests.documents.worlds import italian_sale, russian_sale
from tests.e2e.conftest import SCREENSHOTS, login
from tests.factories import UserFactory, reference_data

pytestmark = pytest.mark.skipif(soffice_path() is None or shutil.which("pdftoppm") is None,
                                reason="LibreOffice or pdftoppm is not installed (scripts/install-system-deps.sh)")


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ref = reference_data()
    ru = UserFactory(username="anna", first_name="Анна", last_name="Иванова", role="manager", language="ru")
    it = UserFactory(username="giulia", first_name="Giulia", last_name="Bianchi", role="manager", language="it")
    UserFactory(username="root", role="admin", is_staff=True, is_superuser=True, language="en")
    return {"ru": (ru, russian_sale(ref, ru)), "it": (it, italian_sale(ref, it))}


@pytest.mark.parametrize("language, first", [("ru", 140), ("it", 142)])
def test_offer_from_a_deal_as_pdf(page, world, shot, tmp_path, language, first):
    user, sale = world[language]
    login(page, user.username, "pass-12345")
    page.goto(f"{page.base_url}/deals/{sale.deal.pk}/")
    panel = page.locator("[data-testid=documents-panel]")
    panel.locator("select[name=kind]").select_option("offer")
    panel.locator("select[name=format]").select_option("pdf")
    panel.locator("[data-testid=document-generate]").click()
    link = page.locator("[data-testid=document-link]").first
    expect(link).to_be_visible(timeout=60_000)
    number = link.inner_text().split()[-1]
    assert number.startswith("OF-")
    shot(page, f"{first}-deal-offer-{language}")
    # The rendered document itself, through the same session the manager uses.
    response = page.request.get(page.base_url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "offer.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())
    assert number in flat and sale.words in flat and sale.client.full_name in flat
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", "1", str(pdf),
                    str(SCREENSHOTS / f"{first + 1}-offer-pdf-{language}")], check=True)


def test_broken_template_is_refused_with_its_tag(page, world, shot, tmp_path):
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/documents/templates/")
    expect(page.locator("[data-testid=template-variables]")).to_contain_text("amount_in_words")
    doc = Document()
    doc.add_paragraph("ИНН покупателя: {{ client.innn }}")
    out = io.BytesIO()
    doc.save(out)
    path = tmp_path / "offer.docx"
    path.write_bytes(out.getvalue())
    form = page.locator("[data-testid=template-upload]")
    form.locator("input[name=name]").fill("Our offer")
    form.locator("select[name=kind]").select_option("offer")
    form.locator("select[name=language]").select_option("ru")
    form.locator("input[name=upload]").set_input_files(str(path))
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=template-upload]")).to_contain_text("Unknown variable “client.innn” at "
                                                                          "{{ client.innn }}")
    shot(page, "144-template-refused")
