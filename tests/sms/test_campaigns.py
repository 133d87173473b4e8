"""Mass SMS: the preview's count, opt-outs honoured, the rate limit counted (the clock is passed, never slept)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.comms.services import opt_out
from raccordo.parties.models import Phone
from raccordo.sms.campaigns import campaign_preview, campaign_start, campaign_step
from raccordo.sms.models import CampaignStatus, SmsStatus
from tests.factories import ContactPersonFactory, CounterpartyFactory

pytestmark = pytest.mark.django_db


def _client(manager, number=None, kind="mobile", **kwargs):
    client = CounterpartyFactory(responsible=manager, **kwargs)
    if number:
        Phone.objects.create(counterparty=client, number=number, kind=kind)
    return client


@pytest.fixture
def segment(manager, other_manager):
    """Six clients of Anna: four reachable, one without a mobile, one opted out, one sharing a number; and a
    VIP client of Marco that Anna does not see."""
    clients = [_client(manager, f"+7916000000{i}") for i in range(4)]
    _client(manager, "+74951234567", kind="work")             # an office line is not a mobile number
    _client(manager, "+79160000009")
    opt_out(user=None, channel="sms", address="+79160000009")
    _client(manager, "+79160000000")                           # the same number as the first client
    _client(other_manager, "+79169999999", is_vip=True)
    return clients


def test_preview_counts_mobiles_minus_opted_out_and_duplicates(manager, segment):
    preview = campaign_preview(user=manager, filters={})
    assert (preview.count, preview.clients, preview.no_mobile, preview.opted_out, preview.duplicates) == (4, 7, 1, 1, 1)
    assert "+79169999999" not in {number for _c, _ct, number in preview.recipients}


def test_preview_takes_the_list_filters_and_a_contacts_mobile(manager, segment):
    vip = _client(manager, None, is_vip=True)
    contact = ContactPersonFactory(counterparty=vip)
    Phone.objects.create(counterparty=vip, contact=contact, number="+79167777777", kind="mobile")
    preview = campaign_preview(user=manager, filters={"vip": "1"})
    assert preview.recipients == [(vip.pk, contact.pk, "+79167777777")]


def test_a_mass_send_honours_opt_outs_and_the_rate(manager, segment, sms_ready):
    campaign = campaign_start(user=manager, name="Spring", text="Скидки весной", filters={})
    assert campaign.total == 4 and campaign.messages.count() == 4
    t0 = timezone.now()
    # rate_per_minute is 2 (conftest): two now, none a second later, two once the minute has passed.
    wait = campaign_step(campaign=campaign, now=t0)
    assert len(sms_ready.sent) == 2 and 59 <= wait <= 60
    assert campaign_step(campaign=campaign, now=t0 + dt.timedelta(seconds=1)) > 0
    assert len(sms_ready.sent) == 2
    # Someone asks to stop while the campaign runs: the rest still honours it.
    last = campaign.messages.filter(status=SmsStatus.QUEUED).order_by("created_at", "id").last()
    opt_out(user=None, channel="sms", address=last.to)
    assert campaign_step(campaign=campaign, now=t0 + dt.timedelta(seconds=61)) is None
    assert len(sms_ready.sent) == 3
    assert "+79160000009".lstrip("+") not in {s["to"] for s in sms_ready.sent}
    last.refresh_from_db()
    assert last.status == SmsStatus.REFUSED
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_start_refuses_when_the_segment_changed_since_the_preview(manager, segment, sms_ready):
    from raccordo.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        campaign_start(user=manager, name="x", text="Hi", filters={}, expected=3)
    assert refused.value.code == "sms.campaign.changed"


def test_the_mass_send_page_previews_then_sends_in_the_worker(client, manager, segment, sms_ready, huey_immediate,
                                                              django_capture_on_commit_callbacks):
    client.force_login(manager)
    page = client.get(reverse("sms:campaign_new") + "?mine=1")
    assert b'data-testid="sms-preview-count">4<' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sms:campaign_new") + "?mine=1", {"name": "Spring", "text": "Hi",
                                                                         "expected": "4"})
    assert response.status_code == 302
    # Huey ran the first step at once: the rate's two messages; the rest wait for the next minute.
    assert len(sms_ready.sent) == 2
    detail = client.get(response["Location"])
    assert b'data-testid="sms-progress-figures">2 / 4<' in detail.content


def test_a_mass_send_is_seen_only_by_its_sender_and_administrators(client, manager, other_manager, segment,
                                                                   sms_ready):
    campaign = campaign_start(user=manager, name="Spring", text="Hi", filters={})
    client.force_login(other_manager)
    assert client.get(reverse("sms:campaign_detail", args=[campaign.pk])).status_code == 404
