"""The SMS API: send, list, mass-send preview, start and progress, all through the access policy."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from raccordo.parties.models import Phone
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _client_with_mobile(manager, number, **kwargs):
    company = CounterpartyFactory(responsible=manager, **kwargs)
    Phone.objects.create(counterparty=company, number=number, kind="mobile")
    return company


def test_send_to_a_clients_mobile_and_list_it(manager, other_manager, sms_ready):
    company = _client_with_mobile(manager, "+79161234567")
    answer = _api(manager).post("/api/v1/sms/", {"counterparty": str(company.pk), "text": "Hello"}, format="json")
    assert answer.status_code == 201, answer.content
    assert (answer.data["status"], answer.data["to"]) == ("sent", "+79161234567")
    assert sms_ready.sent[0]["to"] == "79161234567"
    assert [m["id"] for m in _api(manager).get("/api/v1/sms/").data["results"]] == [answer.data["id"]]
    assert _api(other_manager).get("/api/v1/sms/").data["results"] == []
    assert _api(other_manager).get(f"/api/v1/sms/{answer.data['id']}/").status_code == 404
    assert _api().get("/api/v1/sms/").status_code in (401, 403)


def test_a_hidden_client_cannot_be_texted_through_the_api(manager, other_manager, sms_ready):
    vip = _client_with_mobile(other_manager, "+79161234567", is_vip=True)
    answer = _api(manager).post("/api/v1/sms/", {"counterparty": str(vip.pk), "text": "Hi"}, format="json")
    assert answer.status_code == 400      # an id the caller does not see is refused like an unknown one
    assert sms_ready.sent == []


def test_mass_send_preview_start_and_status(manager, sms_ready, django_capture_on_commit_callbacks, huey_immediate):
    for i in range(3):
        _client_with_mobile(manager, f"+7916000000{i}", kind="legal")
    _client_with_mobile(manager, "+79160000009", kind="individual")
    api = _api(manager)
    preview = api.post("/api/v1/sms-campaigns/preview/", {"filters": {"kind": "legal"}}, format="json")
    assert preview.status_code == 200 and preview.data["count"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/sms-campaigns/", {"name": "Legal", "text": "Hi", "filters": {"kind": "legal"},
                                                      "expected": 3}, format="json")
    assert started.status_code == 201, started.content
    status = api.get(f"/api/v1/sms-campaigns/{started.data['id']}/").data
    assert status["total"] == 3 and status["progress"]["sent"] == 2 and status["progress"]["queued"] == 1
