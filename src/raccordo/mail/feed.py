"""Mail on the counterparty card's activity feed: one line per message the reader may read.

Registered from MailConfig.ready(). The messages come through the policy (mail.selectors), so a colleague's
personal mail never shows on the card to anyone else, and a shared mailbox's only to its department. One query
a page, whatever the number of messages.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from raccordo.activities.feed import FeedItem

from .models import MailDirection
from .selectors import message_list


def mail_feed_source(*, user, counterparty, before=None, limit: int = 20) -> list[FeedItem]:
    """The client's e-mails `user` may read, newest first, older than `before`."""
    messages = message_list(user=user, counterparty=counterparty).select_related(None).select_related(
        "mailbox", "contact")
    if before is not None:
        messages = messages.filter(sent_at__lt=before)
    items = []
    for m in messages.defer("body_text", "body_html", "references")[:limit]:
        if m.direction == MailDirection.OUTBOUND:
            who = ", ".join(a.get("address", "") for a in (m.to_addresses or [])[:3])
            detail = _("E-mail sent to %(who)s") % {"who": who or "—"}
        else:
            who = str(m.contact) if m.contact_id else (m.from_name or m.from_address or "—")
            detail = _("E-mail from %(who)s") % {"who": who}
        detail += " · " + m.mailbox.name
        items.append(FeedItem(kind="email", at=m.sent_at, title=m.subject or _("(no subject)"),
                              detail=detail + ("\n" + m.snippet if m.snippet else ""),
                              url=reverse("mail:mail_message", args=[m.pk])))
    return items
