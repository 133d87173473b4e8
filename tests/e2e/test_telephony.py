"""Issue #18, telephony, in a real browser: a call rings and the pop-up with the caller's card appears live.

The PBX is played by this test: it posts signed events of the generic contract to the live server's
/telephony/events/ (the path Asterisk's worker and Mango's webhook end in, too), and the open tab's htmx polling
shows, hides and changes the pop-up. Then the calls are on the client's feed with their duration and recording.

Screenshots: 100-call-popup.png, 101-call-popup-ru.png, 102-card-feed-calls.png, 103-call-popup-hidden.png,
104-call-popup-unknown-it.png, 105-lead-from-call-it.png, 106-settings-telephony.png.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.parties.models import Phone
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from raccordo.telephony.contract import signature
from raccordo.telephony.models import Extension, PbxState
from raccordo.telephony.services import telephony_settings_update
from tests.e2e.conftest import login
from tests.factories import ContactPersonFactory, CounterpartyFactory, UserFactory, deal_for, reference_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SECRET = "e2e-webhook-secret"


@pytest.fixture
def office(transactional_db, request):
    language = getattr(request, "param", "")
    ref = reference_data()
    admin = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", language=language)
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi", role="manager", language="it")
    Extension.objects.create(user=anna, number="101")
    Extension.objects.create(user=marco, number="102")
    telephony_settings_update(user=admin, data={"webhook_secret": SECRET})
    client = CounterpartyFactory(name="Romashka", responsible=anna)
    pavel = ContactPersonFactory(counterparty=client, first_name="Pavel", last_name="Sidorov", position="Buyer")
    Phone.objects.create(counterparty=client, contact=pavel, number="+74951234567")
    deal_for(client, ref, title="Boiler room", amount=Decimal("250000"))
    today = timezone.localdate()
    late = invoice_issue(user=anna, invoice=invoice_create(user=anna, data={
        "own_company": ref["own_company"], "counterparty": client, "date": today - dt.timedelta(days=30),
        "due_date": today - dt.timedelta(days=10)},
        lines=[LineInput(description="Pipe DN100", quantity=Decimal("10"), price=Decimal("1200"))]))
    vip = CounterpartyFactory(name="Secret Steel", responsible=anna, is_vip=True)
    Phone.objects.create(counterparty=vip, number="+74957770000")
    return {"client": client, "late": late, "anna": anna, "marco": marco, "vip": vip}


def pbx(page, **event) -> None:
    """What the PBX does: post one signed call event to the live server."""
    body = json.dumps(event).encode()
    ts = str(int(time.time()))
    request = urllib.request.Request(f"{page.base_url}/telephony/events/", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Raccordo-Timestamp": ts,
        "X-Raccordo-Signature": signature(SECRET, ts, body)})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _at(seconds_ago: float = 0) -> str:
    return (timezone.now() - dt.timedelta(seconds=seconds_ago)).isoformat()


def test_a_ringing_call_pops_up_the_card_then_lands_on_the_feed(page, office, shot):
    login(page, "anna", "pass-12345")
    page.goto(f"{page.base_url}/deals/")
    expect(page.get_by_test_id("call-popup-slot")).to_be_attached()
    expect(page.get_by_test_id("call-popup")).to_have_count(0)
    pbx(page, call_id="in-1", event="ringing", direction="in", **{"from": "8 495 123-45-67"},
        to="+74959990000", extension="101", occurred_at=_at(130))
    popup = page.get_by_test_id("call-popup")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text("Incoming call")
    expect(page.get_by_test_id("call-popup-number")).to_have_text("+7 495 123-45-67")
    expect(page.get_by_test_id("call-popup-client")).to_contain_text("Romashka")
    expect(page.get_by_test_id("call-popup-client")).to_contain_text("Pavel")
    expect(page.get_by_test_id("call-popup-responsible")).to_have_text("Anna Ivanova")
    expect(page.get_by_test_id("call-popup-deals")).to_contain_text("Boiler room")
    expect(page.get_by_test_id("call-popup-overdue")).to_contain_text(office["late"].number)
    shot(page, "100-call-popup")
    pbx(page, call_id="in-1", event="answered", direction="in", **{"from": "84951234567"}, extension="101",
        occurred_at=_at(125))
    expect(popup).to_contain_text("Call in progress")
    pbx(page, call_id="in-1", event="ended", direction="in", **{"from": "84951234567"}, occurred_at=_at(0),
        talk_duration=125, recording_url="https://pbx.example.com/rec/in-1.wav")
    expect(page.get_by_test_id("call-popup")).to_have_count(0)
    # A missed call from the same client a little earlier: a call-back task for Anna.
    pbx(page, call_id="in-0", event="ringing", **{"from": "+74951234567"}, extension="101", occurred_at=_at(3600))
    pbx(page, call_id="in-0", event="missed", **{"from": "+74951234567"}, occurred_at=_at(3590))
    page.goto(f"{page.base_url}/counterparties/{office['client'].pk}/")
    feed = page.get_by_test_id("feed")
    expect(feed).to_contain_text("Incoming call, 2:05")
    expect(feed.get_by_role("link", name="Incoming call, 2:05 · recording")).to_have_attribute(
        "href", "https://pbx.example.com/rec/in-1.wav")
    expect(feed).to_contain_text("Missed call")
    expect(page.get_by_test_id("next-steps")).to_contain_text("Call back: missed call from Sidorov Pavel")
    assert PbxState.objects.get(provider="generic").last_event_at is not None
    shot(page, "102-card-feed-calls", full_page=True)


@pytest.mark.parametrize("office", ["ru"], indirect=True)
def test_the_popup_in_russian(page, office, shot):
    login(page, "anna", "pass-12345")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    pbx(page, call_id="ru-1", event="ringing", **{"from": "+74951234567"}, extension="101", occurred_at=_at())
    popup = page.get_by_test_id("call-popup")
    expect(popup).to_contain_text("Входящий звонок")
    expect(page.get_by_test_id("call-popup-client")).to_contain_text("Romashka")
    expect(popup).to_contain_text("Просроченные счета")
    shot(page, "101-call-popup-ru")
    page.get_by_test_id("call-popup-close").click()
    expect(page.get_by_test_id("call-popup")).to_have_count(0)


def test_a_vip_caller_is_not_named_to_a_colleague(page, office, shot):
    login(page, "marco", "pass-12345")
    pbx(page, call_id="vip-1", event="ringing", **{"from": "+74957770000"}, extension="102", occurred_at=_at())
    popup = page.get_by_test_id("call-popup")
    expect(page.get_by_test_id("call-popup-hidden")).to_be_visible()
    expect(popup).not_to_contain_text("Secret Steel")
    expect(popup).not_to_contain_text("Anna")
    shot(page, "103-call-popup-hidden")


def test_an_unknown_number_becomes_a_lead_in_italian(page, office, shot):
    login(page, "marco", "pass-12345")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    pbx(page, call_id="new-1", event="ringing", **{"from": "+390212345678"}, extension="102", occurred_at=_at())
    expect(page.get_by_test_id("call-popup-unknown")).to_be_visible()
    shot(page, "104-call-popup-unknown-it")
    page.get_by_test_id("call-popup-lead").click()
    expect(page.locator("input[name=phone]")).to_have_value("+390212345678")
    shot(page, "105-lead-from-call-it")


def test_the_administrators_settings_page(page, office, shot):
    login(page, "root", "pass-12345")
    page.goto(f"{page.base_url}/settings/")
    page.get_by_test_id("settings-telephony").click()
    page.fill("input[name=ami_host]", "pbx.office.lan")
    page.fill("input[name=ami_username]", "raccordo")
    page.fill("input[name=ami_secret]", "amp111")
    page.get_by_test_id("telephony-form").locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("Telephony settings saved.")
    expect(page.locator("input[name=ami_secret]")).to_have_value("")
    expect(page.get_by_test_id("telephony-form")).to_contain_text("set: leave empty to keep it")
    expect(page.get_by_test_id("extension-anna")).to_have_value("101")
    shot(page, "106-settings-telephony", full_page=True)
