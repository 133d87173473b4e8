"""Telephony pages through the test client: the pop-up slot, Settings → Telephony, extensions, click-to-call."""

from __future__ import annotations

import pytest
from django.utils import timezone

from raccordo.parties.models import Phone
from raccordo.telephony.contract import CallEventInput
from raccordo.telephony.models import Extension, TelephonySettings
from raccordo.telephony.services import record_event, telephony_settings_update
from tests.factories import CounterpartyFactory

from .fake_ami import FakeAmi

pytestmark = pytest.mark.django_db


def _ring(ext: str, number: str = "+74951234567", call_id: str = "p-1"):
    return record_event(event=CallEventInput(call_id=call_id, event="ringing", from_number=number, extension=ext,
                                             occurred_at=timezone.now()))


@pytest.fixture
def vip_client(manager):
    cp = CounterpartyFactory(name="Secret Steel", responsible=manager, is_vip=True)
    Phone.objects.create(counterparty=cp, number="+74951234567")
    return cp


def test_the_slot_is_in_every_page_only_for_people_with_an_extension(client, manager, other_manager):
    Extension.objects.create(user=manager, number="101")
    client.force_login(manager)
    assert 'id="rc-call-popup"' in client.get("/").content.decode()
    client.force_login(other_manager)
    assert 'id="rc-call-popup"' not in client.get("/").content.decode()


def test_the_popup_shows_the_client_then_nothing_changes_then_it_goes(client, manager, vip_client):
    Extension.objects.create(user=manager, number="101")
    client.force_login(manager)
    assert client.get("/telephony/popup/", {"shown": ""}).status_code == 204
    call = _ring("101")
    page = client.get("/telephony/popup/", {"shown": ""})
    text = page.content.decode()
    assert page.status_code == 200 and "Secret Steel" in text and "Anna Ivanova" in text
    state = f"{call.pk}:ringing"
    assert client.get("/telephony/popup/", {"shown": state}).status_code == 204
    answer = client.post(f"/telephony/popup/{call.pk}/dismiss/")
    assert answer.status_code == 200 and "Secret Steel" not in answer.content.decode()
    assert client.get("/telephony/popup/", {"shown": state}).status_code == 200   # now empty: it changed


def test_a_vip_caller_is_not_named_to_a_colleague_whose_phone_rings(client, other_manager, vip_client):
    Extension.objects.create(user=other_manager, number="102")
    _ring("102")
    client.force_login(other_manager)
    text = client.get("/telephony/popup/").content.decode()
    assert "A client you do not have access to." in text and "Secret Steel" not in text
    assert "Anna" not in text and "Create a lead" not in text


def test_an_unknown_number_offers_a_lead_with_the_number_prefilled(client, manager):
    Extension.objects.create(user=manager, number="101")
    _ring("101", number="+74957654321")
    client.force_login(manager)
    text = client.get("/telephony/popup/").content.decode()
    assert "Unknown number." in text and "/counterparties/new/?phone=%2B74957654321" in text
    form = client.get("/counterparties/new/", {"phone": "+74957654321"}).content.decode()
    assert 'value="+74957654321"' in form


def test_settings_are_for_administrators_and_never_show_a_secret(client, admin_user, manager):
    client.force_login(manager)
    assert client.get("/telephony/settings/").status_code == 404
    client.force_login(admin_user)
    answer = client.post("/telephony/settings/", {"ami_enabled": "on", "ami_host": "pbx.office.lan", "ami_port": "5038",
                                                  "ami_username": "crm", "ami_secret": "s3cret-ami",
                                                  "ami_context": "from-internal", "ami_channel": "PJSIP/{extension}",
                                                  "webhook_secret": "hk-secret-1"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    page = client.get("/telephony/settings/").content.decode()
    assert "s3cret-ami" not in page and "hk-secret-1" not in page and "set: leave empty to keep it" in page
    client.post("/telephony/settings/", {"ami_host": "pbx2", "ami_port": "5038", "ami_context": "from-internal",
                                         "ami_channel": "PJSIP/{extension}"})
    row = TelephonySettings.objects.get()
    assert row.ami_host == "pbx2" and row.ami_secret == "s3cret-ami" and row.webhook_secret == "hk-secret-1"


def test_an_extension_is_one_persons(client, admin_user, manager, other_manager):
    client.force_login(admin_user)
    client.post(f"/telephony/settings/extensions/{manager.pk}/", {"number": "101"})
    assert Extension.objects.get().user == manager
    answer = client.post(f"/telephony/settings/extensions/{other_manager.pk}/", {"number": "101"}, follow=True)
    assert "already" in answer.content.decode() and Extension.objects.count() == 1
    client.post(f"/telephony/settings/extensions/{manager.pk}/", {"number": ""})
    assert not Extension.objects.exists()
    client.force_login(manager)
    assert client.post(f"/telephony/settings/extensions/{manager.pk}/", {"number": "109"}).status_code == 404


def test_click_to_call_from_the_card(client, admin_user, manager, vip_client, other_manager):
    with FakeAmi() as ami:
        telephony_settings_update(user=admin_user, data={"ami_enabled": True, "ami_host": "127.0.0.1",
                                                         "ami_port": ami.port, "ami_username": "crm",
                                                         "ami_secret": "s3cret"})
        Extension.objects.create(user=manager, number="101")
        Extension.objects.create(user=other_manager, number="102")
        phone = Phone.objects.get()
        client.force_login(manager)
        card = client.get(f"/counterparties/{vip_client.pk}/").content.decode()
        assert f"/telephony/phones/{phone.pk}/call/" in card
        answer = client.post(f"/telephony/phones/{phone.pk}/call/", follow=True)
        assert "Your phone rings now" in answer.content.decode()
        assert [a["Channel"] for a in ami.actions if a["Action"] == "Originate"] == ["PJSIP/101"]
        # A colleague who may not see the VIP client cannot dial it by the phone's id.
        client.force_login(other_manager)
        assert client.post(f"/telephony/phones/{phone.pk}/call/").status_code == 404
        assert len([a for a in ami.actions if a["Action"] == "Originate"]) == 1


def test_a_tab_whose_session_ended_stops_polling(client):
    assert client.get("/telephony/popup/", {"shown": ""}).status_code == 286


def test_asterisk_switched_on_without_a_host_is_refused_next_to_the_field(client, admin_user):
    client.force_login(admin_user)
    answer = client.post("/telephony/settings/", {"ami_enabled": "on", "ami_host": "", "ami_port": "5038",
                                                  "ami_context": "from-internal", "ami_channel": "PJSIP/101"})
    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert "ami_host" in errors and "ami_channel" in errors
    assert not TelephonySettings.objects.filter(ami_enabled=True).exists()
