"""The public web form endpoint: origins allowed, honeypot, rate limit, dedup, consent, UTM touch, assignment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from raccordo.access.models import Department
from raccordo.activities.models import Task
from raccordo.campaigns import services, webforms
from raccordo.campaigns.form_views import SUBMISSIONS_PER_MINUTE
from raccordo.campaigns.models import CampaignTouch, LeadConsent, WebForm
from raccordo.parties.models import Counterparty, Email, Phone
from tests import factories

pytestmark = pytest.mark.django_db
SITE = "https://shop.example.com"


@pytest.fixture
def setup(admin_user):
    sales = Department.objects.create(name="Sales")
    people = [factories.UserFactory(username=f"m{i}", role="manager", department=sales) for i in range(3)]
    campaign = services.campaign_create(user=admin_user, data={
        "name": "Expo", "channel": "exhibition", "starts_on": dt.date(2026, 4, 1), "ends_on": dt.date(2026, 4, 30)})
    form = webforms.web_form_create(user=admin_user, data={
        "name": "Call me back", "fields": ["name", "email", "phone"], "consent_text": "I agree to be contacted.",
        "campaign": campaign, "department": sales, "allowed_origins": SITE + "/\nhttps://other.example.com"})
    return {"form": form, "people": people, "campaign": campaign}


def _post(client, form, origin=SITE, **data):
    payload = {"name": "Olga Petrova", "email": "olga@example.com", "consent": "1", **data}
    return client.post(reverse("campaigns:web_form_submit", args=[form.pk]), payload, HTTP_ORIGIN=origin)


def test_a_new_lead_is_a_client_with_consent_touch_and_a_task_for_the_next_in_turn(client, setup):
    response = _post(client, setup["form"], phone="+7 916 123-45-67", utm_source="yandex", utm_medium="cpc",
                     utm_campaign="expo2026")
    assert response.status_code == 200 and response.json()["ok"]
    assert response["Access-Control-Allow-Origin"] == SITE
    cp = Counterparty.objects.get(name="Olga Petrova")
    assert Email.objects.get(counterparty=cp).address == "olga@example.com"
    assert Phone.objects.get(counterparty=cp).number == "+79161234567"
    consent = LeadConsent.objects.get(counterparty=cp)
    assert consent.text == "I agree to be contacted." and consent.web_form == setup["form"]
    touch = CampaignTouch.objects.get(counterparty=cp)
    assert (touch.campaign, touch.utm_source, touch.utm_medium, touch.utm_campaign) == (
        setup["campaign"], "yandex", "cpc", "expo2026")
    task = Task.objects.get(counterparty=cp)
    assert task.assignee == cp.responsible == setup["people"][0]
    assert "olga@example.com" in task.description


def test_round_robin_goes_through_the_department_in_turn(client, setup):
    for n in range(4):
        assert _post(client, setup["form"], name=f"P{n}", email=f"p{n}@example.com").status_code == 200
    assignees = [Task.objects.get(counterparty__name=f"P{n}").assignee for n in range(4)]
    people = setup["people"]
    assert assignees == [people[0], people[1], people[2], people[0]]


def test_a_known_email_or_phone_is_the_same_client_not_a_new_one(client, setup, manager):
    known = factories.CounterpartyFactory(name="Romashka", responsible=manager)
    Email.objects.create(counterparty=known, address="Buyer@Romashka.ru")
    Phone.objects.create(counterparty=known, number="+79031112233")
    before = Counterparty.objects.count()
    assert _post(client, setup["form"], email="buyer@romashka.ru").status_code == 200
    assert _post(client, setup["form"], email="", phone="8 903 111-22-33").status_code == 200
    assert Counterparty.objects.count() == before
    assert LeadConsent.objects.filter(counterparty=known).count() == 2
    assert CampaignTouch.objects.filter(counterparty=known).count() == 2
    # The client's own manager gets the lead, not the next in turn.
    assert set(Task.objects.filter(counterparty=known).values_list("assignee", flat=True)) == {manager.pk}


def test_no_consent_no_contact_means_nothing_stored_and_errors_by_field(client, setup):
    response = _post(client, setup["form"], consent="", email="not-an-address")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"consent", "email"}
    response = _post(client, setup["form"], email="")
    assert response.status_code == 400 and "email" in response.json()["errors"]
    assert not Counterparty.objects.exists() and not LeadConsent.objects.exists() and not Task.objects.exists()


def test_an_origin_not_allowed_is_refused(client, setup):
    for origin in ("https://evil.example.org", "", "http://shop.example.com"):
        response = _post(client, setup["form"], origin=origin)
        assert response.status_code == 403, origin
        assert "Access-Control-Allow-Origin" not in response
    assert not Counterparty.objects.exists()
    assert _post(client, setup["form"], origin="https://other.example.com").status_code == 200


def test_the_honeypot_thanks_the_bot_and_stores_nothing(client, setup):
    response = _post(client, setup["form"], website="http://spam.example")
    assert response.status_code == 200 and response.json()["ok"]
    assert not Counterparty.objects.exists()


def test_the_rate_limit_per_address(client, setup):
    codes = [_post(client, setup["form"], email=f"x{n}@example.com").status_code
             for n in range(SUBMISSIONS_PER_MINUTE + 2)]
    assert codes[:SUBMISSIONS_PER_MINUTE] == [200] * SUBMISSIONS_PER_MINUTE
    assert codes[SUBMISSIONS_PER_MINUTE:] == [429, 429]
    assert Counterparty.objects.count() == SUBMISSIONS_PER_MINUTE


def test_an_inactive_or_unknown_form_is_not_found(client, setup):
    WebForm.objects.filter(pk=setup["form"].pk).update(is_active=False)
    assert _post(client, setup["form"]).status_code == 404


def test_only_administrators_set_up_forms_and_the_snippet_names_the_endpoint(client, setup, admin_user, manager):
    client.force_login(manager)
    assert client.get(reverse("campaigns:web_forms")).status_code == 403
    with pytest.raises(Exception, match="administrators"):
        webforms.web_form_create(user=manager, data={"name": "x", "consent_text": "y", "assignee": manager})
    client.force_login(admin_user)
    page = client.get(reverse("campaigns:web_form_edit", args=[setup["form"].pk])).content.decode()
    assert f"/campaigns/forms/{setup['form'].pk}/submit/" in page and "webform.js" in page


def test_the_touch_shows_on_the_clients_feed_for_whoever_sees_the_client(client, setup, other_manager):
    assert _post(client, setup["form"], utm_source="newsletter").status_code == 200
    cp = Counterparty.objects.get(name="Olga Petrova")
    client.force_login(cp.responsible)
    page = client.get(reverse("web:counterparty_detail", args=[cp.pk]) + "?tab=activity").content.decode()
    assert "Campaign touch: Expo" in page and "newsletter" in page
    client.force_login(other_manager)
    assert client.get(reverse("web:counterparty_detail", args=[cp.pk])).status_code == 404
