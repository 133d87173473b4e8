"""The mass e-mail lines of the counterparty card's feed (registered from SegmentsConfig.ready())."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from raccordo.access.policy import visible
from raccordo.activities.feed import FeedItem

from .models import MailingRecipient, RecipientStatus


def mailing_feed_items(*, user, counterparty, before=None, limit: int = 20) -> list[FeedItem]:
    """The mass e-mails that went to (or bounced from) the client, newest first: one query."""
    qs = (visible(MailingRecipient.objects.filter(counterparty=counterparty, sent_at__isnull=False,
                                                  status__in=(RecipientStatus.SENT, RecipientStatus.BOUNCED)), user)
          .select_related("mailing__created_by").order_by("-sent_at", "-id"))
    if before is not None:
        qs = qs.filter(sent_at__lt=before)
    items = []
    for r in qs[:limit]:
        detail = f"{r.address} · {r.get_status_display()}" + (f" · {r.error}" if r.error else "")
        items.append(FeedItem(kind="email", at=r.sent_at, title=_("Mass e-mail: %(name)s") % {"name": r.mailing.name},
                              detail=detail, author=r.mailing.created_by,
                              url=reverse("segments:mailing_detail", args=[r.mailing_id])))
    return items
