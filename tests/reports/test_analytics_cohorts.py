"""Cohorts of new clients: the database's figures against the definition restated in plain Python."""

from __future__ import annotations

import pytest
from django.urls import reverse

from raccordo.reports.analytics.cohorts import cohorts
from tests.chart_blocks import chart_block

from . import analytics_world as w

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("username", ["root", "anna"])
def test_cohorts_are_the_definition(reference_data, seed, username):
    world = w.build(reference_data, seed)
    mine = set(world.clients) if username == "root" else {
        c for c in world.clients if c.responsible == world.users[username]}
    expected = w.cohorts(world, mine)
    data = cohorts(user=world.users[username], as_of=w.AS_OF)
    got = {(c, m["k"]): (m["clients"], m["revenue"]) for c, row in enumerate(data["cohorts"])
           for m in row["months"] if m["clients"]}
    assert got == expected
    assert expected, "the generated year has new clients in the window"
    for c, row in enumerate(data["cohorts"]):
        assert row["size"] == expected.get((c, 0), (0, 0))[0]
        assert row["month"] == f"{w.START.year + (w.START.month - 1 + c) // 12}-{(w.START.month - 1 + c) % 12 + 1:02d}-01"


def test_cohort_page_and_export(reference_data, client):
    world = w.build(reference_data, 5)
    client.force_login(world.users["marco"])
    page = client.get(reverse("reports:cohorts"))
    assert page.status_code == 200 and b'data-testid="cohorts"' in page.content
    export = client.get(reverse("reports:cohorts_export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.post(reverse("reports:refresh"), {"report": "cohorts"}).status_code == 302
    kpi = client.get(reverse("reports:kpi"))
    assert reverse("reports:abc", args=["clients"]).encode() in kpi.content


def test_the_page_charts_each_cohort_paying_again(reference_data, client, monkeypatch):
    world = w.build(reference_data, 3)
    w.pin_today(monkeypatch)
    client.force_login(world.users["root"])
    expected = w.cohorts(world, set(world.clients))
    chart = chart_block(client.get(reverse("reports:cohorts")).content.decode(), "chart-cohorts")
    assert chart["labels"] == [f"+{k}" for k in range(1, 12)] and chart["unit"] == "percent"
    lines = {s["label"]: s for s in chart["series"]}
    # One line per cohort with new clients and a month after it (the last month's cohort has none yet).
    months = {f"{w.START.year + (w.START.month - 1 + c) // 12}-{(w.START.month - 1 + c) % 12 + 1:02d}": c
              for c in range(11) if (c, 0) in expected}
    assert set(lines) == set(months) and all(s["kind"] == "line" for s in lines.values())
    for label, c in months.items():
        size = expected[(c, 0)][0]
        want = [round(expected.get((c, k), (0, 0))[0] * 100 / size, 1) for k in range(1, 12 - c)]
        assert lines[label]["values"] == want + [None] * c, label
