"""Money is a Decimal plus an ISO 4217 currency code."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency, get_currency_name, list_currencies
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
_CURRENCIES = frozenset(list_currencies())


def is_currency(code: str) -> bool:
    return code in _CURRENCIES


def validate_currency(code: str) -> None:
    """Reject anything that is not an ISO 4217 code known to CLDR."""
    if not code or code.upper() != code or not is_currency(code):
        raise ValidationError(
            _("“%(code)s” is not an ISO 4217 currency code (for example RUB, EUR, USD)."),
            code="currency.unknown",
            params={"code": code},
        )


# How accounting systems write currencies when they do not use the ISO code (1C often writes "руб").
_CURRENCY_ALIASES = {
    "РУБ": "RUB", "РУБ.": "RUB", "RUR": "RUB", "РУБЛЬ": "RUB", "643": "RUB", "₽": "RUB",
    "EUR.": "EUR", "ЕВРО": "EUR", "978": "EUR", "€": "EUR",
    "USD.": "USD", "ДОЛЛ": "USD", "ДОЛЛ.": "USD", "840": "USD", "$": "USD",
    "KZT.": "KZT", "ТЕНГЕ": "KZT", "398": "KZT", "BYN.": "BYN", "933": "BYN",
}


def normalize_currency(raw: str | None, default: str | None = None) -> str | None:
    """An ISO 4217 code for what a peer wrote ("руб", "643", "eur"); None if it means nothing known."""
    text = (raw or "").strip().upper()
    if not text:
        return default
    text = _CURRENCY_ALIASES.get(text, text)
    return text if is_currency(text) else None


def round_money(value: Decimal) -> Decimal:
    """Round half up to cents, as accounting does."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def currency_choices(locale: str = "en") -> list[tuple[str, str]]:
    common = ["RUB", "EUR", "USD", "KZT", "BYN", "UZS", "CNY", "GBP", "CHF", "TRY", "AMD", "GEL", "KGS"]
    return [(c, f"{c} — {get_currency_name(c, locale=locale)}") for c in common]


def format_money(value: Decimal | None, currency: str, locale: str = "en") -> str:
    if value is None:
        return ""
    return format_currency(value, currency, locale=locale)
