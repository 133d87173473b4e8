"""The call-event contract applied: calls matched by number, idempotent events, missed calls as tasks, access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from raccordo.access import policy
from raccordo.activities.feed import feed_page
from raccordo.activities.models import Task
from raccordo.core.models import ChangeJournal
from raccordo.parties.models import Phone
from raccordo.telephony.contract import CallEventInput
from raccordo.telephony.matching import match_number, normalise
from raccordo.telephony.models import Call, CallStatus, Extension, TelephonySettings
from raccordo.telephony.selectors import call_list, call_popup
from raccordo.telephony.services import record_event, telephony_settings_update
from tests.factories import ContactPersonFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def _event(kind: str, *, call_id="L1", ext="101", at=0, **extra) -> CallEventInput:
    extra.setdefault("from_number", "84951234567")
    extra.setdefault("to_number", "74959990000")
    return CallEventInput(call_id=call_id, event=kind, extension=ext, occurred_at=T0 + dt.timedelta(seconds=at),
                          **extra)


@pytest.fixture
def client_with_phone(manager):
    cp = CounterpartyFactory(name="Romashka", responsible=manager)
    contact = ContactPersonFactory(counterparty=cp, first_name="Pavel", last_name="Sidorov")
    Phone.objects.create(counterparty=cp, number="+74951234567", contact=contact)
    Extension.objects.create(user=manager, number="101")
    return cp


def test_numbers_in_pbx_habits_normalise_to_e164():
    assert normalise("84951234567") == "+74951234567"
    assert normalise("74951234567") == "+74951234567"
    assert normalise("+7 (495) 123-45-67") == "+74951234567"
    assert normalise("390212345678") == "+390212345678"
    assert normalise("101") == ""
    assert normalise("anonymous") == ""


def test_a_number_matches_the_contact_person_before_the_company(client_with_phone):
    Phone.objects.create(counterparty=client_with_phone, number="+74951234567", is_primary=True)
    found = match_number("8 (495) 123-45-67")
    assert found.counterparty == client_with_phone and found.contact.first_name == "Pavel"
    assert match_number("+74950000000").counterparty is None


def test_an_answered_call_is_matched_timed_and_on_the_card(client_with_phone, manager):
    record_event(event=_event("ringing"))
    record_event(event=_event("answered", at=5))
    call = record_event(event=_event("ended", ext="", at=125, recording_url="http://pbx/rec/L1.wav"))
    assert call.status == CallStatus.ENDED and call.duration_seconds == 120
    assert call.counterparty == client_with_phone and call.user == manager and call.number == "+74951234567"
    items = [i for i in feed_page(user=manager, counterparty=client_with_phone).items if i.kind == "call"]
    assert len(items) == 1 and "2:00" in items[0].title and items[0].url == "http://pbx/rec/L1.wav"
    assert ChangeJournal.objects.filter(object_id=call.pk).exists()


def test_the_same_event_twice_changes_nothing(client_with_phone):
    record_event(event=_event("ringing"))
    record_event(event=_event("answered", at=5))
    before = ChangeJournal.objects.count()
    record_event(event=_event("answered", at=9))
    assert ChangeJournal.objects.count() == before
    assert Call.objects.get().answered_at == T0 + dt.timedelta(seconds=5)


def test_a_missed_call_becomes_one_task_for_the_responsible_manager(client_with_phone, manager, other_manager):
    Extension.objects.create(user=other_manager, number="102")
    record_event(event=_event("ringing", ext="102"))
    call = record_event(event=_event("missed", ext="", at=30))
    record_event(event=_event("ended", ext="", at=31))
    call.refresh_from_db()
    assert call.status == CallStatus.MISSED
    task = Task.objects.get()
    assert task.assignee == manager and task.counterparty == client_with_phone and call.task == task
    assert "Pavel" in task.title


def test_a_missed_call_from_an_unknown_number_is_the_employee_at_the_extension(manager):
    Extension.objects.create(user=manager, number="101")
    record_event(event=_event("ringing", from_number="+74957770000"))
    call = record_event(event=_event("ended", ext="", at=20, from_number="+74957770000"))
    assert call.status == CallStatus.MISSED and call.counterparty is None
    assert Task.objects.get().assignee == manager
    assert list(call_list(user=manager)) == [call]


def test_a_transfer_gives_the_call_to_the_second_employee(client_with_phone, other_manager):
    Extension.objects.create(user=other_manager, number="102")
    record_event(event=_event("ringing"))
    record_event(event=_event("answered", at=3))
    record_event(event=_event("ringing", ext="102", at=40))
    call = record_event(event=_event("answered", ext="102", at=45))
    assert call.user == other_manager and call.extension == "102"
    assert call.answered_at == T0 + dt.timedelta(seconds=3)


def test_a_vip_clients_call_is_hidden_from_another_manager(client_with_phone, manager, other_manager):
    client_with_phone.is_vip = True
    client_with_phone.save()
    Extension.objects.create(user=other_manager, number="102")
    record_event(event=_event("ringing", ext="102", call_id="VIP1", at=timezone.now().timestamp() - T0.timestamp()))
    call = Call.objects.get()
    assert call.counterparty == client_with_phone
    assert list(call_list(user=manager)) == [call]
    assert list(call_list(user=other_manager)) == []
    assert not policy.can(other_manager, "view", call)
    # Their phone rings all the same; the pop-up says whose it is not.
    popup = call_popup(user=other_manager)
    assert popup is not None and popup.hidden and popup.counterparty is None and popup.deals is None
    assert feed_page(user=other_manager, counterparty=client_with_phone).items == []


def test_the_popup_shows_the_client_to_its_manager(client_with_phone, manager, reference_data):
    from tests.factories import deal_for

    deal_for(client_with_phone, reference_data, title="Boiler room")
    record_event(event=_event("ringing", at=timezone.now().timestamp() - T0.timestamp()))
    popup = call_popup(user=manager)
    assert popup.counterparty == client_with_phone and not popup.hidden
    assert [d.title for d in popup.deals] == ["Boiler room"]
    record_event(event=_event("ended", ext="", at=timezone.now().timestamp() - T0.timestamp()))
    assert call_popup(user=manager) is None


def test_the_popup_leaves_the_colleagues_when_one_answers(client_with_phone, manager, other_manager):
    Extension.objects.create(user=other_manager, number="102")
    now = timezone.now().timestamp() - T0.timestamp()
    record_event(event=_event("ringing", at=now))
    record_event(event=_event("ringing", ext="102", at=now))
    assert call_popup(user=manager) is not None and call_popup(user=other_manager) is not None
    record_event(event=_event("answered", ext="102", at=now + 1))
    assert call_popup(user=manager) is None and call_popup(user=other_manager) is not None


def test_secrets_are_kept_encrypted_masked_and_not_erased_by_an_empty_input(admin_user):
    telephony_settings_update(user=admin_user, data={"ami_host": "pbx", "ami_secret": "s3cret",
                                                     "webhook_secret": "hk-value-9"})
    telephony_settings_update(user=admin_user, data={"ami_host": "pbx2", "ami_secret": ""})
    row = TelephonySettings.objects.get()
    assert row.ami_secret == "s3cret" and row.ami_host == "pbx2"
    with connection.cursor() as cursor:
        cursor.execute("SELECT ami_secret FROM telephony_telephonysettings")
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:") and "s3cret" not in stored
    entry = ChangeJournal.objects.filter(object_id=row.pk).order_by("seq").first()
    assert "s3cret" not in str(entry.changes) and "hk-value-9" not in str(entry.changes)


def test_only_administrators_change_the_pbx_settings(manager):
    with pytest.raises(Exception) as caught:
        telephony_settings_update(user=manager, data={"ami_host": "evil"})
    assert getattr(caught.value, "code", "") == "access.denied"


def test_the_heads_report_counts_missed_calls_from_telephony(client_with_phone, manager, other_manager):
    from raccordo.access.policy import visible
    from raccordo.reports.missed_calls import missed_calls_source

    client_with_phone.is_vip = True
    client_with_phone.save()
    Extension.objects.create(user=other_manager, number="102")
    record_event(event=_event("ringing", ext="102", call_id="m1"))
    record_event(event=_event("missed", ext="", call_id="m1", at=20))
    record_event(event=_event("ringing", ext="102", call_id="m2", from_number="+74950001122"))
    record_event(event=_event("missed", ext="", call_id="m2", at=20, from_number="+74950001122"))
    assert missed_calls_source() is None   # no PBX set up yet: the report counts calls logged by hand
    TelephonySettings.objects.create(webhook_secret="set")
    source = missed_calls_source()
    assert source is not None
    window = {"start_at": T0 - dt.timedelta(hours=1), "end_at": T0 + dt.timedelta(hours=1)}
    # As the VIP client's manager: the VIP's missed call only (the other is Marco's own, outside her reach).
    assert source(narrow=lambda qs: visible(qs, manager), **window) == {other_manager.pk: 1}
    # As Marco: only the unknown number's; the VIP client's missed call is not counted for him.
    assert source(narrow=lambda qs: visible(qs, other_manager), **window) == {other_manager.pk: 1}
    assert source(narrow=lambda qs: qs, **window) == {other_manager.pk: 2}
