"""Who is calling: a number as the PBX sends it, normalised with phonenumbers and found among the clients' phones.

The PBX sends numbers in its own habits (`84951234567`, `74951234567`, `+7 495 123-45-67`, `0212345678`); the
parties' phones are stored in E.164 (core.phones) with an index, so the normalised number is looked up exactly.
When that finds nothing, the national significant number (the last 10 digits for Russia) is tried as a suffix,
for numbers stored before normalisation or typed with another country's prefix. The match is the system's
(every phone is searched), and what a person is then shown of it is the policy's (policy.call_party_visible).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.db.models import F

from raccordo.core.phones import DEFAULT_REGION, phone_search_key
from raccordo.parties.models import ContactPerson, Counterparty, Phone

# Shorter numbers are extensions or service numbers: never matched by suffix (too many false hits).
MIN_SUFFIX_DIGITS = 7


@dataclass
class NumberMatch:
    """The outside party of a call: its number in E.164 ("" when it does not parse) and who it belongs to."""

    number: str = ""
    counterparty: Counterparty | None = None
    contact: ContactPerson | None = None


def normalise(raw: str) -> str:
    """The E.164 form of a number as a PBX sends it, or "" (a digits-only Russian 11-digit number starting with 7
    or 8 is read as +7: PBXes in Russia drop the plus)."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return ""
    if not text.startswith("+") and len(digits) == 11 and digits[0] in "78" and DEFAULT_REGION == "RU":
        text = "+7" + digits[1:]
    elif not text.startswith("+") and len(digits) > 10 and not digits.startswith("0"):
        # An international number without its plus (Mango, Zadarma send 79161234567, 390212345678).
        candidate = phone_search_key("+" + digits)
        if candidate:
            return candidate
    return phone_search_key(text) or ""


def _national(e164: str) -> str:
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return ""


def match_number(raw: str) -> NumberMatch:
    """The counterparty and contact person whose phone `raw` is; a phone of a contact person wins over the
    company's switchboard, a primary phone over the others, an active client over an archived one."""
    number = normalise(raw)
    if not number:
        return NumberMatch()
    phones = Phone.objects.select_related("counterparty", "contact", "counterparty__responsible")
    # NULLs sort last on both databases with nulls_last: a contact person's own phone first.
    ordering = ("-counterparty__is_active", F("contact").asc(nulls_last=True), "-is_primary", "created_at")
    found = phones.filter(number=number).order_by(*ordering).first()
    national = _national(number)
    if found is None and len(national) >= MIN_SUFFIX_DIGITS:
        found = phones.filter(number__endswith=national).order_by(*ordering).first()
    if found is None:
        return NumberMatch(number=number)
    return NumberMatch(number=number, counterparty=found.counterparty, contact=found.contact)
