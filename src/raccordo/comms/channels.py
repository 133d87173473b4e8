"""Sending a message to a client on a channel, whoever asks: a manager from a card, a rule, a reminder, a mailing.

Each channel is an app's sender registered here from its AppConfig.ready() (the mail app registers "email" for
a user's own mailbox, the SMS app "sms"), so this module knows no transport. Until an app registers "email",
e-mail goes through the company's mail server (Django's e-mail settings), logged on the client's timeline as the
invoice e-mail is.

    register(channel, sender)             sender(message: Outgoing) -> object (what was logged)
    recipient_address(channel, counterparty, contact) -> the address a message to them goes to
    send_from_template(user=, template=, counterparty=, contact=, deal=, invoice=, to=, attachments=, marketing=)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from raccordo.core.errors import ApplicationError
from raccordo.parties.models import Email, Phone, PhoneKind

from .models import Channel, MessageTemplate, OptOut
from .rendering import client_language, render, template_context
from .services import normalize_address

log = logging.getLogger(__name__)


@dataclass
class Outgoing:
    """One message ready to go: the channel's sender only transports it and logs it."""

    channel: str
    user: object
    to: str
    subject: str
    body: str
    counterparty: object = None
    contact: object = None
    deal: object = None
    invoice: object = None
    template: object = None
    # (filename, content bytes, MIME type)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


SENDERS: dict[str, Callable[[Outgoing], object]] = {}


def register(channel: str, sender: Callable[[Outgoing], object]) -> None:
    """Make `sender` the transport of `channel` (the last registration wins: an app replaces the default)."""
    SENDERS[channel] = sender


def _company_mail(message: Outgoing):
    """The default e-mail transport: the company's mail server, logged on the client's timeline."""
    # Inside: activities' reminders send through this module, so a top-level import would be a circle.
    from raccordo.activities.services import interaction_log

    email = EmailMessage(subject=message.subject, body=message.body, to=[message.to])
    for name, content, mimetype in message.attachments:
        email.attach(name, content, mimetype)
    email.send(fail_silently=False)
    if message.counterparty is None:
        return None
    return interaction_log(user=message.user, data={
        "kind": "email", "direction": "out", "counterparty": message.counterparty, "contact": message.contact,
        "deal": message.deal, "subject": message.subject[:255], "outcome": message.to, "body": message.body})


register(Channel.EMAIL, _company_mail)


def recipient_address(channel: str, counterparty, contact=None) -> str:
    """The address a message on `channel` to this contact (or else the client) goes to: the primary one first;
    for SMS a mobile number first. Empty when the card has none."""
    owners = [{"contact": contact}] if contact is not None else []
    owners.append({"counterparty": counterparty, "contact__isnull": True})
    owners.append({"counterparty": counterparty})
    for owner in owners:
        if channel == Channel.EMAIL:
            found = Email.objects.filter(**owner).order_by("-is_primary", "address").values_list("address", flat=True)
        else:
            found = (Phone.objects.filter(**owner).exclude(kind=PhoneKind.FAX)
                     .order_by("-is_primary").values_list("kind", "number"))
            mobiles = [n for k, n in found if k == PhoneKind.MOBILE]
            found = mobiles or [n for _k, n in found]
        for address in found:
            return address
    return ""


def opted_out(channel: str, address: str) -> bool:
    """Has `address` asked for no more messages on `channel`?"""
    try:
        address = normalize_address(channel, address)
    except ValidationError:  # not a number at all: nobody could have opted out under it
        return False
    return bool(address) and OptOut.objects.filter(channel=channel, address=address).exists()


def send_from_template(*, user, template, counterparty=None, contact=None, deal=None, invoice=None, to: str = "",
                       attachments=(), marketing: bool = False):
    """Fill `template` for these records in the client's language and send it on the template's channel.

    `to` defaults to the card's address (recipient_address). A marketing message (a mailing, a rule's
    greeting) is not sent to an address that opted out; a manager's own message is. Returns what the channel
    logged. Raises ApplicationError (code comms.no_address / comms.opted_out / comms.no_channel) with a sentence.
    """
    counterparty = counterparty or getattr(deal, "counterparty", None) or getattr(invoice, "counterparty", None)
    channel = template.channel
    address = (to or recipient_address(channel, counterparty, contact)).strip()
    if not address:
        raise ApplicationError(_("%(client)s has no address for %(channel)s on the card.") % {
            "client": counterparty or _("The client"), "channel": template.get_channel_display()},
            code="comms.no_address")
    if marketing and opted_out(channel, address):
        raise ApplicationError(_("%(address)s asked for no more messages.") % {"address": address},
                               code="comms.opted_out")
    sender = SENDERS.get(channel)
    if sender is None:
        raise ApplicationError(_("%(channel)s is not set up: ask your administrator.") % {
            "channel": template.get_channel_display()}, code="comms.no_channel")
    language = client_language(counterparty)
    rendered = render(template, template_context(counterparty=counterparty, contact=contact, deal=deal,
                                                 invoice=invoice, user=user, language=language),
                      language=language)
    return sender(Outgoing(channel=channel, user=user, to=address, subject=rendered.subject, body=rendered.body,
                           counterparty=counterparty, contact=contact, deal=deal, invoice=invoice,
                           template=template, attachments=list(attachments)))


def template_for(key: str, channel: str, counterparty=None):
    """The active template Raccordo uses for `key` on `channel`, in the client's language when one exists."""
    language = client_language(counterparty)
    found = {t.language: t for t in MessageTemplate.objects.filter(key=key, channel=channel, is_active=True)}
    return found.get(language) or found.get("")
