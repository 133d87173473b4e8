"""What the card's SMS composer offers: the client's numbers (mobile first, with their opt-outs) and the SMS
templates, and a template's text filled for this client in the client's language."""

from __future__ import annotations

from dataclasses import dataclass

from raccordo.access.policy import visible
from raccordo.comms.models import Channel, MessageTemplate
from raccordo.comms.rendering import client_language, render, template_context
from raccordo.core.phones import format_phone
from raccordo.parties.models import Phone, PhoneKind

from .selectors import sms_opted_out_numbers


@dataclass(frozen=True)
class CardNumber:
    """A number of the card a text can go to."""

    number: str
    label: str
    contact_id: object
    mobile: bool
    opted_out: bool


def card_numbers(*, user, counterparty) -> list[CardNumber]:
    """The client's and its contacts' phones (not faxes) the user sees, mobile ones first."""
    phones = (visible(Phone.objects.filter(counterparty=counterparty).exclude(kind=PhoneKind.FAX), user)
              .select_related("contact").order_by("-is_primary", "number"))
    phones = sorted(phones, key=lambda p: p.kind != PhoneKind.MOBILE)
    refused = sms_opted_out_numbers(user=user, numbers=[p.number for p in phones])
    found, seen = [], set()
    for phone in phones:
        if phone.number in seen:
            continue
        seen.add(phone.number)
        who = str(phone.contact) if phone.contact_id else str(phone.get_kind_display())
        found.append(CardNumber(number=phone.number, label=f"{format_phone(phone.number)} · {who}",
                                contact_id=phone.contact_id, mobile=phone.kind == PhoneKind.MOBILE,
                                opted_out=phone.number in refused))
    return found


def sms_templates(*, user):
    """The active SMS templates (shared reference data), by name."""
    return visible(MessageTemplate.objects.filter(channel=Channel.SMS, is_active=True), user).order_by("name",
                                                                                                       "language")


def filled_template(*, user, template, counterparty, contact=None) -> str:
    """A template's text for this client, in the client's language, with the sender as the manager."""
    language = client_language(counterparty)
    context = template_context(counterparty=counterparty, contact=contact, user=user, language=language)
    return render(template, context, language=language).body
