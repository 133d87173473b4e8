"""SMS against a fake SMS.ru on loopback: sending from the card, delivery callbacks (good and bad), access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from raccordo.comms.models import OptOut
from raccordo.core.models import ChangeJournal
from raccordo.parties.models import Phone
from raccordo.sms.models import SmsMessage, SmsSettings, SmsStatus
from raccordo.sms.segments import count_segments
from raccordo.sms.services import sms_send, sms_settings
from tests.factories import CounterpartyFactory

from .conftest import API_ID, SECRET

pytestmark = pytest.mark.django_db


def _client_with_mobile(manager, number="+79161234567", **kwargs):
    client = CounterpartyFactory(responsible=manager, **kwargs)
    Phone.objects.create(counterparty=client, number=number, kind="mobile", is_primary=True)
    return client


def test_segments_follow_gsm7_and_ucs2_rules():
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2           # 153 a part once split
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3
    assert count_segments("€" * 80).length == 160            # an extension character costs two
    assert count_segments("Привет" * 11).encoding == "UCS-2"
    assert count_segments("я" * 70).segments == 1
    assert count_segments("я" * 71).segments == 2            # 67 a part
    assert count_segments("😀" * 35).length == 70            # outside the basic plane: two units each


def test_a_manager_sends_from_the_card_and_it_lands_in_the_feed(client, manager, sms_ready):
    company = _client_with_mobile(manager)
    client.force_login(manager)
    response = client.post(reverse("sms:send", args=[company.pk]),
                           {"to": "+79161234567", "text": "Ваш заказ готов"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'data-testid="sms-sent"' in response.content
    assert sms_ready.sent == [{"to": "79161234567", "msg": "Ваш заказ готов", "from": "Raccordo",
                               "sms_id": "201737-100001"}]
    message = SmsMessage.objects.get()
    assert (message.status, message.provider_id, message.sent_by, message.counterparty) == (
        SmsStatus.SENT, "201737-100001", manager, company)
    assert message.segments == 1
    assert ChangeJournal.objects.filter(object_id=message.pk).exists()
    card = client.get(reverse("web:counterparty_detail", args=[company.pk]) + "?tab=activity")
    assert "SMS: Ваш заказ готов" in card.content.decode()
    assert sms_settings().last_sent_at is not None


def test_a_number_the_provider_refuses_is_stored_refused_with_its_reason(manager, sms_ready):
    company = _client_with_mobile(manager, "+79161112233")
    sms_ready.refuse["79161112233"] = 207
    message = sms_send(user=manager, to="+79161112233", text="Hello", counterparty=company)
    assert message.status == SmsStatus.REFUSED
    assert "207" in message.error
    assert "207" in sms_settings().last_error


def test_an_unreachable_provider_fails_the_message_and_says_so(manager, sms_ready, admin_user):
    from raccordo.sms.services import sms_settings_update

    sms_settings_update(user=admin_user, data={"base_url": "http://127.0.0.1:9"})
    message = sms_send(user=manager, to="+79161234567", text="Hello", counterparty=_client_with_mobile(manager))
    assert message.status == SmsStatus.FAILED
    assert "could not be reached" in message.error


def _send_one(manager):
    return sms_send(user=manager, to="+79161234567", text="Hello", counterparty=_client_with_mobile(manager))


def test_a_signed_delivery_report_marks_the_message_delivered(client, manager, sms_ready):
    message = _send_one(manager)
    url = reverse("sms:callback") + f"?secret={SECRET}"
    response = client.post(url, sms_ready.callback((message.provider_id, 103)))
    assert (response.status_code, response.content) == (200, b"100")
    message.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED
    # A late "on its way" never undoes "delivered".
    client.post(url, sms_ready.callback((message.provider_id, 102)))
    message.refresh_from_db()
    assert message.status == SmsStatus.DELIVERED


def test_a_failed_delivery_report_marks_it_not_delivered(client, manager, sms_ready):
    message = _send_one(manager)
    client.post(reverse("sms:callback") + f"?secret={SECRET}", sms_ready.callback((message.provider_id, 104)))
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED


@pytest.mark.parametrize("secret, api_id", [("wrong", API_ID), ("", API_ID), (SECRET, "someone-else")])
def test_a_report_with_a_bad_secret_or_signature_is_refused_and_logged(client, manager, sms_ready, secret, api_id,
                                                                       caplog):
    message = _send_one(manager)
    response = client.post(reverse("sms:callback") + f"?secret={secret}",
                           sms_ready.callback((message.provider_id, 103), api_id=api_id))
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT
    assert "refused" in caplog.text
    assert SmsSettings.objects.get().last_refused_callback


def test_a_manager_cannot_text_a_vip_client_of_someone_else(client, manager, other_manager, sms_ready):
    vip = _client_with_mobile(other_manager, is_vip=True)
    client.force_login(manager)
    response = client.post(reverse("sms:send", args=[vip.pk]), {"to": "+79161234567", "text": "Hi"})
    assert response.status_code == 404
    from raccordo.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        sms_send(user=manager, to="+79161234567", text="Hi", counterparty=vip)
    assert not SmsMessage.objects.exists() and sms_ready.sent == []


def test_a_manager_sees_only_the_messages_of_clients_they_see(manager, other_manager, sms_ready):
    from raccordo.sms.selectors import sms_list

    sms_send(user=other_manager, to="+79161234567", text="Hi", counterparty=_client_with_mobile(other_manager))
    mine = sms_send(user=manager, to="+79162223344", text="Hi", counterparty=_client_with_mobile(manager))
    assert list(sms_list(user=manager)) == [mine]


def test_an_opt_out_from_the_card_is_recorded(client, manager, sms_ready):
    company = _client_with_mobile(manager)
    client.force_login(manager)
    client.post(reverse("sms:opt_out", args=[company.pk]), {"number": "8 916 123-45-67"})
    assert OptOut.objects.filter(channel="sms", address="+79161234567", counterparty=company).exists()
    card = client.get(reverse("web:counterparty_detail", args=[company.pk]) + "?tab=activity")
    assert 'data-testid="sms-opted-out"' in card.content.decode()


def test_settings_keep_the_key_when_left_empty_and_never_show_it(client, admin_user, sms_ready):
    client.force_login(admin_user)
    page = client.get(reverse("sms:settings")).content.decode()
    assert API_ID not in page and SECRET not in page
    client.post(reverse("sms:settings"), {"provider": "smsru", "api_token": "", "sender": "Shop",
                                          "base_url": sms_ready.url, "callback_secret": "", "rate_per_minute": 5,
                                          "is_active": "on"})
    stored = SmsSettings.objects.get()
    assert (stored.api_token, stored.callback_secret, stored.sender) == (API_ID, SECRET, "Shop")
    entry = ChangeJournal.objects.filter(object_id=stored.pk).order_by("seq").first()
    assert API_ID not in str(entry.changes)


def test_settings_are_for_administrators_only(client, manager, db):
    client.force_login(manager)
    assert client.get(reverse("sms:settings")).status_code == 404


def test_the_test_sms_and_the_balance(client, admin_user, sms_ready):
    client.force_login(admin_user)
    client.post(reverse("sms:settings_test"), {"to": "+79995554433"})
    assert sms_ready.sent[-1]["to"] == "79995554433"
    client.post(reverse("sms:settings_balance"))
    assert str(SmsSettings.objects.get().balance) == "1234.50"
