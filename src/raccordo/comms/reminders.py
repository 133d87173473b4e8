"""A payment reminder to the client, by e-mail or SMS: the shipped `invoice_reminder` template of the chosen
channel, filled for the invoice in the client's language and sent through comms.channels like every message."""

from __future__ import annotations

from django.utils.translation import gettext as _

from raccordo.access.policy import require
from raccordo.core.errors import ApplicationError
from raccordo.sales.models import InvoiceStatus

from .channels import send_from_template, template_for
from .models import Channel

REMINDER_KEY = "invoice_reminder"
# An invoice the client still owes: issued, or paid in part.
OWED = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID)


def invoice_reminder_send(*, user, invoice, channel: str = Channel.EMAIL, to: str = ""):
    """Remind the client of an unpaid invoice on `channel` ("email" or "sms"); returns what the channel logged.

    Refused (ApplicationError with a sentence) for an invoice that is not owed, a channel without an active
    `invoice_reminder` template, or a card without an address on that channel."""
    require(user, "view", invoice)
    if channel not in Channel.values:
        raise ApplicationError(_("Unknown channel “%(channel)s”.") % {"channel": channel}, code="comms.channel")
    if invoice.status not in OWED or not invoice.outstanding:
        raise ApplicationError(_("Invoice %(number)s is not owed: nothing to remind of.") % {
            "number": invoice.number or "—"}, code="comms.reminder.not_owed")
    template = template_for(REMINDER_KEY, channel, invoice.counterparty)
    if template is None:
        raise ApplicationError(_("There is no active payment reminder template for %(channel)s.") % {
            "channel": Channel(channel).label}, code="comms.reminder.no_template")
    return send_from_template(user=user, template=template, counterparty=invoice.counterparty, invoice=invoice,
                              to=to)
