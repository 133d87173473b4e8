"""The calls API: anonymous, a colleague without access (VIP), the owner, and click-to-call."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from raccordo.parties.models import Phone
from raccordo.telephony.contract import CallEventInput
from raccordo.telephony.models import Extension
from raccordo.telephony.services import record_event, telephony_settings_update
from tests.factories import CounterpartyFactory

from .fake_ami import FakeAmi

pytestmark = pytest.mark.django_db


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def vip_call(manager):
    cp = CounterpartyFactory(name="Secret Steel", responsible=manager, is_vip=True)
    Phone.objects.create(counterparty=cp, number="+74951234567")
    Extension.objects.create(user=manager, number="101")
    return record_event(event=CallEventInput(call_id="api-1", event="ringing", from_number="84951234567",
                                             extension="101", occurred_at=timezone.now()))


def test_anonymous_gets_nothing(vip_call):
    assert _client().get("/api/v1/calls/").status_code in (401, 403)


def test_the_owner_lists_and_opens_the_call(vip_call, manager):
    rows = _client(manager).get("/api/v1/calls/").json()["results"]
    assert [r["id"] for r in rows] == [str(vip_call.pk)]
    detail = _client(manager).get(f"/api/v1/calls/{vip_call.pk}/").json()
    assert detail["counterparty"] == str(vip_call.counterparty_id) and detail["status"] == "ringing"
    assert detail["number"] == "+74951234567"


def test_a_colleague_does_not_see_a_vip_clients_call(vip_call, other_manager):
    assert _client(other_manager).get("/api/v1/calls/").json()["results"] == []
    assert _client(other_manager).get(f"/api/v1/calls/{vip_call.pk}/").status_code == 404


def test_calls_are_read_only(vip_call, manager):
    assert _client(manager).post("/api/v1/calls/", {"call_id": "x"}).status_code == 405


def test_click_to_call_through_the_api(manager, admin_user):
    with FakeAmi() as ami:
        telephony_settings_update(user=admin_user, data={"ami_enabled": True, "ami_host": "127.0.0.1",
                                                         "ami_port": ami.port, "ami_username": "crm",
                                                         "ami_secret": "s3cret"})
        answer = _client(manager).post("/api/v1/calls/click-to-call/", {"number": "+7 495 765-43-21"})
        assert answer.status_code == 403 and answer.json()["code"] == "telephony.call.denied"
        Extension.objects.create(user=manager, number="101")
        answer = _client(manager).post("/api/v1/calls/click-to-call/", {"number": "+7 495 765-43-21"})
        assert answer.status_code == 200
        originate = next(a for a in ami.actions if a["Action"] == "Originate")
        assert originate["ActionID"] == answer.json()["action_id"] and originate["Exten"] == "+74957654321"


def test_click_to_call_refuses_a_number_of_a_client_one_may_not_see(vip_call, other_manager, admin_user):
    Extension.objects.create(user=other_manager, number="102")
    telephony_settings_update(user=admin_user, data={"ami_enabled": True, "ami_host": "127.0.0.1",
                                                     "ami_username": "crm"})
    answer = _client(other_manager).post("/api/v1/calls/click-to-call/", {"number": "+74951234567"})
    assert answer.status_code == 403 and answer.json()["message"] == "You may not call this number from Raccordo."
