"""The filters of the SMS lists (the API's messages and mass sends)."""

from __future__ import annotations

from raccordo.core.filters import FilterSet, uuid_filter

from .models import SmsCampaign, SmsMessage


class SmsMessageFilter(FilterSet):
    """Messages: by client, contact, mass send and status."""

    counterparty = uuid_filter("counterparty")
    contact = uuid_filter("contact")
    campaign = uuid_filter("campaign")

    class Meta:
        model = SmsMessage
        fields = ["status"]


class SmsCampaignFilter(FilterSet):
    """Mass sends: by status."""

    class Meta:
        model = SmsCampaign
        fields = ["status"]
