"""ABC/XYZ of clients and products: the database's figures against the definitions restated in plain Python,
on generated payments, for an administrator and for a manager (who sees only her own clients' money)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from raccordo.reports.analytics.abc import abc_xyz, cell_items
from raccordo.reports.models import ReportSnapshot, SnapshotKind
from raccordo.reports.services import report_figures
from raccordo.sales.models import Payment
from tests.chart_blocks import chart_block, values

from . import analytics_world as w

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[1, 7, 21])
def world(request, reference_data):
    return w.build(reference_data, request.param)


def _visible(world, username):
    if username == "root":
        return set(world.clients)
    return {c for c in world.clients if c.responsible == world.users[username]}


@pytest.mark.parametrize("username", ["root", "anna"])
def test_client_matrix_is_the_definition(world, username):
    expected = w.classify(w.clients_monthly(world, _visible(world, username)))
    data = abc_xyz(user=world.users[username], subject="clients", as_of=w.AS_OF)
    assert data["cells"] == w.matrix(expected)
    assert (data["start"], data["end"]) == ("2025-06-01", "2026-05-31")
    # The generated year reaches every class of both letters for the administrator.
    if username == "root":
        assert {v[0] for v in expected.values()} == {"A", "B", "C"}
        assert {v[1] for v in expected.values()} == {"X", "Y", "Z"}


@pytest.mark.parametrize("username", ["root", "marco"])
def test_product_matrix_is_the_definition(world, username):
    expected = w.classify(w.products_monthly(world, _visible(world, username)))
    data = abc_xyz(user=world.users[username], subject="products", as_of=w.AS_OF)
    assert data["cells"] == w.matrix(expected)
    assert data["total"]["count"] == len(expected) > 0


def test_a_cell_lists_its_items_and_a_manager_only_her_clients(world):
    anna = world.users["anna"]
    expected = w.classify(w.clients_monthly(world, _visible(world, "anna")))
    seen = set()
    for code in (a + x for a in "ABC" for x in "XYZ"):
        items = cell_items(user=anna, subject="clients", as_of=w.AS_OF, cell=code)
        want = {pk for pk, (abc, xyz, _) in expected.items() if abc + xyz == code}
        assert {i["object"].pk for i in items} == want
        assert [i["revenue"] for i in items] == sorted((expected[pk][2] for pk in want), reverse=True)
        seen |= {i["object"] for i in items}
    assert seen and all(c.responsible == anna for c in seen)


def test_the_matrix_is_cached_and_a_payment_makes_it_stale(world, django_capture_on_commit_callbacks):
    anna = world.users["anna"]
    first = report_figures(user=anna, kind=SnapshotKind.ABC_CLIENTS)
    again = report_figures(user=anna, kind=SnapshotKind.ABC_CLIENTS)
    assert (first.cached, again.cached) == (False, True)
    assert again.data["cells"] == first.data["cells"]
    client = next(c for c in world.clients if c.responsible == anna)
    with django_capture_on_commit_callbacks(execute=True):
        Payment.objects.create(counterparty=client, date=w.AS_OF, amount=4, currency="RUB")
    assert report_figures(user=anna, kind=SnapshotKind.ABC_CLIENTS).cached is False
    assert ReportSnapshot.objects.filter(kind=SnapshotKind.ABC_CLIENTS).count() == 1


def test_pages_and_exports(world, client):
    client.force_login(world.users["anna"])
    page = client.get(reverse("reports:abc", args=["clients"]))
    assert page.status_code == 200 and b'data-testid="abc-matrix"' in page.content
    theirs = next(c for c in world.clients if c.responsible == world.users["marco"])
    cells = [reverse("reports:abc_cell", args=["clients", a + x]) for a in "ABC" for x in "XYZ"]
    bodies = b"".join(client.get(url).content for url in cells)
    assert theirs.name.encode() not in bodies
    assert client.get(reverse("reports:abc_cell", args=["clients", "QQ"])).status_code == 404
    assert client.get(reverse("reports:abc", args=["deals"])).status_code == 404
    for url in (reverse("reports:abc_export", args=["products"]), reverse("reports:abc_export", args=["clients"])
                + "?cell=AX"):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    refreshed = client.post(reverse("reports:refresh"), {"report": "abc_products"})
    assert refreshed.status_code == 302 and refreshed["Location"] == reverse("reports:abc", args=["products"])


@pytest.mark.parametrize("subject", ["clients", "products"])
def test_the_page_charts_each_class_share_of_revenue_and_of_items(world, client, monkeypatch, subject):
    w.pin_today(monkeypatch)
    client.force_login(world.users["anna"])
    monthly = w.clients_monthly if subject == "clients" else w.products_monthly
    expected = w.classify(monthly(world, _visible(world, "anna")))
    revenue = {a: sum((r for abc, _x, r in expected.values() if abc == a), D(0)) for a in "ABC"}
    count = {a: sum(1 for abc, _x, _r in expected.values() if abc == a) for a in "ABC"}
    total = sum(revenue.values())
    html = client.get(reverse("reports:abc", args=[subject])).content.decode()
    chart = chart_block(html, "chart-abc")
    assert (chart["labels"], chart["unit"]) == (["A", "B", "C"], "percent")
    got = values(chart)
    items = "Share of clients" if subject == "clients" else "Share of products"
    assert got["Share of paid revenue"] == [round(float(revenue[a] * 100 / total), 1) for a in "ABC"]
    assert got[items] == [round(count[a] * 100 / len(expected), 1) for a in "ABC"]
    assert got["Cumulative share of paid revenue"][2] == 100.0
    assert got["Cumulative share of paid revenue"][0] == got["Share of paid revenue"][0] >= 80 * (count["A"] > 0)
    # The page shows no other table of these shares: the chart's figures are there in words too.
    assert 'class="rc-chart-figures"' in html and f"{got['Share of paid revenue'][0]}\xa0%" in html
