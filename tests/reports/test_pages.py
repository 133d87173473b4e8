"""The KPI report page, its CSV/XLSX export, the refresh button, and a bounded number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from raccordo.reports.models import ReportSnapshot
from tests import factories
from tests.chart_blocks import chart_block, values

from .conftest import deal, invoice, payment

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/reports/kpi/"


@pytest.fixture
def as_user(client, company):
    def login(name):
        client.force_login(company.users[name] if name in company.users else
                           factories.UserFactory(username=name, role={"boris": "accountant",
                                                                      "mara": "marketer"}[name]))
        return client
    return login


def test_the_url_is_the_one_the_benchmark_asks_for():
    assert reverse("reports:kpi") == URL


def test_manager_page_shows_their_year(as_user, company):
    response = as_user("anna").get(URL, {"year": company.year})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["report"]["totals"]["invoices"] == 3
    assert "Anna Ivanova" in html and "Marco Rossi" not in html
    for testid in ("kpi-totals", "kpi-months", "kpi-managers", "kpi-as-of"):
        assert f'data-testid="{testid}"' in html, testid
    money = chart_block(html, "chart-money")
    assert (money["unit"], money["currency"], money["labels"][2]) == ("money", "RUB", "Mar")
    invoiced, received = values(money)["Invoiced"], values(money)["Received"]
    assert {i: v for i, v in enumerate(invoiced) if v} == {2: 1500, 11: 400}          # a1 + a2, then a5
    assert {i: v for i, v in enumerate(received) if v} == {2: 1000, 5: 50, 11: 200}
    deals = values(chart_block(html, "chart-deals"))
    assert (deals["Won"][2], deals["Lost"][4], sum(deals["Won"]), sum(deals["Lost"])) == (2, 1, 2, 1)
    assert "66.7" in html                                   # Anna's conversion
    assert 'name="report" value="kpi"' in html            # the refresh button


def test_admin_page_lists_every_manager_and_picks_a_chart_currency(as_user, company):
    client = as_user("root")
    response = client.get(URL, {"year": company.year})
    html = response.content.decode()
    assert "Anna Ivanova" in html and "Marco Rossi" in html
    assert response.context["chart_currency"] == "RUB"
    assert client.get(URL, {"year": company.year, "currency": "EUR"}).context["chart_currency"] == "EUR"
    assert client.get(URL, {"year": company.year, "currency": "XXX"}).context["chart_currency"] == "RUB"


def test_without_a_year_the_current_one_is_shown(as_user, company):
    response = as_user("anna").get(URL)
    assert response.status_code == 200 and response.context["year"] == timezone.localdate().year


@pytest.mark.parametrize("year", ["abc", "1999", "99999", str(dt.date.today().year + 1)])
def test_a_bad_year_is_a_clear_error_and_computes_nothing(as_user, company, year):
    response = as_user("anna").get(URL, {"year": year})
    assert response.status_code == 400
    assert "is not a year of the report" in response.content.decode()
    assert not ReportSnapshot.objects.exists()


def test_who_may_open_the_report(as_user, company):
    assert as_user("mara").get(URL).status_code == 404          # a marketer sees no deals
    response = as_user("boris").get(URL, {"year": company.year})     # an accountant sees no calls or tasks
    assert response.status_code == 200
    assert not response.context["sections"]["activities"]
    assert "Tasks done" not in response.content.decode()


def test_nav_link_only_for_those_who_may_open_it(as_user, company):
    assert 'href="/reports/kpi/"' in as_user("anna").get("/").content.decode()
    assert 'href="/reports/kpi/"' not in as_user("mara").get("/").content.decode()


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_has_months_year_and_people_with_a_column_per_currency(as_user, company):
    response = as_user("root").get("/reports/kpi/export/", {"year": company.year, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"kpi-{company.year}" in response["Content-Disposition"]
    rows = _csv(response)
    header = rows[0]
    assert "Invoiced, EUR" in header and "Invoiced, RUB" in header and "Receivable, RUB" in header
    assert [r[1] for r in rows[1:13]] == ["January", "February", "March", "April", "May", "June", "July", "August",
                                          "September", "October", "November", "December"]
    year = dict(zip(header, rows[13], strict=True))
    assert (year["Section"], year["Invoices issued"], year["Invoiced, RUB"], year["Invoiced, EUR"]) == (
        "Year", "5", "3900.00", "300.00")
    assert (year["Deals won"], year["Conversion, %"], year["Overdue, RUB"]) == ("3", "60.0", "2300.00")
    people = {r[1]: dict(zip(header, r, strict=True)) for r in rows[14:]}
    assert set(people) == {"Anna Ivanova", "Marco Rossi"}
    assert people["Marco Rossi"]["Received, RUB"] == ""
    assert people["Anna Ivanova"]["Received, RUB"] == "1250.00"


def test_xlsx_export_keeps_numbers_as_numbers(as_user, company):
    from openpyxl import load_workbook

    response = as_user("anna").get("/reports/kpi/export/", {"year": company.year, "format": "xlsx"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, year = rows[0], dict(zip(rows[0], rows[13], strict=True))
    assert "Invoiced, EUR" not in header                          # Anna sells in roubles only
    assert year["Invoices issued"] == 3 and year["Invoiced, RUB"] == 1900 and year["Receivable, RUB"] == 700
    assert [r[1] for r in rows[14:]] == ["Anna Ivanova"]


def test_export_of_a_bad_year_or_format_is_refused(as_user, company):
    client = as_user("anna")
    for params in ({"year": "1900"}, {"format": "pdf"}):
        response = client.get("/reports/kpi/export/", params)
        assert response.status_code == 302 and response["Location"] == URL
    assert as_user("mara").get("/reports/kpi/export/").status_code == 404


def test_refresh_button_recomputes_and_returns_to_the_page(as_user, company):
    client = as_user("anna")
    page = f"{URL}?year={company.year}"
    client.get(page)
    invoice(company.ref, company.clients["a"], dt.date(company.year, 5, 5), "1")
    assert client.get(page).context["report"]["totals"]["invoices"] == 3            # cached
    response = client.post("/reports/refresh/", {"report": "kpi", "year": company.year, "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert client.get(page).context["report"]["totals"]["invoices"] == 4


def test_refresh_refuses_what_it_should(as_user, company):
    client = as_user("anna")
    assert client.get("/reports/refresh/").status_code == 405
    response = client.post("/reports/refresh/", {"report": "kpi", "year": company.year, "next": "https://evil.example/"})
    assert response["Location"] == f"{URL}?year={company.year}"
    assert client.post("/reports/refresh/", {"report": "other"})["Location"] == "/"
    assert client.post("/reports/refresh/", {"report": "kpi", "year": "x"})["Location"] == URL
    assert as_user("mara").post("/reports/refresh/", {"report": "kpi"}).status_code == 404


def test_no_hidden_record_reaches_the_page(as_user, company):
    """Marco's client and amounts appear nowhere on Anna's page or in her files."""
    client = as_user("anna")
    html = client.get(URL, {"year": company.year}).content.decode()
    text = b"".join(client.get("/reports/kpi/export/", {"year": company.year}).streaming_content).decode()
    for content in (html, text):
        assert "Marco" not in content and "Client M" not in content
    assert "€" not in html and "EUR" not in text            # only Marco sells in euros


# --- queries -------------------------------------------------------------------------------------------------------

def _more_business(company, n: int) -> None:
    """n more of everything, for both managers, spread over the year."""
    from raccordo.activities.models import Interaction, Task, TaskStatus

    y = company.year
    for i in range(n):
        for key, currency in (("a", "RUB"), ("m", "EUR")):
            cp = factories.CounterpartyFactory(responsible=company.clients[key].responsible)
            when = timezone.make_aware(dt.datetime(y, 1 + i % 12, 1 + i % 27, 10))
            inv = invoice(company.ref, cp, when.date(), "10", currency=currency, due=when.date())
            payment(cp, when.date(), "4", currency=currency, to=[(inv, "4")])
            deal(company.ref, cp, "10", "Won" if i % 2 else "Lost", when, currency=currency)
            Interaction.objects.create(counterparty=cp, subject="x", occurred_at=when, author=cp.responsible)
            Task.objects.create(title="x", assignee=cp.responsible, counterparty=cp, status=TaskStatus.DONE,
                                completed_at=when)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["anna", "hana", "root"])
def test_the_report_is_a_bounded_number_of_queries_whatever_the_rows(as_user, company, who):
    client = as_user(who)
    url = f"{URL}?year={company.year}"
    small_computed = _queries(client, url)
    small_cached = _queries(client, url)
    _more_business(company, 24)
    ReportSnapshot.objects.all().delete()
    large_computed = _queries(client, url)
    large_cached = _queries(client, url)
    assert large_computed == small_computed, (small_computed, large_computed)
    assert large_cached == small_cached, (small_cached, large_cached)
    assert small_cached < small_computed
    # The figures did grow: the rows were counted, just not one query each.
    assert client.get(url).context["report"]["totals"]["interactions"] > 20
