"""Cohorts of new clients: the database's figures against the definition restated in plain Python."""

from __future__ import annotations

import pytest
from django.urls import reverse

from raccordo.reports.analytics.cohorts import cohorts

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
