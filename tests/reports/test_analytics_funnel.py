"""Funnel conversion and time in stage: the database's figures against the definitions restated in plain Python
(tests/reports/funnel_world.py), for an administrator, a head, managers and a manager filter; each reader's page
covers only the deals they may see."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from raccordo.reports.analytics.funnel import _middle_places, funnel_conversion, funnel_query
from raccordo.reports.models import ReportSnapshot, SnapshotKind
from raccordo.reports.services import report_figures, snapshots_refresh
from raccordo.sales.models import Deal
from raccordo.sales.services import deal_create, deal_move, deal_update
from tests import factories

from . import funnel_world as w

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[3, 11])
def world(request, reference_data):
    return w.build(reference_data, request.param)


def _seen(world, username):
    if username == "root":
        return set(world.clients)
    if username == "hana":
        return {c for c in world.clients if c.responsible.username in ("anna", "dmitry")}
    return {c for c in world.clients if c.responsible == world.users[username]}


@pytest.mark.parametrize("username", ["root", "hana", "anna", "marco"])
def test_conversion_and_time_in_stage_are_the_definition(world, username):
    data = funnel_conversion(user=world.users[username], funnel=world.funnel, start=w.START, end=w.END, now=w.NOW)
    expected = w.expected(world, _seen(world, username))
    assert w.shown(data) == expected
    if username == "root":
        # The generated quarter reaches what the definitions are about: every step, re-opened and lost deals,
        # hand-overs (a manager with visits but no deals of their own entering), deals of nobody.
        total = expected["total"]
        assert all(row["reached"] for row in total["stages"]) and total["won"] and total["lost"]
        assert all(row["visits"] for row in total["stages"] if row["name"] != "Won")
        assert "" in expected["managers"]


@pytest.mark.parametrize("username, manager", [("root", "dmitry"), ("hana", "anna"), ("anna", "anna")])
def test_one_managers_figures_are_the_definition_on_her_deals(world, username, manager):
    who = world.users[manager]
    data = funnel_conversion(user=world.users[username], funnel=world.funnel, start=w.START, end=w.END,
                             manager=who, now=w.NOW)
    expected = w.expected(world, _seen(world, username), manager=who)
    assert w.shown(data) == expected
    assert set(expected["managers"]) <= {str(who.pk)}


def test_a_hand_over_shows_no_colleague_a_deal_she_may_not_see(world):
    """Marco's client's deal handed to Anna: its Negotiation visit is Anna's on Marco's page (he sees the deal),
    and Anna's page does not change (she does not see Marco's client)."""
    marco, anna = world.users["marco"], world.users["anna"]
    client = next(c for c in world.clients if c.responsible == marco)

    def page(user):
        return funnel_conversion(user=user, funnel=world.funnel, start=w.START, end=w.END, now=w.NOW)

    before_marco, before_anna = page(marco), page(anna)
    deal = deal_create(user=None, data={"title": "Handed over", "counterparty": client, "manager": marco,
                                        "funnel": world.funnel}, now=w.at(w.START, 60))
    deal = deal_update(user=None, deal=deal, data={"manager": anna})
    deal_move(user=None, deal=deal, stage=world.stages["Negotiation"], now=w.at(w.START, 600))
    after_marco = page(marco)
    assert page(anna) == before_anna
    assert after_marco["total"]["entered"] == before_marco["total"]["entered"] + 1
    rows = {m["id"]: m for m in after_marco["managers"]}
    negotiation = next(s for s in rows[str(anna.pk)]["stages"] if s["name"] == "Negotiation")
    assert rows[str(anna.pk)]["entered"] == 0 and negotiation["visits"] >= 1


def test_the_period_bounds_are_local_days(world):
    """The deals opened in the first and the last minute of the period count, those a minute outside do not."""
    for start, end, edges_inside in [(w.START, w.START, 1), (w.END, w.END, 1), (w.START, w.END, 2)]:
        data = funnel_conversion(user=world.users["root"], funnel=world.funnel, start=start, end=end, now=w.NOW)
        assert w.shown(data) == w.expected(world, set(world.clients), start=start, end=end)
        assert sum(1 for d in world.deals if d.deal.title == "Edge"
                   and w.at(start) <= d.path[0][2] < w.at(end, 24 * 60)) == edges_inside


def test_medians_of_visits_crowded_into_one_day_are_exact(world):
    """Time in stage counts visits per whole day and fetches only the middle day's durations: when every visit
    of a stage falls within the same day (and two middle visits share it), the median is still the definition."""
    zoe = factories.UserFactory(username="zoe", role="manager")
    client = world.clients[0]
    day = w.at(w.START + dt.timedelta(days=40))
    # Hours within one day; the middle two (5 h and 15 h) make 10 h = 0.4 days, neither of them alone does.
    for hours in (22, 1, 15, 4, 23, 2, 20, 5):
        deal = deal_create(user=None, data={"title": "Quick", "counterparty": client, "manager": zoe,
                                            "funnel": world.funnel}, now=day)
        left = day + dt.timedelta(hours=hours)
        deal_move(user=None, deal=deal, stage=world.stages["Won"], now=left)
        world.deals.append(w.Moved(deal, client, world.funnel, [(world.stages["New"], zoe, day),
                                                                (world.stages["Won"], zoe, left)]))
    root = world.users["root"]
    for manager in (zoe, None):
        data = funnel_conversion(user=root, funnel=world.funnel, start=w.START, end=w.END, manager=manager,
                                 now=w.NOW)
        assert w.shown(data) == w.expected(world, set(world.clients), manager=manager)
    new = next(row for row in data["total"]["stages"] if row["name"] == "New")
    zoes = next(m for m in data["managers"] if m["id"] == str(zoe.pk))
    zoes_new = next(row for row in zoes["stages"] if row["name"] == "New")
    assert zoes_new["visits"] == 8 and zoes_new["median_days"] == 0.4
    assert new["visits"] > 8


def test_medians_are_the_same_when_their_days_take_several_queries(world, monkeypatch):
    """Many managers' middle days are fetched a chunk per query; one pair per query gives the same figures."""
    monkeypatch.setattr("raccordo.reports.analytics.funnel.SPELLS_PER_QUERY", 1)
    data = funnel_conversion(user=world.users["root"], funnel=world.funnel, start=w.START, end=w.END, now=w.NOW)
    assert w.shown(data) == w.expected(world, set(world.clients))


@given(st.lists(st.floats(min_value=0, max_value=40 * 86400, allow_nan=False), min_size=1, max_size=60))
def test_the_middle_places_are_the_median_of_the_sorted_durations(durations):
    """Where the middle visit(s) stand, from the count per day, picks the same values as sorting them all."""
    per_day: dict = {}
    for spent in durations:
        per_day.setdefault(int(spent / 86400), []).append(spent)
    places = _middle_places({day: len(spells) for day, spells in per_day.items()})
    ordered = sorted(durations)
    n = len(ordered)
    assert [sorted(per_day[day])[i] for day, i in places] == ordered[(n - 1) // 2:n // 2 + 1]


# --- the page, its cache, its XLSX ---------------------------------------------------------------------------

@pytest.fixture
def on_the_day(monkeypatch):
    """Today is the world's day (20 April 2026): "last quarter" is the generated quarter."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return w.NOW.date() if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


def _key(world, user, period="this_year", manager=None) -> str:
    query = funnel_query(user=user, data={"funnel": world.funnel.pk, "period": period,
                                          "manager": manager.pk if manager else ""})
    return query.key


def test_the_page_shows_the_readers_figures_and_offers_only_her_team(world, client, on_the_day):
    hana, anna = world.users["hana"], world.users["anna"]
    client.force_login(hana)
    page = client.get(reverse("reports:funnel"), {"funnel": world.funnel.pk, "period": "last_quarter"})
    assert page.status_code == 200
    assert b'data-testid="funnel-stages"' in page.content and b'data-testid="funnel-managers"' in page.content
    data = page.context["data"]
    assert (data["start"], data["end"]) == (w.START.isoformat(), w.END.isoformat())
    # Open visits run until the figures were computed (now), not until the world's NOW: compare the counts.
    expected = w.expected(world, _seen(world, "hana"))
    assert [s["reached"] for s in data["total"]["stages"]] == [s["reached"] for s in expected["total"]["stages"]]
    assert {m["id"]: m["entered"] for m in data["managers"]} == {k: v["entered"] for k, v in expected["managers"].items()}
    offered = {m.username for m in page.context["managers"]}
    assert offered == {"anna", "dmitry"}          # her department's people with visits; not Marco
    # A manager outside her team is not applied: the page shows everyone she may see.
    marco = world.users["marco"]
    other = client.get(reverse("reports:funnel"), {"funnel": world.funnel.pk, "manager": marco.pk})
    assert other.context["query"].manager is None
    mine = client.get(reverse("reports:funnel"), {"funnel": world.funnel.pk, "manager": anna.pk, "period": "bogus"})
    assert (mine.context["query"].manager, mine.context["query"].period) == (anna, "this_year")
    assert client.get(reverse("reports:funnel"), {"funnel": "not-an-id"}).status_code == 404
    # The default funnel when none is named (the shared "Sales" one).
    assert client.get(reverse("reports:funnel")).context["query"].funnel.name == "Sales"


def test_the_figures_are_cached_per_choice_and_a_move_makes_them_stale(world, django_capture_on_commit_callbacks,
                                                                     on_the_day):
    anna = world.users["anna"]
    key = _key(world, anna)
    first = report_figures(user=anna, kind=SnapshotKind.FUNNEL, params=key)
    again = report_figures(user=anna, kind=SnapshotKind.FUNNEL, params=key)
    assert (first.cached, again.cached) == (False, True) and again.data == first.data
    report_figures(user=anna, kind=SnapshotKind.FUNNEL, params=_key(world, anna, manager=anna))
    assert set(ReportSnapshot.objects.values_list("params", flat=True)) == {key, _key(world, anna, manager=anna)}
    deal = next(d.deal for d in world.deals if d.client.responsible == anna and d.funnel == world.funnel
                and d.path[-1][0].kind == "open")
    with django_capture_on_commit_callbacks(execute=True):
        deal_move(user=anna, deal=Deal.objects.get(pk=deal.pk), stage=world.stages["Won"])
    assert report_figures(user=anna, kind=SnapshotKind.FUNNEL, params=key).cached is False


def test_the_worker_keeps_funnel_figures_warm_and_drops_choices_that_no_longer_hold(world, on_the_day):
    hana, dmitry = world.users["hana"], world.users["dmitry"]
    report_figures(user=hana, kind=SnapshotKind.FUNNEL, params=_key(world, hana))
    report_figures(user=hana, kind=SnapshotKind.FUNNEL, params=_key(world, hana, manager=dmitry))
    ReportSnapshot.objects.update(computed_at=timezone.now() - dt.timedelta(hours=1))
    get_user_model().objects.filter(pk=dmitry.pk).update(department=None)    # Dmitry left Hana's team
    counts = snapshots_refresh()
    assert (counts["refreshed"], counts["dropped"]) == (1, 1)
    assert ReportSnapshot.objects.get().params == _key(world, hana)


def test_refresh_and_the_xlsx_export(world, client, on_the_day):
    anna = world.users["anna"]
    client.force_login(anna)
    address = {"funnel": str(world.funnel.pk), "period": "last_quarter", "manager": str(anna.pk)}
    response = client.post(reverse("reports:funnel_refresh"), address)
    assert response.status_code == 302 and response["Location"].startswith(reverse("reports:funnel") + "?")
    assert ReportSnapshot.objects.get().params == _key(world, anna, "last_quarter", anna)
    export = client.get(reverse("reports:funnel_export"), address)
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    rows = list(book["funnel"].iter_rows(values_only=True))
    data = report_figures(user=anna, kind=SnapshotKind.FUNNEL, params=_key(world, anna, "last_quarter", anna)).data
    everyone = [r for r in rows[1:] if r[0] == "All managers"]
    assert [(r[1], r[2]) for r in everyone[:len(data["total"]["stages"])]] == [
        (s["name"], s["reached"]) for s in data["total"]["stages"]]
    assert dict(book["Summary"].iter_rows(values_only=True))["Funnel"] == "Wholesale"


@pytest.mark.parametrize("language, words", [
    ("ru", ["Конверсия воронки", "Сделки, вошедшие в воронку «Wholesale»", "Проиграны на этапе «Lost»",
            "Дней на этапе по менеджерам"]),
    ("it", ["Conversione della pipeline", "Trattative entrate nella pipeline “Wholesale”", "Perse in “Rejected”",
            "Giorni nella fase per commerciale"]),
])
def test_the_page_in_italian_and_russian(world, client, on_the_day, language, words):
    client.force_login(world.users["root"])
    page = client.get(reverse("reports:funnel"), {"funnel": world.funnel.pk, "period": "last_quarter"},
                      headers={"accept-language": language}).content.decode()
    for text in words:
        assert text in page, text


def test_the_funnel_chart_is_the_table(reference_data):
    """The chart draws the table's figures: deals reached per stage and the share from the first step."""
    from raccordo.reports.analytics.funnel_views import funnel_chart

    total = {"stages": [{"name": "New", "reached": 10, "from_first": 100.0},
                        {"name": "Offer", "reached": 4, "from_first": 40.0},
                        {"name": "Won", "reached": 1, "from_first": 10.0}]}
    chart = funnel_chart(total)
    assert chart["labels"] == ["New", "Offer", "Won"] and not chart["empty"]
    assert [s["values"] for s in chart["series"]] == [[10, 4, 1], [100, 40, 10]]
    assert chart["series"][1]["axis"] == "percent"
