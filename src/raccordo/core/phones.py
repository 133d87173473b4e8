"""Phone numbers normalised to E.164 with phonenumbers, so the same number matches in any format."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = getattr(settings, "PHONE_DEFAULT_REGION", "RU")


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return the E.164 form of `raw` or raise ValidationError saying why it is not a phone number."""
    text = (raw or "").strip()
    try:
        parsed = phonenumbers.parse(text, region or DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("“%(value)s” is not a phone number."), code="phone.malformed",
                              params={"value": text}) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(_("“%(value)s” is not a valid phone number."), code="phone.invalid",
                              params={"value": text})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def phone_search_key(raw: str) -> str | None:
    """Best-effort E.164 for searching: a partial or odd number returns None instead of raising."""
    try:
        return normalize_phone(raw)
    except ValidationError:
        return None
