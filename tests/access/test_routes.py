"""Every route that returns records, visited as every kind of user, shows exactly what the rules allow.

The routes come from the URL configuration itself (web pages, the API router, the exchange, the admin);
routes.py says what each one is expected to do, and a route missing there fails the first test.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from raccordo.api.urls import router

from .routes import ROUTES, route_for
from .world import MODELS, STAFF, build_world, exports

pytestmark = pytest.mark.django_db
USERS = list(STAFF)


def url_names(resolver=None, namespace: str = ""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        else:
            yield namespace + (pattern.name or f"<unnamed {pattern.pattern}>")


def test_every_route_declares_its_access_expectation():
    undeclared = sorted({name for name in url_names() if route_for(name) is None})
    assert undeclared == [], f"routes without an access expectation in tests/access/routes.py: {undeclared}"


def test_every_api_viewset_is_declared():
    for _prefix, _viewset, basename in router.registry:
        assert f"api:{basename}-list" in ROUTES, basename
        assert f"api:{basename}-detail" in ROUTES, basename


def test_no_declared_route_is_stale():
    names = set(url_names())
    assert sorted(set(ROUTES) - names) == []


@pytest.fixture
def world(reference_data, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world(reference_data)


def _client(world, username):
    from django.test import Client

    client = Client()
    client.force_login(world.users[username])
    return client


def _api(world, username):
    client = APIClient()
    client.force_authenticate(world.users[username])
    return client


def _assert_nothing_hidden(world, username, content: str, where: str):
    shown = [r.marker for r in world.hidden_from(username) if r.marker in content]
    assert shown == [], f"{where}: {username} is shown records hidden from them: {shown}"


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", errors="ignore")


def _markers(records) -> set[str]:
    return {r.marker for r in records}


def _routes(*kinds):
    return [name for name, route in ROUTES.items() if route.kind in kinds]


@pytest.mark.parametrize("name", _routes("list"))
def test_list_pages_show_exactly_the_visible_records(name, world):
    route = ROUTES[name]
    for username in USERS:
        response = _client(world, username).get(reverse(name), route.query)
        assert response.status_code == 200, (name, username)
        content = response.content.decode()
        _assert_nothing_hidden(world, username, content, name)
        expected = world.visible_to(username, route.model)
        shown = {r.marker for r in world.of_kind(route.model) if r.marker in content}
        assert shown == _markers(expected), (name, username)
        assert response.context["page"].paginator.count == len(expected), (name, username)


@pytest.mark.parametrize("name", _routes("detail"))
def test_record_pages_open_only_for_those_who_see_the_record(name, world):
    route = ROUTES[name]
    for username in USERS:
        client = _client(world, username)
        visible = {r.obj.pk for r in world.visible_to(username, route.model)}
        for record in world.of_kind(route.model):
            response = client.get(reverse(name, args=[record.obj.pk]))
            if record.obj.pk in visible:
                assert response.status_code in ((200, 403) if route.edit else (200,)), (name, username, record.marker)
                _assert_nothing_hidden(world, username, _text(response), f"{name} {record.marker}")
            else:
                assert response.status_code == 404, (name, username, record.marker)


@pytest.mark.parametrize("name", _routes("action"))
def test_actions_on_hidden_records_are_404_and_change_nothing(name, world):
    route = ROUTES[name]
    model = MODELS[route.model]
    for username in USERS:
        client = _client(world, username)
        visible = {r.obj.pk for r in world.visible_to(username, route.model)}
        for record in world.of_kind(route.model):
            if record.obj.pk in visible:
                continue
            before = model.objects.filter(pk=record.obj.pk).values().get()
            response = client.post(reverse(name, args=[record.obj.pk]), {
                "user": str(world.users[username].pk), "status": "done", "amount": "1", "date": "2026-01-01",
                "kind": "call", "direction": "out", "subject": "x", "first_name": "x"})
            assert response.status_code == 404, (name, username, record.marker)
            assert model.objects.filter(pk=record.obj.pk).values().get() == before


@pytest.mark.parametrize("name", _routes("page"))
def test_pages_show_no_hidden_record(name, world):
    for username in USERS:
        response = _client(world, username).get(reverse(name))
        assert response.status_code in (200, 403), (name, username)
        _assert_nothing_hidden(world, username, _text(response), name)


def test_search_finds_only_visible_records_in_every_group(world):
    groups = {"counterparties": ("counterparty", "XCP"), "contacts": ("contact", "XCT"), "deals": ("deal", "XDL"),
              "invoices": ("invoice", "XIN")}
    for username in USERS:
        client = _client(world, username)
        for group, (kind, prefix) in groups.items():
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                response = client.get(reverse("web:search"), {"q": prefix}, headers=headers)
                assert response.status_code == 200
                _assert_nothing_hidden(world, username, response.content.decode(), f"search {prefix}")
                rows = {obj.pk for obj in response.context["groups"][group]}
                expected = {r.obj.pk for r in world.visible_to(username, kind)}
                assert rows <= expected and len(rows) == min(len(expected), 8), (username, group)


def test_export_contains_exactly_the_exportable_counterparties(world):
    for username in USERS:
        for fmt in ("csv", "xlsx"):
            # team=0: a head's list starts on her team; this checks all she may export.
            response = _client(world, username).get(reverse("web:counterparty_export"), {"format": fmt, "team": "0"})
            assert response.status_code == 200
            if fmt == "csv":
                text = b"".join(response.streaming_content).decode("utf-8-sig")
                names = {row[0] for row in list(csv.reader(io.StringIO(text)))[1:]}
            else:
                from openpyxl import load_workbook

                body = b"".join(response.streaming_content) if response.streaming else response.content
                sheet = load_workbook(io.BytesIO(body)).active
                names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
            person = world.people[username]
            expected = {r.marker for r in world.of_kind("counterparty") if exports(person, "counterparty", r.client)}
            assert names == expected, (username, fmt)


@pytest.mark.parametrize("name", _routes("reach"))
def test_restricted_pages_are_absent_for_everyone_else(name, world):
    route = ROUTES[name]
    for username in USERS:
        response = _client(world, username).get(reverse(name))
        assert response.status_code == (200 if username in route.allowed else 404), (name, username)


@pytest.mark.parametrize("name", _routes("shared"))
def test_shared_reference_records_are_readable_by_every_role(name, world, reference_data):
    from tests.factories import ProductFactory

    product = ProductFactory(name="Shared pump")
    for username in USERS:
        response = _client(world, username).get(reverse(name, args=[product.pk]))
        assert response.status_code in ((200, 403) if ROUTES[name].edit else (200,)), (name, username)


def _api_results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.parametrize("name", _routes("api_list"))
def test_api_lists_return_exactly_the_visible_records(name, world):
    route = ROUTES[name]
    for username in USERS:
        response = _api(world, username).get(reverse(name), {"page_size": 500})
        results = _api_results(response)
        _assert_nothing_hidden(world, username, response.content.decode(), name)
        if route.model is not None:
            expected = {str(r.obj.pk) for r in world.visible_to(username, route.model)}
            assert {row["id"] for row in results} == expected, (name, username)


@pytest.mark.parametrize("name", _routes("api_detail"))
def test_api_details_are_404_for_hidden_records(name, world):
    route = ROUTES[name]
    for username in USERS:
        client = _api(world, username)
        visible = {r.obj.pk for r in world.visible_to(username, route.model)}
        for record in world.of_kind(route.model):
            response = client.get(reverse(name, args=[record.obj.pk]))
            assert response.status_code == (200 if record.obj.pk in visible else 404), (name, username, record.marker)
            if response.status_code == 200:
                _assert_nothing_hidden(world, username, response.content.decode(), name)


@pytest.mark.parametrize("name", _routes("api_action"))
def test_api_actions_on_hidden_records_are_404(name, world):
    route = ROUTES[name]
    model = MODELS[route.model]
    for username in USERS:
        client = _api(world, username)
        visible = {r.obj.pk for r in world.visible_to(username, route.model)}
        for record in world.of_kind(route.model):
            if record.obj.pk in visible:
                continue
            before = model.objects.filter(pk=record.obj.pk).values().get()
            assert client.post(reverse(name, args=[record.obj.pk])).status_code == 404, (name, username)
            assert model.objects.filter(pk=record.obj.pk).values().get() == before


# --- Exchange objects: nodes, 1C sessions, tasks, runs and their conflicts -----------------------------------------

def _exchange_objects(world):
    """A 1C node with a session and a task, and a run of it that wrote every record of the world: a journal
    entry (created) and a run item (skipped) naming each, and a conflict on each counterparty. Every row
    carries the record's marker in its text and changes, so a page showing a row it should hide is caught."""
    from django.utils import timezone

    from raccordo.core.context import change_context
    from raccordo.core.journal import journal_record
    from raccordo.core.models import Operation
    from raccordo.exchange.engine import finish_run, start_run
    from raccordo.exchange.models import ExchangeTask, RunItem
    from raccordo.exchange.onec.models import OneCSession
    from raccordo.exchange.services import node_create

    node = node_create(user=None, code="ut", kind="onec-http", login="ut", password="secret-1c-pass")
    session = OneCSession.objects.create(node=node, token="t" * 32, type="sale", last_seen_at=timezone.now())
    task = ExchangeTask.objects.create(node=node, name="nightly", steps=[{"kind": "import-folder"}])
    run = start_run(node=node, kind="import", files=["sale.xml"])
    with change_context(origin="exchange", node="ut", request_id=f"run-{run.pk}"):
        for record in world.records:
            journal_record(obj=record.obj, operation=Operation.CREATE, changes={"marker": [None, record.marker]})
    items = [RunItem(run=run, outcome="skipped", object_type=record.obj._meta.label_lower, object_id=record.obj.pk,
                     message=record.marker, changes={"marker": [None, record.marker]}) for record in world.records]
    items += [RunItem(run=run, outcome="conflict", object_type="parties.counterparty", object_id=r.obj.pk,
                      code="exchange.conflict.ask", changes={"name": [r.marker, "accounting"]})
              for r in world.of_kind("counterparty")]
    RunItem.objects.bulk_create(items)
    run.created, run.skipped = len(world.records), len(world.records)
    run.save(update_fields=["created", "skipped"])
    finish_run(run)
    return {"node": node, "session": session, "task": task, "run": run}


def _unchanged(objects) -> tuple:
    from raccordo.exchange.models import ExchangeNode, ExchangeTask, Run, RunItem

    return (list(ExchangeNode.objects.values()), list(ExchangeTask.objects.values()), Run.objects.count(),
            list(RunItem.objects.values("pk", "resolution")))


@pytest.mark.parametrize("name", _routes("object"))
def test_exchange_objects_are_absent_for_everyone_else_and_their_pages_hide_records(name, world):
    from raccordo.exchange.models import RunItem

    route = ROUTES[name]
    objects = _exchange_objects(world)
    if route.model == "conflict":
        targets = [((objects["run"].pk, item.pk), item.object_id)
                   for item in RunItem.objects.filter(run=objects["run"], outcome="conflict")]
    else:
        targets = [((objects[route.model].pk, *route.extra_args), None)]
    queries = [{}] + ([{"outcome": o} for o in ("created", "updated", "skipped", "conflict", "error")]
                      if route.model == "run" else [])
    before = _unchanged(objects)
    for username in USERS:
        client = _client(world, username)
        for args, counterparty_id in targets:
            allowed = username in route.allowed
            if counterparty_id is not None:   # a conflict: of a record the person sees, or none at all
                allowed = allowed and counterparty_id in {r.obj.pk for r in world.visible_to(username, "counterparty")}
            url = reverse(name, args=list(args))
            if route.method == "post":
                if allowed:
                    continue   # a POST by those allowed really runs, deletes or settles: their own tests
                response = client.post(url, {"choice": "accounting", "password": "x", "file": ""})
                assert response.status_code == 404, (name, username, args)
                assert _unchanged(objects) == before, (name, username)
                continue
            for query in queries:
                response = client.get(url, query)
                if not allowed:
                    assert response.status_code == 404, (name, username, query)
                    continue
                assert response.status_code in (200, 302), (name, username, query, response.status_code)
                _assert_nothing_hidden(world, username, _text(response), f"{name} {query}")
