"""API cursor pagination on a full keyset: no row skipped or repeated when many rows share a sort value, a
`previous` link that goes back, and the contract documented in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from raccordo.parties.models import Counterparty
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/counterparties/"


def _walk(api, params, link="next"):
    page = api.get(URL, params).json()
    pages = [page]
    while page[link]:
        page = api.get(page[link]).json()
        pages.append(page)
    return pages


def test_pages_hold_every_row_once_even_when_all_share_created_at(api, manager, other_manager):
    for i in range(7):
        CounterpartyFactory(responsible=manager, name=f"Same {i}")
    CounterpartyFactory(responsible=other_manager, name="Theirs")
    # Imported in one batch: the same created_at for all of them.
    Counterparty.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
    pages = _walk(api, {"page_size": 3})
    ids = [row["id"] for page in pages for row in page["results"]]
    expected = [str(pk) for pk in Counterparty.objects.filter(responsible=manager).order_by("-created_at", "-pk")
                .values_list("pk", flat=True)]
    assert ids == expected
    assert [len(p["results"]) for p in pages] == [3, 3, 1]
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    # `previous` goes back over the same pages.
    back = [pages[-1]]
    while back[0]["previous"]:
        back.insert(0, api.get(back[0]["previous"]).json())
    assert [[r["id"] for r in p["results"]] for p in back] == [[r["id"] for r in p["results"]] for p in pages]


def test_ordering_by_a_field_with_ties(api, manager):
    for name in ("Beta", "Alpha", "Beta", "Alpha", "Gamma"):
        CounterpartyFactory(responsible=manager, name=name)
    pages = _walk(api, {"ordering": "name", "page_size": 2})
    assert [r["name"] for p in pages for r in p["results"]] == ["Alpha", "Alpha", "Beta", "Beta", "Gamma"]
    pages = _walk(api, {"ordering": "-name", "page_size": 2})
    assert [r["name"] for p in pages for r in p["results"]] == ["Gamma", "Beta", "Beta", "Alpha", "Alpha"]
    assert len({r["id"] for p in pages for r in p["results"]}) == 5


def test_a_bad_cursor_is_a_404(api, manager):
    CounterpartyFactory(responsible=manager)
    assert api.get(URL, {"cursor": "not-a-cursor"}).status_code == 404
    assert api.get(URL, {"cursor": "eyJ2IjpbMV0sInAiOjB9"}).status_code == 404


def test_schema_documents_the_cursor(admin_api):
    schema = admin_api.get("/api/schema/", {"format": "json"}).json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/counterparties/"]["get"]["parameters"]}
    assert "cursor" in params and "Opaque position" in params["cursor"]["description"]
    assert "page_size" in params
    page = schema["components"]["schemas"]["PaginatedCounterpartyList"]["properties"]
    assert {"next", "previous", "results"} <= set(page)
