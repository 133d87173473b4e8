"""Paged lists: keyset "next"/"previous" links that never skip or repeat a row, counts capped past a limit and
shown as "N+", numbered pages while the total is known, OFFSET only where a sort goes through NULLs."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from raccordo.parties.models import Counterparty
from raccordo.parties.selectors import counterparty_list
from raccordo.web.views import base
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def _names(response) -> list[str]:
    return [cp.name for cp in response.context["rows"]]


def _link(response, rel: str) -> str | None:
    match = re.search(rf'href="([^"]*)" rel="{rel}"', response.content.decode())
    return unescape(match.group(1)) if match else None


@pytest.fixture
def clients_of(manager, other_manager):
    """60 clients of the manager (some sharing a name) and 10 of another manager, who must never show."""
    names = [f"Client {i // 2:02d}" for i in range(60)]   # pairs share a name: the key's id breaks the tie
    for name in names:
        CounterpartyFactory(responsible=manager, name=name)
    for i in range(10):
        CounterpartyFactory(responsible=other_manager, name=f"Client {i:02d} (theirs)")
    return sorted(names)


def test_next_and_previous_links_walk_every_row_once(manager_client, manager, clients_of):
    url = reverse("web:counterparty_list")
    response = manager_client.get(url)
    seen, pages = _names(response), [response]
    while (next_url := _link(response, "next")) is not None:
        assert "after=" in next_url
        response = manager_client.get(url + next_url)
        pages.append(response)
        seen += _names(response)
    assert seen == clients_of                                   # every row once, in order, none of theirs
    assert [p.context["page"].start_index() for p in pages] == [1, 26, 51]
    assert "51–60 of 60" in pages[-1].content.decode()
    # And back again with "previous", which lands on the same pages.
    back = [_names(pages[-1])]
    response = pages[-1]
    while (previous_url := _link(response, "prev")) is not None:
        response = manager_client.get(url + previous_url)
        back.insert(0, _names(response))
    assert back == [_names(p) for p in pages]


def test_descending_sort_and_htmx_partial_page(manager_client, clients_of):
    url = reverse("web:counterparty_list")
    first = manager_client.get(url, {"sort": "-name"})
    second = manager_client.get(url + _link(first, "next"), HTTP_HX_REQUEST="true")
    assert "<html" not in second.content.decode()
    assert _names(first) + _names(second) == sorted(clients_of, reverse=True)[:50]
    assert "sort=-name" in _link(first, "next")


def test_numbered_pages_while_the_total_is_known(manager_client, clients_of):
    url = reverse("web:counterparty_list")
    response = manager_client.get(url, {"page": "2"})
    assert _names(response) == clients_of[25:50]
    page = response.context["page"]
    assert page.number == 2 and page.count == 60 and page.count_exact and page.count_label == "60"
    assert [link["number"] for link in page.page_links()] == [1, 2, 3]
    # Past the end: the last page, as before.
    assert _names(manager_client.get(url, {"page": "99"})) == clients_of[50:]
    assert _names(manager_client.get(url, {"page": "nonsense"})) == clients_of[:25]


def test_counts_stop_at_the_limit_and_say_so(manager_client, clients_of, monkeypatch):
    monkeypatch.setattr(base, "COUNT_LIMIT", 40)
    url = reverse("web:counterparty_list")
    response = manager_client.get(url)
    page = response.context["page"]
    assert not page.count_exact and page.count_label == "40+"
    assert "1–25 of 40+" in response.content.decode()
    assert "40+" in response.content.decode().split("rc-count-pill")[1][:40]
    # Paging on past the limit still works (keyset), and still says "40+".
    second = manager_client.get(url + _link(response, "next"))
    third = manager_client.get(url + _link(second, "next"))
    assert _names(response) + _names(second) + _names(third) == clients_of
    assert "51–60 of" in third.content.decode()


def test_count_label_is_formatted_for_the_language(rf, manager, monkeypatch):
    window = base.ListWindow(rows=[1], start=0, total=10_000, exact=False, has_next=True, has_previous=False,
                             page_size=25, urls={"first": "?", "page": "?page=__page__"})
    with translation.override("en"):
        assert window.count_label == "10,000+"
    with translation.override("it"):
        assert window.count_label == "10.000+"
    with translation.override("ru"):
        assert window.count_label.replace("\xa0", " ") == "10 000+"


def test_the_limit_bounds_the_count_query(manager, clients_of, monkeypatch):
    """The count reads at most COUNT_LIMIT + 1 rows (a LIMIT inside the COUNT), not the whole table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(base, "COUNT_LIMIT", 30)
    request = RequestFactory().get("/")
    request.user = manager
    page = base.ListPage(request, sorts={"name": "name"}, default_sort="name")
    with CaptureQueriesContext(connection) as queries:
        window = page.window(counterparty_list(user=manager))
    assert window.count == 30 and not window.count_exact
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 31" in counts[0].upper()


def test_a_small_list_is_not_counted_at_all(manager, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        CounterpartyFactory(responsible=manager, name=f"Few {i}")
    request = RequestFactory().get("/")
    request.user = manager
    page = base.ListPage(request, sorts={"name": "name"}, default_sort="name")
    with CaptureQueriesContext(connection) as queries:
        window = page.window(counterparty_list(user=manager))
    assert window.count == 3 and window.count_exact and not window.has_other_pages()
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_sort_through_nullable_column_pages_with_offset(manager_client, manager, other_manager, clients_of):
    url = reverse("web:counterparty_list")
    response = manager_client.get(url, {"sort": "responsible"})
    next_url = _link(response, "next")
    assert "page=2" in next_url and "after=" not in next_url
    second = manager_client.get(url + next_url)
    assert len({cp.pk for cp in response.context["rows"]} | {cp.pk for cp in second.context["rows"]}) == 50


def test_a_tampered_cursor_shows_the_first_page(manager_client, clients_of):
    url = reverse("web:counterparty_list")
    for cursor in ("garbage", "eyJ2IjpbMV0sInAiOjB9", "eyJ2IjpbIngiLCJub3QtYS11dWlkIl0sInAiOjB9"):
        response = manager_client.get(url, {"after": cursor})
        assert response.status_code == 200
        assert _names(response) == clients_of[:25]
        response = manager_client.get(url, {"before": cursor})
        assert _names(response) == clients_of[:25]


def test_a_filter_or_sort_change_starts_again_at_the_top(manager_client, clients_of):
    url = reverse("web:counterparty_list")
    second = manager_client.get(url + _link(manager_client.get(url), "next"))
    html = second.content.decode()
    # The sort links drop the cursor.
    assert not re.search(r'href="\?[^"]*sort=-name[^"]*after=', html)
    assert Counterparty.objects.count() == 70
