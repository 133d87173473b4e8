"""Every list exports to CSV and XLSX with its filters applied, and only the rows the policy lets a person export."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.access.routes import ROUTES
from tests.access.world import KIND_SUBJECT, STAFF, build_world, sees
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

EXPORTS = sorted(name for name, route in ROUTES.items() if route.kind == "export" and route.model)


@pytest.fixture
def company(reference_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world(reference_data)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))


def xlsx_rows(response, sheet: int = 0) -> list[tuple]:
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(_body(response)), read_only=True)
    return [tuple(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]


def _exportable(company, username: str, kind: str) -> set[str]:
    person = company.people[username]
    return {r.marker for r in company.of_kind(kind)
            if KIND_SUBJECT[kind] in person.exports and sees(person, kind, r.client, r.owners, r.owner_departments)}


def test_every_list_with_records_has_an_export_declared():
    assert {"web:counterparty_export", "web:contact_export", "web:deal_export", "web:invoice_export",
            "web:task_export", "web:complaint_export", "web:receivables_export"} <= set(EXPORTS)


@pytest.mark.parametrize("name", EXPORTS)
def test_an_export_holds_exactly_the_rows_the_person_may_export(name, company):
    route = ROUTES[name]
    markers = {r.marker for r in company.of_kind(route.model)}
    for username in STAFF:
        client = _client(company.users[username])
        expected = _exportable(company, username, route.model)
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse(name), {**route.query, "format": fmt})
            rows = csv_rows(response)[1:] if fmt == "csv" else xlsx_rows(response)[1:]
            found = {str(cell) for row in rows for cell in row if str(cell) in markers}
            assert found == expected, (name, username, fmt)


def test_a_managers_export_lacks_the_records_of_others(company):
    anna = _client(company.users["anna"])
    text = _body(anna.get(reverse("web:deal_export"), {"state": "all"})).decode("utf-8-sig")
    assert "XDL01X" in text and "XDL03X" not in text and "XDL06X" not in text   # dmitry's and marco's deals
    text = _body(anna.get(reverse("web:invoice_export"))).decode("utf-8-sig")
    assert "XIN01X" in text and "XIN04X" not in text


def test_export_applies_the_search_and_filters_on_screen(company):
    root = _client(company.users["root"])
    rows = csv_rows(root.get(reverse("web:deal_export"), {"state": "all", "q": "XDL03X"}))
    assert [r[0] for r in rows[1:]] == ["XDL03X"]
    rows = csv_rows(root.get(reverse("web:task_export"), {"mine": "0", "status": "all", "q": "XTP02X"}))
    assert [r[0] for r in rows[1:]] == ["XTP02X"]
    rows = csv_rows(root.get(reverse("web:contact_export"), {"q": "XCT05X"}))
    assert len(rows) == 2 and rows[1][0] == "XCT05X"
    # the receivables of one responsible person, as the page narrows them
    ivan = company.users["ivan"]
    rows = csv_rows(root.get(reverse("web:receivables_export"), {"responsible": str(ivan.pk)}))
    assert sorted(r[2] for r in rows[1:]) == ["XIN04X", "XIN05X"]
    assert all(r[6] == "0–30" and r[5] == "1" for r in rows[1:])   # due yesterday


def test_the_catalog_is_exported_by_those_who_may_export_it(reference_data, admin_user, manager):
    ProductFactory(name="=HYPERLINK(1)", article="A-1")
    ProductFactory(name="Pump", article="A-2")
    rows = csv_rows(_client(admin_user).get(reverse("web:product_export"), {"q": "A-"}))
    assert sorted(r[1] for r in rows[1:]) == ["'=HYPERLINK(1)", "Pump"]   # a formula is never run
    assert csv_rows(_client(manager).get(reverse("web:product_export")))[1:] == []   # the catalog is read-only to them
    page = _client(manager).get(reverse("web:product_list")).content.decode()
    assert reverse("web:product_export") not in page


def test_csv_streams_and_xlsx_is_capped_with_a_note(reference_data, admin_user, settings):
    settings.EXPORT_XLSX_MAX_ROWS = 5
    for i in range(8):
        ProductFactory(name=f"Item {i}", article=f"B-{i}")
    client = _client(admin_user)
    response = client.get(reverse("web:product_export"))
    assert response.streaming and len(csv_rows(response)) == 9
    response = client.get(reverse("web:product_export"), {"format": "xlsx"})
    rows = xlsx_rows(response)
    assert len(rows) == 1 + 5 + 1 and response["X-Export-Rows"] == "5"
    assert "first 5 rows" in rows[-1][0] and "CSV" in rows[-1][0]


def test_list_pages_offer_export_only_to_those_who_may(company):
    boris = _client(company.users["boris"])     # accountant: invoices yes, counterparties no
    assert reverse("web:invoice_export") in boris.get(reverse("web:invoice_list")).content.decode()
    assert reverse("web:contact_export") not in boris.get(reverse("web:contact_list")).content.decode()
    anna = _client(company.users["anna"])
    for page, export in (("web:contact_list", "web:contact_export"), ("web:deal_list", "web:deal_export"),
                         ("web:task_list", "web:task_export"), ("web:complaint_list", "web:complaint_export"),
                         ("web:receivables", "web:receivables_export")):
        assert reverse(export) in anna.get(reverse(page)).content.decode(), page


def test_M3_control_characters_in_a_name_do_not_break_the_xlsx_export(reference_data, admin_user):
    # findings M3: openpyxl refused "\x01"/"\x0b" and every XLSX export holding the record answered 500.
    from tests.factories import CounterpartyFactory

    CounterpartyFactory(name="Ctrl\x0bChar\x01Client", full_name="=Evil\x02()", responsible=admin_user)
    response = _client(admin_user).get(reverse("web:counterparty_export"), {"format": "xlsx"})
    rows = xlsx_rows(response)
    assert ("Ctrl CharClient", "'=Evil()") in {(r[0], r[1]) for r in rows[1:]}
    # CSV carries the text as it is (no XML inside).
    assert ["Ctrl\x0bChar\x01Client"] in [r[:1] for r in csv_rows(_client(admin_user).get(
        reverse("web:counterparty_export")))]
