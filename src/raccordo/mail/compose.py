"""What the composer offers before anything is sent: the mailboxes to send from, the card's addresses, a filled
template, and the draft of a reply (recipients, "Re:" subject, the quoted text).

Reads only, each narrowed by the access policy; sending is mail.sending's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import may_send_from, visible
from raccordo.comms.models import Channel, MessageTemplate
from raccordo.comms.rendering import client_language, render, template_context
from raccordo.parties.models import Email

from .models import Mailbox, MailMessage
from .sending import reply_recipients
from .subjects import reply_subject

# The quoted original of a reply is cut here: a long thread quoted in full each time grows without end.
QUOTE_MAX_CHARS = 20_000


@dataclass
class Draft:
    """A message as the composer opens it."""

    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""


@dataclass(frozen=True)
class CardAddress:
    """An e-mail of the client's card as the composer offers it: the address and whose it is."""

    address: str
    owner: str
    is_primary: bool


def sender_mailboxes(user) -> list[Mailbox]:
    """The mailboxes `user` may send from: their own first, then the company ones shared with them."""
    boxes = visible(Mailbox.objects.filter(is_active=True).exclude(smtp_host=""), user).order_by("name")
    allowed = [box for box in boxes if may_send_from(user, box)]
    return sorted(allowed, key=lambda box: (box.owner_id != user.pk, box.name.lower()))


def card_addresses(user, counterparty) -> list[CardAddress]:
    """The e-mails on the client's card (its own and its contacts'), as far as `user` may see them."""
    if counterparty is None:
        return []
    rows = visible(Email.objects.filter(counterparty=counterparty), user).select_related("contact")
    found = [CardAddress(address=row.address, owner=str(row.contact) if row.contact_id else counterparty.name,
                         is_primary=row.is_primary) for row in rows]
    return sorted(found, key=lambda a: (not a.is_primary, a.owner != counterparty.name, a.owner, a.address))


def email_templates():
    """The active e-mail templates a manager may start from."""
    return MessageTemplate.objects.filter(channel=Channel.EMAIL, is_active=True).order_by("name", "language")


def template_draft(template: MessageTemplate, *, user, counterparty=None, contact=None, deal=None, invoice=None
                   ) -> Draft:
    """`template` filled for these records in the client's language (subject and text, editable afterwards)."""
    counterparty = counterparty or getattr(deal, "counterparty", None) or getattr(invoice, "counterparty", None)
    language = client_language(counterparty)
    rendered = render(template, template_context(counterparty=counterparty, contact=contact, deal=deal,
                                                 invoice=invoice, user=user, language=language), language=language)
    return Draft(subject=rendered.subject, body=rendered.body)


def quoted(message: MailMessage) -> str:
    """The original under a reply: "On <date>, <sender> wrote:" and its text, each line behind "> "."""
    when = formats.date_format(timezone.localtime(message.sent_at), "SHORT_DATETIME_FORMAT")
    sender = f"{message.from_name} <{message.from_address}>" if message.from_name else message.from_address
    text = (message.body_text or message.snippet or "")[:QUOTE_MAX_CHARS]
    lines = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return _("On %(date)s, %(sender)s wrote:") % {"date": when, "sender": sender} + "\n" + lines


def reply_draft(message: MailMessage, *, mailbox: Mailbox, reply_all: bool = False) -> Draft:
    """A reply to `message`: to its sender (everyone with `reply_all`), "Re:" subject, the original quoted."""
    to, cc = reply_recipients(message, mailbox=mailbox, reply_all=reply_all)
    return Draft(to=to, cc=cc, subject=reply_subject(message.subject), body="\n\n" + quoted(message))


def reply_mailbox(user, message: MailMessage) -> Mailbox | None:
    """The mailbox a reply goes from: the message's own when `user` may send from it, else None."""
    return message.mailbox if may_send_from(user, message.mailbox) else None
