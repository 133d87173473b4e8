"""The "email" channel of comms through the sender's own mailbox.

comms.send_from_template (a manager's template, a rule, a reminder) hands its message to the channel registered
for e-mail. Registered from the mail app's ready(), this sender writes from the user's own active mailbox when
they have one that can send (the message is then stored in that mailbox, threaded and copied to Sent, as mail
written in the composer is), and otherwise hands the message to the transport registered before it: the company
mail server, logged on the client's timeline.
"""

from __future__ import annotations

from raccordo.comms import channels
from raccordo.comms.models import Channel

from .models import Mailbox
from .sending import send_mail_message


def own_mailbox(user) -> Mailbox | None:
    """The user's own active mailbox that can send (the oldest, when they connected several)."""
    if user is None or not getattr(user, "pk", None):
        return None
    return (Mailbox.objects.filter(owner=user, is_active=True).exclude(smtp_host="")
            .order_by("created_at").first())


def register_email_channel() -> None:
    """Make e-mail go through the user's own mailbox, falling back to the transport registered so far."""
    fallback = channels.SENDERS.get(Channel.EMAIL)
    if getattr(fallback, "through_mailbox", False):
        return  # registered already (ready() may run twice in tests); keep the original fallback

    def send(message: channels.Outgoing):
        mailbox = own_mailbox(message.user)
        if mailbox is None:
            if fallback is None:
                raise LookupError("no e-mail transport")
            return fallback(message)
        return send_mail_message(user=message.user, mailbox=mailbox, to=[message.to], subject=message.subject,
                                 body=message.body, attachments=message.attachments,
                                 counterparty=message.counterparty, contact=message.contact, deal=message.deal,
                                 invoice=message.invoice).message

    send.through_mailbox = True  # type: ignore[attr-defined]
    channels.register(Channel.EMAIL, send)
