"""Amounts in words as documents print them, in Russian accounting style and in Italian.

Russian accounting style spells the roubles and writes the kopecks as two digits with the word agreeing with
them, capitalised and without a comma: "Одна тысяча двести рублей 50 копеек". num2words gives exactly that with
`cents=False` except for the comma after the roubles. Italian (and any other language) is the invoice PDF's
wrapper (`sales.printing.amount_in_words`), which also covers a currency num2words cannot name in a language.
"""

from __future__ import annotations

from decimal import Decimal

from num2words import num2words

from raccordo.sales.printing import amount_in_words as spelled_amount


def amount_in_words(amount: Decimal, currency: str, language: str) -> str:
    """The amount in words for a printed document in `language` ("ru", "it")."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if language == "ru":
        try:
            text = num2words(amount, to="currency", lang="ru", currency=currency, cents=False)
        except (NotImplementedError, KeyError, ValueError):
            return spelled_amount(amount, currency, language)
        # "… рублей, 50 копеек" -> "… рублей 50 копеек": the one comma num2words puts between the two parts.
        head, sep, tail = text.rpartition(", ")
        text = f"{head} {tail}" if sep else text
        return text[:1].upper() + text[1:]
    return spelled_amount(amount, currency, language)
