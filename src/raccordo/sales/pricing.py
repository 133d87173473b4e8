"""Money arithmetic of deal and invoice lines: discount, VAT included or on top, rounding per line.

Pure functions, so they can be property-tested and reused by the UI's live totals and the exchange.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from raccordo.core.money import money_arithmetic, round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class LineTotals:
    amount: Decimal      # what the line costs the buyer (with VAT when prices include it, else without)
    vat: Decimal         # the VAT in (or on top of) the line
    net: Decimal         # without VAT
    gross: Decimal       # with VAT


def line_totals(*, quantity: Decimal, price: Decimal, discount_percent: Decimal = ZERO,
                vat_rate: Decimal | None = None, vat_included: bool = True) -> LineTotals:
    """Totals of one line, each rounded to cents the way Russian and Italian accounting does.

    Raises ValidationError (`money.out_of_range`) when the line's amount cannot be stored.
    """
    with money_arithmetic():
        amount = round_money(Decimal(quantity) * Decimal(price) * (HUNDRED - Decimal(discount_percent)) / HUNDRED)
        rate = Decimal(vat_rate) if vat_rate is not None else ZERO
        if vat_included:
            vat = round_money(amount * rate / (HUNDRED + rate))
            return LineTotals(amount=amount, vat=vat, net=amount - vat, gross=amount)
        vat = round_money(amount * rate / HUNDRED)
        return LineTotals(amount=amount, vat=vat, net=amount, gross=round_money(amount + vat))


@dataclass(frozen=True)
class DocumentTotals:
    subtotal: Decimal   # without VAT
    vat: Decimal
    total: Decimal      # with VAT: what is to be paid


def document_totals(lines: list[LineTotals]) -> DocumentTotals:
    """A document's totals are the sums of its rounded lines, so printed lines always add up.

    Raises ValidationError (`money.out_of_range`) when a total cannot be stored.
    """
    with money_arithmetic():
        net = round_money(sum((line.net for line in lines), ZERO))
        vat = round_money(sum((line.vat for line in lines), ZERO))
        return DocumentTotals(subtotal=net, vat=vat, total=round_money(net + vat))
