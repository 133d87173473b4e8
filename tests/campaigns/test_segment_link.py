"""A campaign's target segment is a segment (not a name typed as text): the planner picks one of the segments
she sees, the campaign's page counts its members as the reader sees them and mails it, and every e-mail sent by
a campaign's mailing is a touch of the campaign on the client's card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from raccordo.access.models import Department
from raccordo.campaigns import services
from raccordo.campaigns.models import CampaignTouch
from raccordo.core.models import ChangeJournal
from raccordo.segments.mailing import mailing_start, mailing_step
from raccordo.segments.models import RecipientStatus
from raccordo.segments.services import segment_create
from tests import factories
from tests.segments.test_mailing import _clients, sink, template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
D = dt.date


def _campaign(user, **data):
    return services.campaign_create(user=user, data={
        "name": "Spring mailing", "channel": "email", "actual_cost": Decimal("500"),
        "starts_on": D(2026, 3, 1), "ends_on": D(2026, 4, 30), **data})


def test_a_campaign_targets_a_segment_its_planner_sees(admin_user, manager):
    head = factories.UserFactory(username="helga", role="head", department=Department.objects.create(name="Italy"))
    own = segment_create(user=head, data={"name": "Wholesale, Moscow", "filters": {"city": "Moscow"}})
    campaign = _campaign(head, segment=own)
    assert campaign.segment == own
    # A manager's private segment in another department is not hers to target: refused, nothing saved.
    private = segment_create(user=manager, data={"name": "Anna's VIPs", "filters": {}})
    with pytest.raises(ValidationError) as err:
        services.campaign_update(user=head, campaign=campaign, data={"segment": private})
    assert "segment" in err.value.message_dict
    campaign.refresh_from_db()
    assert campaign.segment == own
    # The administrator sees every segment and may link it; the head may still change the rest of the campaign.
    services.campaign_update(user=admin_user, campaign=campaign, data={"segment": private})
    services.campaign_update(user=head, campaign=campaign, data={"actual_cost": Decimal("700")})
    campaign.refresh_from_db()
    assert (campaign.segment, campaign.actual_cost) == (private, Decimal("700"))


def test_the_campaign_page_counts_and_mails_its_segment(client, admin_user, manager, other_manager):
    _clients(manager, other_manager, 3)
    segment = segment_create(user=admin_user, data={"name": "Everyone", "filters": {}})
    campaign = _campaign(admin_user, segment=segment)
    client.force_login(admin_user)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert "Everyone" in page and "6 members" in page
    mail_link = reverse("segments:mailing_new", args=[segment.pk]) + f"?campaign={campaign.pk}"
    assert mail_link in page
    form = client.get(mail_link).content.decode()
    assert f'<option value="{campaign.pk}" selected>' in form
    # The form offers the segments the planner sees.
    edit = client.get(reverse("campaigns:edit", args=[campaign.pk])).content.decode()
    assert f'<option value="{segment.pk}" selected>' in edit


def test_each_email_of_a_campaign_mailing_is_a_touch_on_the_card(client, manager, other_manager, sink,  # noqa: F811
                                                                 template, settings, admin_user):  # noqa: F811
    settings.MAILING_RATE_PER_MINUTE = 100
    clients = _clients(manager, other_manager, 5, bounce=1)
    segment = segment_create(user=manager, data={"name": "Mine", "filters": {}})
    campaign = _campaign(admin_user, segment=segment)
    mailing = mailing_start(user=manager, segment=segment, template=template, campaign=campaign)
    assert mailing_step(mailing=mailing) is None
    sent = set(mailing.recipients.filter(status=RecipientStatus.SENT).values_list("counterparty_id", flat=True))
    assert len(sent) == 4 and len(sink.messages) == 4
    touches = CampaignTouch.objects.filter(campaign=campaign)
    # One touch per e-mail delivered; the address the server refused is no touch.
    assert set(touches.values_list("counterparty_id", flat=True)) == sent
    assert set(touches.values_list("utm_medium", flat=True)) == {"email"}
    assert ChangeJournal.objects.filter(object_id__in=[str(t.pk) for t in touches]).count() == 4
    # The card's feed shows the touch to the manager of the client.
    client.force_login(manager)
    card = client.get(reverse("web:counterparty_detail", args=[clients[1].pk]) + "?tab=activity").content.decode()
    assert "Spring mailing" in card
    # The mailing's page names its campaign.
    page = client.get(reverse("segments:mailing_detail", args=[mailing.pk])).content.decode()
    assert 'data-testid="mailing-campaign"' in page


def test_a_new_deal_of_a_client_who_met_a_campaign_is_attributed_to_the_last_touch(admin_user, manager, client,
                                                                                  reference_data):
    from raccordo.sales.services import deal_create

    spring, autumn = _campaign(admin_user), _campaign(admin_user, name="Autumn fair")
    cp = factories.CounterpartyFactory(responsible=manager)
    now = timezone.now()
    services.touch_record(user=None, data={"campaign": spring, "counterparty": cp, "at": now - dt.timedelta(days=30)})
    services.touch_record(user=None, data={"campaign": autumn, "counterparty": cp, "at": now - dt.timedelta(days=5)})
    # Opened with no source named (the API, a lead from a call): the last touch is the source.
    deal = deal_create(user=manager, data={"title": "Pumps", "counterparty": cp})
    assert deal.source_campaign == autumn
    # A source named empty stays empty: the manager decided.
    assert deal_create(user=manager, data={"title": "Valves", "counterparty": cp,
                                           "source_campaign": None}).source_campaign is None
    # The new-deal form of that client offers the last touch's campaign.
    client.force_login(manager)
    form = client.get(reverse("web:deal_create") + f"?counterparty={cp.pk}").content.decode()
    assert f'<option value="{autumn.pk}" selected>' in form
    # Touches older than 90 days attribute nothing.
    old = factories.CounterpartyFactory(responsible=manager)
    services.touch_record(user=None, data={"campaign": spring, "counterparty": old,
                                           "at": now - dt.timedelta(days=91)})
    assert deal_create(user=manager, data={"title": "Old", "counterparty": old}).source_campaign is None
    # A deal recorded afterwards (`now` given: an import) is attributed as of its own moment: 20 days ago the
    # client's last touch was spring's, and autumn's came later.
    earlier = deal_create(user=manager, data={"title": "Back then", "counterparty": cp},
                          now=now - dt.timedelta(days=20))
    assert earlier.source_campaign == spring
