"""The API of segments, mass e-mails and campaigns: the same services and rules as the pages (a manager's segment
counts her clients only, a stranger's segment is not hers to target, only planners plan, ROI is the caller's part)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from raccordo.access.models import Department
from raccordo.campaigns.models import Campaign
from raccordo.comms.models import MessageTemplate
from raccordo.parties.models import Email
from raccordo.sales.models import Invoice, Payment, PaymentAllocation
from tests import factories

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_segments_through_the_api(manager, other_manager):
    mine = [factories.CounterpartyFactory(responsible=manager, name=f"Mine {i}", kind="legal") for i in range(3)]
    factories.CounterpartyFactory(responsible=other_manager, name="Theirs", kind="legal")
    api = _api(manager)
    created = api.post("/api/v1/segments/", {"name": "Legal", "filters": {"kind": "legal"}}, format="json")
    assert created.status_code == 201, created.content
    members = api.get(f"/api/v1/segments/{created.data['id']}/members/").data
    assert members["count"] == 3 and {m["name"] for m in members["results"]} == {c.name for c in mine}
    # A bad filter is refused, naming it; nothing is saved.
    bad = api.post("/api/v1/segments/", {"name": "Bad", "filters": {"abc_class": ["D"]}}, format="json")
    assert bad.status_code == 400 and "abc_class" in str(bad.data)
    # Another manager does not see the segment at all.
    assert _api(other_manager).get(f"/api/v1/segments/{created.data['id']}/").status_code == 404
    renamed = api.patch(f"/api/v1/segments/{created.data['id']}/", {"name": "Legal entities"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert (renamed.data["name"], renamed.data["filters"]) == ("Legal entities", {"kind": "legal"})
    assert api.delete(f"/api/v1/segments/{created.data['id']}/").status_code == 204


def test_a_mailing_started_through_the_api(manager, other_manager, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for i in range(2):
        cp = factories.CounterpartyFactory(responsible=manager)
        Email.objects.create(counterparty=cp, address=f"buyer{i}@client.test", is_primary=True)
    template = MessageTemplate.objects.create(name="News", channel="email", subject="News", body="Hello")
    api = _api(manager)
    segment = api.post("/api/v1/segments/", {"name": "All", "filters": {}}, format="json").data
    with django_capture_on_commit_callbacks(execute=False):
        changed = api.post("/api/v1/mailings/", {"segment": segment["id"], "template": str(template.pk),
                                                 "expected": 5}, format="json")
        assert changed.status_code == 400 and "2" in str(changed.data)   # the segment has 2, not 5: nothing sent
        started = api.post("/api/v1/mailings/", {"segment": segment["id"], "template": str(template.pk),
                                                 "expected": 2}, format="json")
    assert started.status_code == 201, started.content
    assert (started.data["total"], started.data["progress"]["queued"]) == (2, 2)
    assert _api(other_manager).get(f"/api/v1/mailings/{started.data['id']}/").status_code == 404


def test_campaigns_with_their_roi(admin_user, manager, other_manager, reference_data):
    planner = factories.UserFactory(username="mara", role="marketer")
    created = _api(planner).post("/api/v1/campaigns/", {
        "name": "Expo", "channel": "exhibition", "actual_cost": "1000", "starts_on": "2026-09-01",
        "ends_on": "2026-09-30"}, format="json")
    assert created.status_code == 201, created.content
    assert _api(manager).post("/api/v1/campaigns/", {
        "name": "Mine", "starts_on": "2026-09-01", "ends_on": "2026-09-30"}, format="json").status_code == 403
    # Anna's and Marco's clients paid for deals of the campaign; each sees their own part of the revenue.
    campaign = Campaign.objects.get(pk=created.data["id"])
    for who, amount in ((manager, "300"), (other_manager, "500")):
        cp = factories.CounterpartyFactory(responsible=who)
        deal = factories.deal_for(cp, reference_data, source_campaign=campaign)
        inv = Invoice.objects.create(own_company=reference_data["own_company"], counterparty=cp, deal=deal,
                                     date=dt.date(2026, 9, 10), subtotal=Decimal(amount), total=Decimal(amount),
                                     responsible=who)
        pay = Payment.objects.create(counterparty=cp, date=dt.date(2026, 9, 20), amount=Decimal(amount))
        PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=Decimal(amount))
    whole = _api(admin_user).get(f"/api/v1/campaigns/{campaign.pk}/").data
    assert (Decimal(whole["paid_revenue"]), whole["roi"]) == (Decimal("800"), "0.80")
    part = _api(manager).get(f"/api/v1/campaigns/{campaign.pk}/").data
    assert (Decimal(part["paid_revenue"]), part["roi"]) == (Decimal("300"), "0.30")
    # A manager's private segment is not a head of another department's to target.
    head = factories.UserFactory(username="helga", role="head", department=Department.objects.create(name="Italy"))
    private = _api(manager).post("/api/v1/segments/", {"name": "Private", "filters": {}}, format="json").data
    refused = _api(head).patch(f"/api/v1/campaigns/{campaign.pk}/", {"segment": private["id"]}, format="json")
    assert refused.status_code == 400 and "segment" in str(refused.data)
