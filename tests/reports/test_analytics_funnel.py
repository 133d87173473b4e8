"""Funnel conversion and time in stage: the database's figures against the definitions restated in plain Python
(tests/reports/funnel_world.py), for an administrator, a head, managers and a manager filter; each reader's page
covers only the deals they may see."""

from __future__ import annotations

import pytest

from raccordo.reports.analytics.funnel import funnel_conversion
from raccordo.sales.services import deal_create, deal_move, deal_update

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
