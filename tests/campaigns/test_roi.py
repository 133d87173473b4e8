"""Campaign ROI computed in the database against a plain-Python restatement of its definition, on generated data.

ROI = paid revenue of the deals attributed to a campaign (payments not reversed, allocated to those deals'
invoices) / the campaign's actual cost; per campaign, per channel and by month of payment. A manager's figures
are the part their own clients paid.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.campaigns import selectors, services
from raccordo.campaigns.models import Campaign, Channel
from raccordo.sales.models import Invoice, InvoiceStatus, Payment, PaymentAllocation
from tests import factories

pytestmark = pytest.mark.django_db
D = Decimal


def _world(seed: int):
    rng = random.Random(seed)
    ref = factories.reference_data()
    root = factories.UserFactory(username="root", role="admin", is_superuser=True, is_staff=True)
    anna = factories.UserFactory(username="anna", role="manager")
    marco = factories.UserFactory(username="marco", role="manager")
    campaigns = [services.campaign_create(user=root, data={
        "name": f"C{i}", "channel": rng.choice(Channel.values), "actual_cost": D(rng.choice([0, 500, 1200, 3000])),
        "starts_on": dt.date(2026, 1, 1), "ends_on": dt.date(2026, 6, 30)}) for i in range(6)]
    plain = []  # (campaign or None, responsible, payment date, amount, reversed)
    for n in range(40):
        owner = rng.choice([anna, marco])
        cp = factories.CounterpartyFactory(responsible=owner, name=f"Client {n}")
        campaign = rng.choice([*campaigns, None])
        deal = factories.deal_for(cp, ref, title=f"D{n}", source_campaign=campaign)
        inv = Invoice.objects.create(own_company=ref["own_company"], counterparty=cp, deal=deal, date=dt.date(2026, 2, 1),
                                     status=InvoiceStatus.ISSUED, subtotal=D(1000), total=D(1000), responsible=owner)
        for _k in range(rng.randint(0, 3)):
            day = dt.date(2026, rng.randint(1, 12), rng.randint(1, 28))
            amount = D(rng.randint(1, 400))
            reversed_ = rng.random() < 0.15
            pay = Payment.objects.create(counterparty=cp, date=day, amount=amount + D(rng.randint(0, 50)),
                                         reversed_at=timezone.now() if reversed_ else None)
            PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=amount)
            plain.append((campaign, owner, day, amount, reversed_))
        # An invoice of no deal, paid: never counts.
        other = Invoice.objects.create(own_company=ref["own_company"], counterparty=cp, date=dt.date(2026, 2, 1),
                                       status=InvoiceStatus.ISSUED, subtotal=D(50), total=D(50), responsible=owner)
        pay = Payment.objects.create(counterparty=cp, date=dt.date(2026, 3, 3), amount=D(50))
        PaymentAllocation.objects.create(payment=pay, invoice=other, amount=D(50))
    return {"root": root, "anna": anna, "marco": marco, "campaigns": campaigns, "plain": plain}


def _expected(world, who=None):
    """The definition restated in plain Python over the generated rows."""
    revenue, by_month = defaultdict(lambda: D(0)), defaultdict(lambda: D(0))
    for campaign, owner, day, amount, reversed_ in world["plain"]:
        if campaign is None or reversed_ or (who is not None and owner != who):
            continue
        revenue[campaign.pk] += amount
        by_month[dt.date(day.year, day.month, 1)] += amount
    per_campaign = {}
    for c in world["campaigns"]:
        roi = (revenue[c.pk] / c.actual_cost).quantize(D("0.01")) if c.actual_cost else None
        per_campaign[c.name] = (c.actual_cost, revenue[c.pk], roi)
    channels = defaultdict(lambda: [D(0), D(0)])
    for c in world["campaigns"]:
        channels[c.channel][0] += c.actual_cost
        channels[c.channel][1] += revenue[c.pk]
    per_channel = {k: (cost, rev, (rev / cost).quantize(D("0.01")) if cost else None)
                   for k, (cost, rev) in channels.items()}
    running, months = D(0), []
    for month in sorted(by_month):
        running += by_month[month]
        months.append((month, by_month[month], running))
    return per_campaign, per_channel, months


def _computed(user):
    per_campaign = {r.label: (r.cost, r.revenue, r.roi) for r in selectors.roi_by_campaign(user=user)}
    per_channel = {r.key: (r.cost, r.revenue, r.roi) for r in selectors.roi_by_channel(user=user)}
    return per_campaign, per_channel, selectors.roi_by_month(user=user)


@pytest.mark.parametrize("seed", [1, 7, 2026])
def test_roi_per_campaign_channel_and_month_is_the_definition(seed):
    world = _world(seed)
    assert _computed(world["root"]) == _expected(world)
    assert any(rev for _c, rev, _r in _expected(world)[0].values()), "the generated data pays something"


@pytest.mark.parametrize("seed", [3, 11])
def test_a_manager_sees_only_what_their_own_clients_paid(seed):
    world = _world(seed)
    for who in ("anna", "marco"):
        assert _computed(world[who]) == _expected(world, world[who])
    whole = sum(rev for _c, rev, _r in _expected(world)[0].values())
    parts = sum(rev for who in ("anna", "marco") for _c, rev, _r in _expected(world, world[who])[0].values())
    assert whole == parts and 0 < sum(rev for _c, rev, _r in _expected(world, world["anna"])[0].values()) < whole


def test_one_campaigns_months(reference_data, admin_user, manager):
    campaign = services.campaign_create(user=admin_user, data={
        "name": "Spring", "channel": Channel.EMAIL, "actual_cost": D("100"), "starts_on": dt.date(2026, 3, 1),
        "ends_on": dt.date(2026, 3, 31)})
    cp = factories.CounterpartyFactory(responsible=manager)
    deal = factories.deal_for(cp, reference_data)
    services.deal_attribute(user=manager, deal=deal, campaign=campaign)
    inv = Invoice.objects.create(own_company=reference_data["own_company"], counterparty=cp, deal=deal,
                                 date=dt.date(2026, 3, 2), subtotal=D(500), total=D(500), responsible=manager)
    for day, amount in ((dt.date(2026, 3, 10), "120"), (dt.date(2026, 3, 20), "30"), (dt.date(2026, 5, 1), "200")):
        pay = Payment.objects.create(counterparty=cp, date=day, amount=D(amount))
        PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=D(amount))
    assert selectors.roi_by_month(user=manager, campaign=campaign) == [
        (dt.date(2026, 3, 1), D("150"), D("150")), (dt.date(2026, 5, 1), D("200"), D("350"))]
    [line] = selectors.roi_by_campaign(user=manager, campaigns=Campaign.objects.filter(pk=campaign.pk))
    assert (line.revenue, line.roi) == (D("350"), D("3.50"))


def test_payments_in_another_currency_are_left_out_and_said(reference_data, admin_user, manager, client, settings):
    settings.DEFAULT_CURRENCY = "RUB"
    campaign = services.campaign_create(user=admin_user, data={
        "name": "Milan fair", "channel": Channel.EXHIBITION, "actual_cost": D("1000"),
        "starts_on": dt.date(2026, 3, 1), "ends_on": dt.date(2026, 3, 31)})
    cp = factories.CounterpartyFactory(responsible=manager)
    deal = factories.deal_for(cp, reference_data)
    services.deal_attribute(user=manager, deal=deal, campaign=campaign)
    for currency, amount in (("RUB", "1500"), ("EUR", "80")):
        inv = Invoice.objects.create(own_company=reference_data["own_company"], counterparty=cp, deal=deal,
                                     currency=currency, date=dt.date(2026, 3, 2), subtotal=D(amount),
                                     total=D(amount), responsible=manager)
        pay = Payment.objects.create(counterparty=cp, date=dt.date(2026, 3, 9), amount=D(amount), currency=currency)
        PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=D(amount))
    # The cost is in roubles: 80 euros are not added to 1,500 roubles.
    [line] = selectors.roi_by_campaign(user=manager, campaigns=Campaign.objects.filter(pk=campaign.pk))
    assert (line.revenue, line.roi) == (D("1500"), D("1.50"))
    assert selectors.roi_by_month(user=manager, campaign=campaign) == [(dt.date(2026, 3, 1), D("1500"), D("1500"))]
    assert selectors.paid_in_other_currencies(user=manager, campaign=campaign) == [("EUR", D("80"))]
    client.force_login(admin_user)
    for url in (reverse("campaigns:detail", args=[campaign.pk]), reverse("campaigns:roi")):
        page = client.get(url).content.decode()
        assert 'data-testid="roi-other-currencies"' in page and "€80.00" in page.replace("\xa0", "")
