"""The campaign touches on the counterparty card's feed (registered with activities.feed from CampaignsConfig.ready())."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from raccordo.activities.feed import FeedItem

from .selectors import touches_of


def touch_feed_items(*, user, counterparty, before=None, limit: int = 20) -> list[FeedItem]:
    """The client's touches with campaigns `user` may see, newest first: one query."""
    qs = touches_of(user=user, counterparty=counterparty).order_by("-at", "-id")
    if before is not None:
        qs = qs.filter(at__lt=before)
    items = []
    for touch in qs[:limit]:
        utm = " · ".join(v for v in (touch.utm_source, touch.utm_medium, touch.utm_campaign) if v)
        items.append(FeedItem(kind="campaign", at=touch.at,
                              title=_("Campaign touch: %(name)s") % {"name": touch.campaign.name}, detail=utm,
                              url=reverse("campaigns:detail", args=[touch.campaign_id])))
    return items
