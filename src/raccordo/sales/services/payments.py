"""Write services for payments: record money received and allocate it to invoices.

What no invoice takes stays on the payment as an overpayment; it is never pushed onto an invoice.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.activities.services import invoice_reminders_reopen
from raccordo.core.errors import Conflict

from ..filters import OPEN_INVOICE_STATUSES
from ..models import Invoice, InvoiceStatus, Payment, PaymentAllocation
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
                           comment: str = "", overpayment: bool = False) -> Payment:
    """Record a payment against one invoice: it takes what the invoice is owed, and the rest stays on the
    payment as an overpayment (see `payment_unallocated`).

    More than the invoice is owed is refused unless the caller says `overpayment=True`: a typo (999,999
    against 15,680) must not become a silent overpayment, so the person is asked first (code
    `sales.payment.overpayment`, with what is owed and what would be left over).
    """
    fresh = Invoice.objects.select_for_update().get(pk=invoice.pk)
    share = min(amount, fresh.outstanding)
    if amount > share and not overpayment:
        raise Conflict(
            _("The invoice is owed %(owed)s; %(over)s more would stay as an overpayment.")
            % {"owed": fresh.outstanding, "over": amount - share},
            code="sales.payment.overpayment",
            extra={"outstanding": str(fresh.outstanding), "overpayment": str(amount - share)})
    return payment_record(user=user, data={
        "counterparty": fresh.counterparty, "currency": fresh.currency, "amount": amount, "date": date,
        "number": number, "comment": comment}, allocations=[(fresh, share)] if share > 0 else [])


def payment_unallocated(payment: Payment) -> Decimal:
    """The overpayment: what part of a payment no invoice took (nothing, once the payment is reversed)."""
    if payment.reversed_at is not None:
        return ZERO
    return payment.amount - sum((a.amount for a in payment.allocations.all()), ZERO)


@transaction.atomic
def payment_reverse(*, user, payment: Payment, reason: str = "") -> Payment:
    """Reverse a payment recorded by mistake: its allocations are removed, the invoices it paid owe again
    (paid amount and status recomputed), and the payment is marked reversed, with when and why.

    Marked, not deleted, because that is what an accountant expects of a storno: the document that came
    with a bank statement keeps its number, date and amount on record and in the client's history, a receipt
    1C sends again (EnterpriseData, bound to this payment) is recognised instead of recorded twice, and every sum
    (overpayments, the KPI report) leaves it out. Who may reverse is the policy's "delete" on the payment
    (accountants and administrators among the built-in roles): undoing money received is not a sales task.
    Each removed allocation, each invoice's new paid amount and the reversal itself are journaled.
    """
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    policy.require(user, "delete", locked)
    if locked.reversed_at is not None:
        raise Conflict(_("This payment is already reversed."), code="sales.payment.reversed")
    reason = (reason or "").strip()
    if user is not None and not reason:
        raise ValidationError({"reason": [_("Say why the payment is reversed.")]})
    # Invoices are locked in a fixed order, as payment_record locks them, so two reversals never deadlock.
    invoice_ids = sorted(str(pk) for pk in locked.allocations.values_list("invoice_id", flat=True))
    invoices = list(Invoice.objects.select_for_update().filter(pk__in=invoice_ids).order_by("pk"))
    for allocation in list(locked.allocations.all()):
        record_delete(allocation, user=user)
    for invoice in invoices:
        was_paid = invoice.status == InvoiceStatus.PAID
        if refresh_paid_status(invoice, user=user).status != InvoiceStatus.PAID and was_paid:
            invoice_reminders_reopen(invoice=invoice)
    return record_update(locked, user=user, data={"reversed_at": timezone.now(), "reversal_reason": reason[:255]},
                         fields=("reversed_at", "reversal_reason"))
