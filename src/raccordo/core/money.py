"""Money is a Decimal plus an ISO 4217 currency code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from babel.numbers import format_currency, list_currencies
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
_CURRENCIES = frozenset(list_currencies())


def default_currency() -> str:
    """The installation's currency (settings.DEFAULT_CURRENCY), read at call time: the default of every money
    field and form, so an installation with DEFAULT_CURRENCY=EUR starts its documents in euros."""
    return settings.DEFAULT_CURRENCY


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


# Every amount is stored as DECIMAL(18, 2): up to 16 digits before the point.
MONEY_MAX_DIGITS = 18
MONEY_MAX = Decimal(10) ** (MONEY_MAX_DIGITS - 2) - CENT
# Wide enough that products of stored quantities, prices and percentages are exact before rounding.
_WIDE = Context(prec=80)


def round_money(value: Decimal) -> Decimal:
    """Round half up to cents, as accounting does; refuse what cannot be stored as an amount.

    The refusal is a ValidationError (code `money.out_of_range`), so a quantity times a price too large for
    an amount is a message next to the line, not a `decimal.InvalidOperation` and a 500 (finding L5).
    """
    value = Decimal(value)
    if not value.is_finite() or abs(value) > MONEY_MAX + CENT / 2:
        raise ValidationError(_("The amount is too large: at most %(max)s."), code="money.out_of_range",
                              params={"max": f"{MONEY_MAX:,}"})
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=_WIDE)


@contextmanager
def money_arithmetic() -> Iterator[None]:
    """Multiply amounts exactly to 80 digits, so only round_money decides what fits.

    An operand no form would let through (NaN, 1e999999) makes the arithmetic itself fail: that too becomes
    the `money.out_of_range` ValidationError rather than an uncaught `decimal` signal.
    """
    with localcontext(_WIDE):
        try:
            yield
        except ArithmeticError as exc:
            raise ValidationError(_("The amount is too large: at most %(max)s."), code="money.out_of_range",
                                  params={"max": f"{MONEY_MAX:,}"}) from exc


def decimal_from_text(text: str | None, *, max_digits: int, decimal_places: int) -> Decimal | None:
    """A number typed by a person ("1 234,5"): None when empty; ValidationError when not a storable number.

    Uses Django's own DecimalField, which refuses NaN, Infinity and numbers with more digits than the column
    holds (`1e999999`), so what passes here fits the model field it is meant for.
    """

    cleaned = (text or "").strip().replace(" ", "").replace("\xa0", "").replace(",", ".")
    if not cleaned:
        return None
    return forms.DecimalField(max_digits=max_digits, decimal_places=decimal_places).clean(cleaned)


def format_money(value: Decimal | None, currency: str, locale: str = "en") -> str:
    if value is None:
        return ""
    return format_currency(value, currency, locale=locale)
