"""The SMS lines of the counterparty card's feed (registered with activities.feed from SmsConfig.ready())."""

from __future__ import annotations

from django.utils.translation import gettext as _

from raccordo.activities.feed import FeedItem
from raccordo.core.phones import format_phone

from .selectors import sms_list


def sms_feed_items(*, user, counterparty, before=None, limit: int = 20) -> list[FeedItem]:
    """The client's messages `user` may see, newest first: one query."""
    qs = sms_list(user=user, counterparty=counterparty)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    items = []
    for message in qs[:limit]:
        detail = f"{format_phone(message.to)} · {message.get_status_display()}"
        if message.error:
            detail += f" · {message.error}"
        items.append(FeedItem(kind="sms", at=message.created_at, title=_("SMS: %(text)s") % {"text": message.text},
                              detail=detail, author=message.sent_by))
    return items
