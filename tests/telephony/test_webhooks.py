"""The PBXes' HTTP doors over real HTTP requests: the generic signed contract and Mango Office's webhooks."""

from __future__ import annotations

import json
import time

import pytest

from raccordo.activities.models import Task
from raccordo.parties.models import Phone
from raccordo.telephony.contract import signature
from raccordo.telephony.mango import mango_sign
from raccordo.telephony.models import Call, CallStatus, Extension, PbxState
from raccordo.telephony.services import telephony_settings_update
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db
SECRET = "whsec-31415"
KEY, SALT = "mango-key-271", "mango-salt-828"


@pytest.fixture
def configured(admin_user, manager):
    telephony_settings_update(user=admin_user, data={"webhook_secret": SECRET, "mango_secret_key": KEY,
                                                     "mango_secret_salt": SALT})
    Extension.objects.create(user=manager, number="101")
    cp = CounterpartyFactory(name="Romashka", responsible=manager)
    Phone.objects.create(counterparty=cp, number="+74951234567")
    return cp


def _post_signed(client, payload: dict, *, secret: str = SECRET, when: float | None = None, tamper: bool = False):
    body = json.dumps(payload).encode()
    ts = str(int(when if when is not None else time.time()))
    sig = signature(secret, ts, body)
    if tamper:
        body = body.replace(b"101", b"102")
    return client.post("/telephony/events/", data=body, content_type="application/json",
                       headers={"X-Raccordo-Timestamp": ts, "X-Raccordo-Signature": sig})


def test_a_signed_event_is_recorded(client, configured, manager):
    answer = _post_signed(client, {"call_id": "c-1", "event": "ringing", "from": "+74951234567", "to": "+74959990000",
                                   "extension": "101"})
    assert answer.status_code == 200, answer.content
    call = Call.objects.get(call_id="c-1")
    assert call.provider == "generic" and call.counterparty == configured and call.user == manager
    assert answer.json() == {"call": str(call.pk), "status": "ringing"}
    assert PbxState.objects.get(provider="generic").last_event_at is not None


@pytest.mark.parametrize("how", ["wrong secret", "tampered body", "stale time", "no signature"])
def test_a_badly_signed_event_is_refused_403_and_logged(client, configured, caplog, how):
    payload = {"call_id": "c-2", "event": "ringing", "from": "+74951234567", "extension": "101"}
    if how == "no signature":
        answer = client.post("/telephony/events/", data=json.dumps(payload), content_type="application/json")
    else:
        answer = _post_signed(client, payload, secret="guess" if how == "wrong secret" else SECRET,
                              tamper=how == "tampered body",
                              when=time.time() - 3600 if how == "stale time" else None)
    assert answer.status_code == 403 and answer.json()["code"] == "telephony.signature"
    assert not Call.objects.exists()
    assert "telephony webhook refused" in caplog.text and SECRET not in caplog.text
    assert PbxState.objects.get(provider="generic").last_error.startswith("refused")


def test_a_signed_but_malformed_event_says_which_field(client, configured):
    answer = _post_signed(client, {"call_id": "c-3", "event": "exploded"})
    assert answer.status_code == 400
    assert answer.json()["extra"] == {"field": "event"} and "ringing" in answer.json()["message"]
    assert not Call.objects.exists()


def test_nothing_is_accepted_before_a_secret_is_set(client, db):
    answer = _post_signed(client, {"call_id": "c-4", "event": "ringing"}, secret="")
    assert answer.status_code == 403


def _mango(client, kind: str, data: dict, *, key: str = KEY, salt: str = SALT):
    payload = json.dumps(data)
    return client.post(f"/telephony/mango/events/{kind}", data={
        "vpbx_api_key": key, "sign": mango_sign(key, payload, salt), "json": payload})


def _mango_call(state: str, seq: int, ts: int) -> dict:
    return {"entry_id": "MTA1NzU5Mzo1MDI=", "call_id": f"leg-{seq}", "timestamp": ts, "seq": seq,
            "call_state": state, "location": "abonent",
            "from": {"number": "74951234567"}, "to": {"extension": "101", "number": "sip:anna@vpbx",
                                                      "line_number": "74959990000"}}


def test_mango_call_answered_and_summarised(client, configured, manager):
    ts = int(time.time())
    assert _mango(client, "call", _mango_call("Appeared", 1, ts)).status_code == 200
    call = Call.objects.get()
    assert call.provider == "mango" and call.status == CallStatus.RINGING and call.counterparty == configured
    assert _mango(client, "call", _mango_call("Connected", 2, ts + 4)).status_code == 200
    summary = {"entry_id": "MTA1NzU5Mzo1MDI=", "call_direction": 1, "from": {"number": "74951234567"},
               "to": {"extension": "101"}, "line_number": "74959990000", "create_time": ts, "forward_time": ts,
               "talk_time": ts + 4, "end_time": ts + 184, "entry_result": 1, "disconnect_reason": 1110}
    assert _mango(client, "summary", summary).status_code == 200
    call.refresh_from_db()
    assert call.status == CallStatus.ENDED and call.duration_seconds == 180 and call.user == manager


def test_mango_missed_call_becomes_a_task(client, configured, manager):
    ts = int(time.time())
    _mango(client, "call", _mango_call("Appeared", 1, ts))
    summary = {"entry_id": "MTA1NzU5Mzo1MDI=", "call_direction": 1, "from": {"number": "74951234567"},
               "to": {"extension": "101"}, "create_time": ts, "talk_time": 0, "end_time": ts + 25, "entry_result": 0,
               "disconnect_reason": 1120}
    _mango(client, "summary", summary)
    assert Call.objects.get().status == CallStatus.MISSED
    assert Task.objects.get().assignee == manager


@pytest.mark.parametrize("how", ["wrong salt", "another account's key"])
def test_mango_with_a_bad_sign_is_refused_403(client, configured, caplog, how):
    key = "someone-else" if how == "another account's key" else KEY
    answer = _mango(client, "call", _mango_call("Appeared", 1, int(time.time())), key=key,
                    salt="guess" if how == "wrong salt" else SALT)
    assert answer.status_code == 403
    assert not Call.objects.exists()
    assert "telephony webhook refused (mango" in caplog.text
    assert PbxState.objects.get(provider="mango").last_error


def test_webhooks_take_no_get(client, configured):
    assert client.get("/telephony/events/").status_code == 405
