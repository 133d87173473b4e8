"""Reads of the SMS app, each through the access policy."""

from __future__ import annotations

from django.db.models import QuerySet

from raccordo.access.policy import visible
from raccordo.comms.models import Channel, OptOut
from raccordo.core.errors import NotFound

from .models import SmsCampaign, SmsMessage


def sms_list(*, user, counterparty=None, campaign=None, status: str = "") -> QuerySet[SmsMessage]:
    """The messages `user` may see, newest first; of one client or one mass send when given."""
    qs = visible(SmsMessage.objects.select_related("counterparty", "sent_by", "contact"), user)
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def sms_get(*, user, pk) -> SmsMessage:
    """One message, or NotFound when it does not exist or `user` may not see it."""
    found = sms_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("Message not found.")
    return found


def campaign_list(*, user) -> QuerySet[SmsCampaign]:
    """The mass sends `user` may see (their own, their team's for heads, all for administrators)."""
    return visible(SmsCampaign.objects.select_related("created_by"), user).order_by("-created_at", "-id")


def campaign_get(*, user, pk) -> SmsCampaign:
    """One mass send, or NotFound."""
    found = campaign_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("Mass SMS not found.")
    return found


def sms_opted_out_numbers(*, user, numbers) -> set[str]:
    """Which of these numbers asked for no more SMS (the card shows it next to the number)."""
    numbers = [n for n in numbers if n]
    if not numbers:
        return set()
    # Opt-outs are kept by number, across clients: the card asks only about the numbers it shows.
    return set(OptOut.objects.filter(channel=Channel.SMS, address__in=numbers).values_list("address", flat=True))
