"""Document lines shared by deals and invoices: the typed input, pricing with validation, replacing them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..pricing import document_totals, line_totals

ZERO = Decimal("0")


@dataclass
class LineInput:
    """One line as the UI, API or exchange gives it, before it is priced and saved."""

    description: str = ""
    quantity: Decimal = Decimal("1")
    price: Decimal = ZERO
    product: Any = None
    unit: Any = None
    discount_percent: Decimal = ZERO
    vat_rate: Decimal | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_line(cls, line) -> LineInput:
        """The input that would make `line` (a saved deal or invoice line) again."""
        return cls(description=line.description, quantity=line.quantity, price=line.price, product=line.product,
                   unit=line.unit, discount_percent=line.discount_percent, vat_rate=line.vat_rate)


def combined_discount(line_percent: Decimal, document_percent: Decimal) -> Decimal:
    """A document discount applies on top of each line's own: 10 % then 5 % is 14.5 %."""
    hundred = Decimal("100")
    return hundred - (hundred - line_percent) * (hundred - document_percent) / hundred


def _line_errors(position: int, field_name: str, messages) -> list[str]:
    return [_("Line %(n)s, %(field)s: %(msg)s") % {"n": position, "field": field_name, "msg": m} for m in messages]


def build_lines(model, parent_field: str, parent, lines: list[LineInput], vat_included: bool,
                document_discount: Decimal = ZERO) -> list:
    """Price and validate lines; every line's errors are reported with its number.

    Returns (unsaved line, its totals) pairs; raises ValidationError({"lines": [...]}) listing every bad line.
    """
    built, errors = [], []
    for position, line in enumerate(lines, start=1):
        description = line.description or (line.product.name if line.product is not None else "")
        vat_rate = line.vat_rate
        if vat_rate is None and line.product is not None:
            vat_rate = line.product.vat_rate
        unit = line.unit or (line.product.unit if line.product is not None else None)
        obj = model(**{parent_field: parent}, product=line.product, description=description,
                    quantity=line.quantity, unit=unit, price=line.price,
                    discount_percent=line.discount_percent, vat_rate=vat_rate, position=position)
        try:
            obj.full_clean(exclude=[parent_field, "amount", "vat_amount"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.extend(_line_errors(position, name if name != "__all__" else "", messages))
            continue
        try:
            totals = line_totals(quantity=obj.quantity, price=obj.price,
                                 discount_percent=combined_discount(obj.discount_percent,
                                                                    Decimal(document_discount or 0)),
                                 vat_rate=obj.vat_rate, vat_included=vat_included)
        except ValidationError as exc:   # quantity x price beyond what an amount holds
            errors.extend(_line_errors(position, "amount", exc.messages))
            continue
        obj.amount, obj.vat_amount = totals.amount, totals.vat
        built.append((obj, totals))
    if not errors:
        try:
            document_totals([t for _o, t in built])   # each line fits, but their sum must fit too
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"lines": errors})
    return built


def replace_lines(model, parent_field: str, parent, built: list) -> None:
    """Make `built` (from `build_lines`) the only lines of `parent`."""
    model.objects.filter(**{parent_field: parent}).delete()
    model.objects.bulk_create([obj for obj, _totals in built])


def line_summary(line) -> str:
    """One line as the journal shows it: what, how many, at what price, discount and amount."""
    return f"{line.description} × {line.quantity} @ {line.price} -{line.discount_percent}% = {line.amount}"
