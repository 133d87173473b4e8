"""Write services for payments: record money received and allocate it to invoices.

What no invoice takes stays on the payment as an overpayment; it is never pushed onto an invoice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.records import record_create

from ..filters import OPEN_INVOICE_STATUSES
from ..models import Invoice, Payment, PaymentAllocation
from .invoices import refresh_paid_status
from .lines import ZERO

PAYMENT_FIELDS = ("counterparty", "date", "amount", "currency", "number", "comment")


def _oldest_open_first(payment: Payment) -> list[tuple[Invoice, Decimal]]:
    """Spread a payment over its counterparty's open invoices in its currency, oldest first (locked)."""
    open_invoices = (Invoice.objects.select_for_update()
                     .filter(counterparty=payment.counterparty, currency=payment.currency,
                             status__in=OPEN_INVOICE_STATUSES)
                     .order_by("date", "number"))
    remaining, allocations = payment.amount, []
    for invoice in open_invoices:
        if remaining <= ZERO:
            break
        share = min(remaining, invoice.outstanding)
        if share > ZERO:
            allocations.append((invoice, share))
            remaining -= share
    return allocations


def _check_allocation(payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    """Refuse an allocation to an invoice in another currency, not awaiting payment, or owed less."""
    if invoice.currency != payment.currency:
        raise ValidationError({"allocations": [_("Invoice %(n)s is in %(c)s, the payment in %(p)s.")
                                               % {"n": invoice.number, "c": invoice.currency, "p": payment.currency}]})
    if invoice.status not in OPEN_INVOICE_STATUSES:
        raise ValidationError({"allocations": [_("Invoice %(n)s is not awaiting payment.") % {"n": invoice.number}]})
    if amount > invoice.outstanding:
        # The rest of the payment stays unallocated (an overpayment), it is never pushed onto an invoice.
        raise ValidationError({"allocations": [_("Invoice %(n)s is owed %(owed)s; %(amount)s cannot be allocated "
                                                 "to it.") % {"n": invoice.number, "owed": invoice.outstanding,
                                                              "amount": amount}]})


@transaction.atomic
def payment_record(*, user, data: dict[str, Any], allocations: list[tuple[Invoice, Decimal]] | None = None,
                   auto_allocate: bool = True) -> Payment:
    """Record money received; allocate it to the given invoices, or to the oldest open ones.

    What is not allocated stays on the payment as an overpayment: it is never lost.
    """
    payment = record_create(Payment, user=user, data=data, fields=PAYMENT_FIELDS)
    # Invoices spread automatically are loaded locked already; the ones a caller names are loaded (locked)
    # once here, since the caller's copies may be stale.
    locked = allocations is None and auto_allocate
    if locked:
        allocations = _oldest_open_first(payment)
    for invoice, amount in allocations or []:
        if invoice.counterparty_id != payment.counterparty_id:
            raise ValidationError({"allocations": [_("Invoice %(n)s belongs to another counterparty.")
                                                   % {"n": invoice.number}]})
        fresh = invoice if locked else Invoice.objects.select_for_update().get(pk=invoice.pk)
        _check_allocation(payment, fresh, amount)
        record_create(PaymentAllocation, user=user, data={"payment": payment, "invoice": fresh, "amount": amount},
                      fields=("payment", "invoice", "amount"))
        refresh_paid_status(fresh, user=user)
    total_allocated = sum((a for _i, a in allocations or []), ZERO)
    if total_allocated > payment.amount:
        raise ValidationError({"allocations": [_("More is allocated than the payment brings.")]})
    return payment


@transaction.atomic
def invoice_payment_record(*, user, invoice: Invoice, amount: Decimal, date: dt.date, number: str = "",
                           comment: str = "") -> Payment:
    """Record a payment against one invoice: it takes what the invoice is owed, and the rest stays on the
    payment as an overpayment (see `payment_unallocated`)."""
    fresh = Invoice.objects.select_for_update().get(pk=invoice.pk)
    share = min(amount, fresh.outstanding)
    return payment_record(user=user, data={
        "counterparty": fresh.counterparty, "currency": fresh.currency, "amount": amount, "date": date,
        "number": number, "comment": comment}, allocations=[(fresh, share)] if share > 0 else [])


def payment_unallocated(payment: Payment) -> Decimal:
    """The overpayment: what part of a payment no invoice took."""
    return payment.amount - sum((a.amount for a in payment.allocations.all()), ZERO)
