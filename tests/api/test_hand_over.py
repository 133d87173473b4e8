"""POST /api/v1/hand-over/...: a head gives clients or deals to another of her people through the API, under
the same rules as the lists' "Give to…" (access.reassign)."""

from __future__ import annotations

import pytest

from raccordo.access.models import Department
from raccordo.activities.models import Task
from raccordo.core.journal import ChangeJournal
from tests.api.conftest import client_for
from tests.factories import CounterpartyFactory, UserFactory, deal_for

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/hand-over/counterparties/"
DEALS = "/api/v1/hand-over/deals/"


@pytest.fixture
def team(reference_data):
    russia, italy = Department.objects.create(name="Sales Russia"), Department.objects.create(name="Sales Italy")
    return {
        "elena": UserFactory(username="elena", role="head", department=russia),
        "anna": UserFactory(username="anna", role="manager", department=russia),
        "dmitry": UserFactory(username="dmitry", role="manager", department=russia),
        "giulia": UserFactory(username="giulia", role="manager", department=italy),
        "ref": reference_data,
    }


def test_head_hands_clients_over_with_their_open_work(team):
    anna, dmitry = team["anna"], team["dmitry"]
    clients = [CounterpartyFactory(responsible=anna) for _ in range(2)]
    deal = deal_for(clients[0], team["ref"])
    Task.objects.create(title="Call", assignee=anna, counterparty=clients[1])
    response = client_for(team["elena"]).post(CLIENTS, {"ids": [str(c.pk) for c in clients],
                                                        "to_user": str(dmitry.pk), "with_open_work": True},
                                              format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"counterparties": 2, "deals": 1, "tasks": 1}
    deal.refresh_from_db()
    assert deal.manager == dmitry
    assert ChangeJournal.objects.filter(object_id=str(clients[0].pk), user=team["elena"]).exists()


def test_deals_hand_over_and_refusals(team):
    anna = team["anna"]
    deal = deal_for(CounterpartyFactory(responsible=anna), team["ref"])
    elena = client_for(team["elena"])
    body = {"ids": [str(deal.pk)], "to_user": str(team["giulia"].pk)}
    # Outside her departments: 403 and nothing changes.
    assert elena.post(DEALS, body, format="json").status_code == 403
    deal.refresh_from_db()
    assert deal.manager == anna
    # A manager hands nothing to a colleague.
    body["to_user"] = str(team["dmitry"].pk)
    assert client_for(anna).post(DEALS, body, format="json").status_code == 403
    # A deal she does not see is not found, like its own URL.
    hidden = deal_for(CounterpartyFactory(responsible=team["giulia"]), team["ref"])
    assert elena.post(DEALS, {**body, "ids": [str(hidden.pk)]}, format="json").status_code == 404
    assert client_for(None).post(DEALS, body, format="json").status_code in (401, 403)
    response = elena.post(DEALS, body, format="json")
    assert response.status_code == 200 and response.json()["deals"] == 1
