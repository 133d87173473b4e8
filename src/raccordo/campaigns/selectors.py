"""Reads of the campaigns app, each through the access policy; ROI is summed in the database.

ROI = paid revenue of a campaign's attributed deals / the campaign's actual cost. Paid revenue is what accounting
says was paid: the amounts of payments (not reversed) allocated to invoices of deals whose source is the campaign.
Allocations are read through `visible`, so a manager's figures are the part their own clients paid.
Costs are in the installation's currency (DEFAULT_CURRENCY), so only payments in that currency count; payments
in other currencies are summed apart (`paid_in_other_currencies`) and the pages say they were left out, rather
than adding euros to roubles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound
from raccordo.core.money import default_currency
from raccordo.sales.models import ZERO, PaymentAllocation

from .models import Campaign, CampaignEvent, CampaignTouch, Channel, WebForm

MONEY = DecimalField(max_digits=18, decimal_places=2)


def campaign_list(*, user, channel: str = "") -> QuerySet[Campaign]:
    """The campaigns `user` may see, newest first."""
    qs = visible(Campaign.objects.select_related("owner"), user)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("-starts_on", "name", "id")


def campaign_get(*, user, pk) -> Campaign:
    """One campaign, or NotFound."""
    found = campaign_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("Campaign not found.")
    return found


def campaign_events(*, user, campaign: Campaign) -> list[CampaignEvent]:
    """A campaign's events in date order, each with the ids of the events it waits for."""
    qs = visible(CampaignEvent.objects.filter(campaign=campaign).select_related("owner"), user)
    return list(qs.prefetch_related("depends_on").order_by("starts_on", "name", "id"))


def touches_of(*, user, counterparty) -> QuerySet[CampaignTouch]:
    """A client's touches, oldest first: the first is its first touch, the last its last."""
    return visible(CampaignTouch.objects.filter(counterparty=counterparty).select_related("campaign"),
                   user).order_by("at", "id")


def web_form_list(*, user) -> QuerySet[WebForm]:
    """The web forms (administrators')."""
    return visible(WebForm.objects.select_related("campaign", "assignee", "department"), user).order_by("name")


def paid_allocations(*, user, currency: str | None = None) -> QuerySet[PaymentAllocation]:
    """The allocations of payments still standing to invoices of attributed deals, as `user` may see them, in
    `currency` (the installation's by default; "*" for every currency)."""
    qs = PaymentAllocation.objects.filter(payment__reversed_at__isnull=True,
                                          invoice__deal__source_campaign__isnull=False)
    if currency != "*":
        qs = qs.filter(payment__currency=currency or default_currency())
    return visible(qs, user)


def paid_in_other_currencies(*, user, campaign: Campaign | None = None) -> list[tuple[str, Decimal]]:
    """(currency, amount) of attributed payments not in the installation's currency, left out of ROI."""
    qs = paid_allocations(user=user, currency="*").exclude(payment__currency=default_currency())
    if campaign is not None:
        qs = qs.filter(invoice__deal__source_campaign=campaign)
    rows = qs.values("payment__currency").annotate(paid=Sum("amount")).order_by("payment__currency")
    return [(row["payment__currency"], row["paid"]) for row in rows]


@dataclass(frozen=True)
class Roi:
    """One line of an ROI table: what was spent, what came back paid, and their ratio (None when nothing spent)."""

    key: str
    label: str
    cost: Decimal
    revenue: Decimal

    @property
    def roi(self) -> Decimal | None:
        if not self.cost:
            return None
        return (self.revenue / self.cost).quantize(Decimal("0.01"))


def _paid_by(user, key: str) -> dict:
    rows = (paid_allocations(user=user).values(key)
            .annotate(paid=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)).order_by())
    return {row[key]: row["paid"] for row in rows}


def roi_by_campaign(*, user, campaigns: QuerySet[Campaign] | None = None) -> list[Roi]:
    """ROI of each campaign `user` sees (or of `campaigns`), revenue narrowed to the payments they see."""
    campaigns = campaign_list(user=user) if campaigns is None else campaigns
    paid = _paid_by(user, "invoice__deal__source_campaign")
    return [Roi(str(c.pk), c.name, c.actual_cost, paid.get(c.pk, ZERO)) for c in campaigns]


def roi_by_channel(*, user) -> list[Roi]:
    """ROI per channel: all its campaigns' paid revenue over all their costs."""
    costs = dict(campaign_list(user=user).values("channel").annotate(cost=Sum("actual_cost")).order_by()
                 .values_list("channel", "cost"))
    paid = _paid_by(user, "invoice__deal__source_campaign__channel")
    return [Roi(value, str(label), costs.get(value) or ZERO, paid.get(value, ZERO))
            for value, label in Channel.choices if value in costs or value in paid]


def roi_by_month(*, user, campaign: Campaign | None = None) -> list[tuple[date, Decimal, Decimal]]:
    """(month, revenue paid that month, cumulative revenue) of one campaign or of all, by payment date."""
    qs = paid_allocations(user=user)
    if campaign is not None:
        qs = qs.filter(invoice__deal__source_campaign=campaign)
    rows = (qs.annotate(month=TruncMonth("payment__date")).values("month")
            .annotate(paid=Sum("amount")).order_by("month"))
    result, running = [], ZERO
    for row in rows:
        running += row["paid"]
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        result.append((month, row["paid"], running))
    return result
