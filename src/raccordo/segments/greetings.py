"""Birthday and holiday greetings: once a day, the comms template keyed "birthday" to each contact person born on
this day, and on a holiday (settings.MAILING_HOLIDAYS, "MM-DD" dates) the template keyed "holiday" to every active
contact person. Both are marketing: an address that unsubscribed is not written to, nor one that bounced.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from raccordo.comms.channels import recipient_address, send_from_template, template_for
from raccordo.comms.models import Channel
from raccordo.core.errors import ApplicationError
from raccordo.parties.models import ContactPerson

from .mailing import bounced_addresses

log = logging.getLogger(__name__)


def holiday_today(today: dt.date) -> bool:
    return today.strftime("%m-%d") in settings.MAILING_HOLIDAYS


def greeting_recipients(today: dt.date, key: str):
    """The active contact persons a greeting goes to today: born today for "birthday", all for "holiday"."""
    contacts = ContactPerson.objects.filter(is_active=True, counterparty__is_active=True,
                                            emails__isnull=False).distinct()
    if key == "birthday":
        contacts = contacts.filter(birthday__month=today.month, birthday__day=today.day)
    return contacts.select_related("counterparty__responsible").order_by("counterparty_id", "id")


def send_greetings(today: dt.date | None = None) -> dict[str, int]:
    """Send today's greetings; how many went per kind. A missing template means that greeting is off."""
    today = today or timezone.localdate()
    sent = {"birthday": 0, "holiday": 0}
    keys = ["birthday"] + (["holiday"] if holiday_today(today) else [])
    for key in keys:
        for contact in greeting_recipients(today, key).iterator(chunk_size=500):
            template = template_for(key, Channel.EMAIL, contact.counterparty)
            if template is None:
                break
            address = recipient_address(Channel.EMAIL, contact.counterparty, contact)
            if address.lower() in bounced_addresses([address.lower()]):
                continue
            try:
                send_from_template(user=None, template=template, counterparty=contact.counterparty,
                                   contact=contact, to=address, marketing=True)
            except ApplicationError as exc:  # unsubscribed, or no address: that contact gets none
                log.info("greeting %s to %s not sent: %s", key, contact.pk, exc)
                continue
            sent[key] += 1
    return sent
