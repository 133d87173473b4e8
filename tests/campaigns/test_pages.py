"""Campaign pages and the plan's rules: the Gantt chart, finish-to-start links, who plans, whose revenue shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from raccordo.campaigns import gantt, selectors, services
from raccordo.campaigns.models import CampaignEvent
from raccordo.core.errors import PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.sales.models import Invoice, Payment, PaymentAllocation
from tests import factories
from tests.chart_blocks import chart_block, values

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def plan(admin_user):
    campaign = services.campaign_create(user=admin_user, data={
        "name": "Autumn expo", "channel": "exhibition", "actual_cost": Decimal("1000"),
        "starts_on": D(2026, 9, 1), "ends_on": D(2026, 10, 31)})
    mailing = services.event_save(user=admin_user, campaign=campaign, data={
        "name": "Invitations", "kind": "mailing", "starts_on": D(2026, 9, 1), "ends_on": D(2026, 9, 10)})
    expo = services.event_save(user=admin_user, campaign=campaign, data={
        "name": "Stand at the fair", "kind": "exhibition", "starts_on": D(2026, 9, 20), "ends_on": D(2026, 9, 23)},
        depends_on=[mailing])
    calls = services.event_save(user=admin_user, campaign=campaign, data={
        "name": "Follow-up calls", "kind": "call_wave", "starts_on": D(2026, 9, 24), "ends_on": D(2026, 10, 15)},
        depends_on=[expo])
    return {"campaign": campaign, "mailing": mailing, "expo": expo, "calls": calls}


def test_an_event_cannot_start_before_what_it_waits_for_ends(plan, admin_user):
    with pytest.raises(ValidationError) as err:
        services.event_save(user=admin_user, campaign=plan["campaign"], event=plan["calls"],
                            data={"starts_on": D(2026, 9, 22)})
    assert "starts_on" in err.value.message_dict
    # Moving the fair later than its follow-up calls start is refused too, and nothing moves.
    with pytest.raises(ValidationError):
        services.event_reschedule(user=admin_user, event=plan["expo"], starts_on=D(2026, 9, 23))
    assert CampaignEvent.objects.get(pk=plan["expo"].pk).starts_on == D(2026, 9, 20)


def test_links_cannot_go_round_in_a_circle(plan, admin_user):
    with pytest.raises(ValidationError) as err:
        services.event_save(user=admin_user, campaign=plan["campaign"], event=plan["mailing"], data={},
                            depends_on=[plan["calls"]])
    assert "depends_on" in err.value.message_dict


def test_a_manager_does_not_plan_campaigns(plan, manager):
    with pytest.raises(PermissionDenied):
        services.campaign_update(user=manager, campaign=plan["campaign"], data={"actual_cost": Decimal("1")})
    with pytest.raises(PermissionDenied):
        services.event_reschedule(user=manager, event=plan["calls"], starts_on=D(2026, 10, 1))


def test_changes_are_journaled(plan, admin_user):
    services.event_reschedule(user=admin_user, event=plan["calls"], starts_on=D(2026, 10, 1))
    entry = ChangeJournal.objects.filter(object_id=plan["calls"].pk).order_by("-seq").first()
    assert entry.changes["starts_on"] == ["2026-09-24", "2026-10-01"]


def test_the_gantt_chart_draws_bars_in_order_and_arrows_for_links(plan, admin_user):
    events = selectors.campaign_events(user=admin_user, campaign=plan["campaign"])
    chart = gantt.chart(plan["campaign"], events)
    assert [b.name for b in chart.bars] == ["Invitations", "Stand at the fair", "Follow-up calls"]
    first, second, third = chart.bars
    assert first.x < second.x < third.x and first.y < second.y < third.y
    assert second.x > first.x + first.width  # the fair starts after the mailing ends
    assert len(chart.links) == 2


def test_the_campaign_page_shows_the_chart_and_the_managers_part(client, plan, reference_data, manager,
                                                                  other_manager):
    for who, amount in ((manager, "300"), (other_manager, "700")):
        cp = factories.CounterpartyFactory(responsible=who)
        deal = factories.deal_for(cp, reference_data, source_campaign=plan["campaign"])
        inv = Invoice.objects.create(own_company=reference_data["own_company"], counterparty=cp, deal=deal,
                                     date=D(2026, 9, 25), total=Decimal(amount), responsible=who)
        pay = Payment.objects.create(counterparty=cp, date=D(2026, 10, 2), amount=Decimal(amount))
        PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=Decimal(amount))
    client.force_login(manager)
    page = client.get(reverse("campaigns:detail", args=[plan["campaign"].pk])).content.decode()
    assert page.count('data-testid="gantt-bar"') == 3 and page.count('data-testid="gantt-link"') == 2
    assert "0.30" in page and "0.70" not in page and "1.00" not in page  # anna's 300 of 1000, not marco's
    assert client.get(reverse("campaigns:edit", args=[plan["campaign"].pk])).status_code == 403
    assert client.get(reverse("campaigns:event_new", args=[plan["campaign"].pk])).status_code == 403
    assert client.get(reverse("campaigns:event_edit", args=[plan["campaign"].pk, plan["calls"].pk])).status_code == 403
    moved = client.post(reverse("campaigns:event_move", args=[plan["campaign"].pk, plan["calls"].pk]),
                        {"starts_on": "2026-10-01"})
    assert moved.status_code == 403
    assert CampaignEvent.objects.get(pk=plan["calls"].pk).starts_on == D(2026, 9, 24)
    roi = client.get(reverse("campaigns:roi")).content.decode()
    assert "Autumn expo" in roi and "0.30" in roi


def test_paid_revenue_by_month_is_charted_with_the_months_between_and_the_running_total(client, plan,
                                                                                         reference_data, manager):
    cp = factories.CounterpartyFactory(responsible=manager)
    deal = factories.deal_for(cp, reference_data, source_campaign=plan["campaign"])
    inv = Invoice.objects.create(own_company=reference_data["own_company"], counterparty=cp, deal=deal,
                                 date=D(2026, 9, 25), total=Decimal("500"), responsible=manager)
    for day, amount in ((D(2026, 10, 2), "300"), (D(2026, 12, 5), "150"), (D(2026, 12, 20), "50")):
        pay = Payment.objects.create(counterparty=cp, date=day, amount=Decimal(amount))
        PaymentAllocation.objects.create(payment=pay, invoice=inv, amount=Decimal(amount))
    client.force_login(manager)
    for url, chart_id in ((reverse("campaigns:detail", args=[plan["campaign"].pk]), "chart-campaign-months"),
                          (reverse("campaigns:roi"), "chart-roi-months")):
        chart = chart_block(client.get(url).content.decode(), chart_id)
        assert chart["labels"] == ["Oct 2026", "Nov 2026", "Dec 2026"] and chart["unit"] == "money"
        assert values(chart) == {"Paid in the month": [300, 0, 200], "Paid in total": [300, 300, 500]}


def test_without_payments_there_is_no_chart_and_no_chart_script(client, plan, manager):
    client.force_login(manager)
    page = client.get(reverse("campaigns:detail", args=[plan["campaign"].pk])).content.decode()
    assert "data-chart=" not in page and "chart.umd.min.js" not in page
    assert "No payments for deals of this campaign yet." in page
