"""Issue #17, "printed documents are right" and "consistent numbers": the line's description follows its product,
the own company's VAT rate and warehouses, Cyrillic download names, the history in words, fresh receivables,
dates in the locale's format."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from raccordo.catalog.models import StockLevel, Warehouse
from raccordo.core.downloads import content_disposition
from raccordo.parties.models import OwnCompany
from raccordo.reports.models import SnapshotKind
from raccordo.reports.services import report_figures
from raccordo.sales.services import invoice_create, invoice_from_deal, invoice_issue, payment_record
from raccordo.sales.services.lines import LineInput
from tests import factories

pytestmark = pytest.mark.django_db


def _draft(user, ref, cp, **line):
    return invoice_create(user=user, data={
        "own_company": ref["own_company"], "counterparty": cp, "currency": "RUB",
        "date": timezone.localdate(), "due_date": timezone.localdate()},
        lines=[LineInput(quantity=Decimal("1"), price=Decimal("150"), **line)])


def _edit_post(client, invoice, line, **fields):
    data = {"own_company": invoice.own_company_id, "counterparty": invoice.counterparty_id,
            "date": invoice.date.isoformat(), "due_date": invoice.due_date.isoformat(), "currency": "RUB",
            "vat_included": "on", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", "lines-0-id": str(line.pk),
            "lines-0-product": str(line.product_id or ""), "lines-0-description": line.description,
            "lines-0-quantity": "1", "lines-0-price": "150.00", "lines-0-discount_percent": "0.00",
            "lines-0-vat_rate": ""}
    data.update({f"lines-0-{k}": v for k, v in fields.items()})
    return client.post(reverse("web:invoice_edit", args=[invoice.pk]), data)


# --- Downloads ------------------------------------------------------------------------------------------------

def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name():
    header = content_disposition("invoice-РТ-2026-00011.pdf")
    assert header == ("attachment; filename=\"invoice-RT-2026-00011.pdf\"; "
                      "filename*=UTF-8''invoice-%D0%A0%D0%A2-2026-00011.pdf")
    assert content_disposition("invoice-RI-2026-00012.pdf") == 'attachment; filename="invoice-RI-2026-00012.pdf"'
    assert content_disposition('Счёт "1";.pdf', inline=True).startswith('inline; filename="Schet _1__.pdf"')


def test_russian_invoice_pdf_downloads_with_its_cyrillic_name(manager_client, manager, world):
    own = world["ref"]["own_company"]
    own.invoice_prefix = "РТ-"
    own.save()
    invoice = invoice_issue(user=manager, invoice=_draft(manager, world["ref"], world["mine"]["counterparty"],
                                                         description="Монтаж"))
    assert invoice.number.startswith("РТ-")
    response = manager_client.get(reverse("web:invoice_pdf", args=[invoice.pk]))
    header = response["Content-Disposition"]
    assert header.isascii() and "=?utf-8?" not in header
    assert header.startswith('attachment; filename="invoice-RT-')
    assert "filename*=UTF-8''invoice-%D0%A0%D0%A2-" in header


def test_exports_use_the_same_header(manager_client, world):
    for name in ("web:invoice_export", "web:counterparty_export"):
        for fmt in ("csv", "xlsx"):
            header = manager_client.get(reverse(name) + f"?format={fmt}")["Content-Disposition"]
            assert header.startswith('attachment; filename="') and header.endswith(f'.{fmt}"'), header


# --- The line's description follows its product -----------------------------------------------------------------

def test_a_new_product_replaces_the_untouched_description(manager_client, manager, world):
    invoice = _draft(manager, world["ref"], world["mine"]["counterparty"], description="Heating of the office")
    line = invoice.lines.get()
    assert _edit_post(manager_client, invoice, line, product=str(world["product"].pk)).status_code == 302
    line = invoice.lines.get()
    assert line.product == world["product"] and line.description == "Steel pipe"


def test_a_typed_description_is_kept(manager_client, manager, world):
    product = world["product"]
    invoice = _draft(manager, world["ref"], world["mine"]["counterparty"], product=product, description="Pipe")
    line = invoice.lines.get()
    _edit_post(manager_client, invoice, line, description="Steel pipe, 3 m cuts")
    assert invoice.lines.get().description == "Steel pipe, 3 m cuts"
    # Another product with a description typed at the same time: the typed text wins.
    other = factories.product_with_stock(world["ref"], name="Copper pipe")
    line = invoice.lines.get()
    _edit_post(manager_client, invoice, line, product=str(other.pk), description="Copper, as agreed")
    assert invoice.lines.get().description == "Copper, as agreed"


# --- VAT from the own company's tax status ---------------------------------------------------------------------

def test_invoice_from_deal_takes_the_own_company_vat_rate(manager, world):
    own = world["ref"]["own_company"]
    deal = world["mine"]["deal"]
    own.vat_rate = Decimal("20")
    own.save()
    assert invoice_from_deal(user=manager, deal=deal, own_company=own).lines.get().vat_rate == Decimal("20")
    own.vat_rate = None   # a company without VAT (simplified system)
    own.save()
    assert invoice_from_deal(user=manager, deal=deal, own_company=own).lines.get().vat_rate is None


def test_new_invoice_lines_start_at_the_company_rate(manager_client, world):
    own = world["ref"]["own_company"]
    own.vat_rate = Decimal("20")
    own.save()
    html = manager_client.get(reverse("web:invoice_create")).content.decode()
    assert "name=\"lines-0-vat_rate\" value=\"20.00\"" in html
    assert 'name="lines-__prefix__-vat_rate" value="20.00"' in html


def test_own_company_settings_page_has_the_vat_rate(admin_client, reference_data):
    own = reference_data["own_company"]
    html = admin_client.get(reverse("web:settings_companies")).content.decode()
    assert "VAT, %" in html
    html = admin_client.get(reverse("web:settings_companies_edit", args=[own.pk])).content.decode()
    assert 'name="vat_rate"' in html


# --- Stock of the invoice's own company ------------------------------------------------------------------------

def test_stock_counts_only_the_own_company_warehouses(manager_client, world):
    ref, product = world["ref"], world["product"]
    italy = OwnCompany.objects.create(name="Raccordo Italia", country="IT", currency="EUR")
    milano = Warehouse.objects.create(name="Milano", own_company=italy)
    moscow = Warehouse.objects.create(name="Moscow", own_company=ref["own_company"])
    StockLevel.objects.create(product=product, warehouse=milano, quantity=Decimal("500"))
    StockLevel.objects.create(product=product, warehouse=moscow, quantity=Decimal("40"))
    url = reverse("web:line_product_info") + f"?product={product.pk}"
    ru = manager_client.get(url + f"&own_company={ref['own_company'].pk}").json()
    # Moscow and the warehouse of no company ("Main warehouse", 10): not Milan's 500.
    assert ru["available"] == "50.000" and {s["warehouse"] for s in ru["stock"]} == {"Main warehouse", "Moscow"}
    it = manager_client.get(url + f"&own_company={italy.pk}").json()
    assert it["available"] == "510.000"
    assert manager_client.get(url).json()["available"] == "550.000"   # a deal: every warehouse
    data = {"line_prefix": "lines", "lines-TOTAL_FORMS": "1", "currency": "RUB", "own_company": ref["own_company"].pk,
            "lines-0-product": str(product.pk), "lines-0-quantity": "1", "lines-0-price": "100"}
    html = manager_client.post(reverse("web:line_totals"), data).content.decode()
    assert "50 available" in html and "Milano" not in html


# --- History in words ------------------------------------------------------------------------------------------

def test_history_shows_lines_and_values_in_words(manager_client, manager, world):
    invoice = _draft(manager, world["ref"], world["mine"]["counterparty"], description="Boiler installation")
    manager_client.cookies["django_language"] = "ru"
    html = manager_client.get(reverse("web:invoice_detail", args=[invoice.pk])).content.decode()
    assert "['" not in html and "Boiler installation: 1 × 150, сумма 150,00" in html
    assert invoice.date.strftime("%d.%m.%Y") in html and invoice.date.isoformat() not in html


# --- Numbers that agree ----------------------------------------------------------------------------------------

@override_settings(REPORT_CACHE_SECONDS=300)
def test_receivables_snapshot_is_stale_right_after_a_payment(manager, world, django_capture_on_commit_callbacks):
    before = report_figures(user=manager, kind=SnapshotKind.RECEIVABLES)
    assert report_figures(user=manager, kind=SnapshotKind.RECEIVABLES).cached
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(user=manager, data={"counterparty": world["mine"]["counterparty"],
                                           "date": timezone.localdate(), "amount": Decimal("400"), "currency": "RUB"})
    after = report_figures(user=manager, kind=SnapshotKind.RECEIVABLES)
    assert not after.cached
    assert after.data["receivable"]["RUB"] == before.data["receivable"]["RUB"] - Decimal("400")


def test_dates_follow_the_locale(world):
    invoice = world["mine"]["invoice"]
    invoice.date = dt.date(2026, 12, 25)
    with translation.override("ru"):
        assert str(invoice).endswith("25.12.2026")
    with translation.override("en"):
        assert str(invoice).endswith("12/25/2026")
