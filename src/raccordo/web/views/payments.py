"""Recording a payment received from a counterparty and spreading it over its open invoices."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from raccordo.core.errors import ApplicationError
from raccordo.core.money import validate_currency
from raccordo.parties.selectors import counterparty_get
from raccordo.sales.selectors import OPEN_INVOICE_STATUSES, invoice_list, payment_list
from raccordo.sales.services import payment_record, payment_unallocated

from ..forms import PaymentForm
from ..templatetags.raccordo_ui import money
from .base import apply_errors, get_or_404

SERVICE_ERRORS = (ValidationError, ApplicationError)
RECENT_PAYMENTS = 20


class CounterpartyPaymentForm(PaymentForm):
    currency = forms.CharField(label=_("Currency"), max_length=3, validators=[validate_currency])

    field_order = ["amount", "currency", "date", "number", "comment"]


def _allocations(request, open_invoices) -> tuple[list, list[str]]:
    """The amounts typed against each open invoice; empty means "oldest first" (the service decides)."""
    chosen, errors = [], []
    for invoice in open_invoices:
        raw = (request.POST.get(f"alloc-{invoice.pk}") or "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            errors.append(str(_("Invoice %(n)s: “%(v)s” is not an amount.") % {"n": invoice.number, "v": raw}))
            continue
        if amount > 0:
            chosen.append((invoice, amount))
    return chosen, errors


def _advance_question(request, form, open_invoices) -> str | None:
    """More than the client owes in the payment's currency is asked about first, as on an invoice's card: a typo
    must not become an advance unasked. None when within what is owed, or once confirmed (`advance=1`)."""
    if request.POST.get("advance") == "1":
        return None
    amount, currency = form.cleaned_data["amount"], form.cleaned_data["currency"]
    owed = sum((i.outstanding for i in open_invoices if i.currency == currency), Decimal(0))
    if amount <= owed:
        return None
    return str(_("The client owes %(owed)s; %(over)s more would be recorded as an advance.")
               % {"owed": money(owed, currency), "over": money(amount - owed, currency)})


@login_required
def counterparty_payment_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    open_invoices = list(invoice_list(user=request.user).filter(counterparty=counterparty,
                                                                status__in=OPEN_INVOICE_STATUSES)
                         .order_by("date", "number"))
    currency = open_invoices[0].currency if open_invoices else settings.DEFAULT_CURRENCY
    form = CounterpartyPaymentForm(request.POST or None,
                                   initial={"date": timezone.localdate(), "currency": currency})
    question = None
    if request.method == "POST" and form.is_valid():
        chosen, errors = _allocations(request, open_invoices)
        for error in errors:
            form.add_error(None, error)
        if not errors:
            data = {**form.cleaned_data, "counterparty": counterparty}
            try:
                with transaction.atomic():
                    payment = payment_record(user=request.user, data=data, allocations=chosen or None)
                    # Asked after the service has checked the allocations, so their errors come first.
                    question = _advance_question(request, form, open_invoices)
                    if question:
                        transaction.set_rollback(True)
            except SERVICE_ERRORS as exc:
                apply_errors(form, exc)
            else:
                if question:
                    return _payment_page(request, counterparty, form, open_invoices, question)
                over = payment_unallocated(payment)
                if over > 0:
                    messages.warning(request, _("Payment recorded; %(amount)s %(currency)s stays unallocated as an "
                                                "overpayment.") % {"amount": over, "currency": payment.currency})
                else:
                    messages.success(request, _("Payment recorded."))
                return redirect("web:counterparty_detail", pk=counterparty.pk)
    return _payment_page(request, counterparty, form, open_invoices, question)


def _payment_page(request, counterparty, form, open_invoices, question=None):
    """The form (again, with what was typed and any question), and the client's latest payments."""
    for invoice in open_invoices:
        # What the user typed against each invoice comes back with the form's errors.
        invoice.typed = request.POST.get(f"alloc-{invoice.pk}", "") if request.method == "POST" else ""
    # The client's latest payments, so one recorded by mistake (an advance no invoice took, too) can be reversed.
    payments = list(payment_list(user=request.user).filter(counterparty=counterparty)
                    .prefetch_related("allocations").order_by("-date", "-created_at")[:RECENT_PAYMENTS])
    for payment in payments:
        payment.unallocated = payment_unallocated(payment)
    return render(request, "web/payments/form.html", {
        "counterparty": counterparty, "form": form, "open_invoices": open_invoices, "payments": payments,
        "advance_question": question})
