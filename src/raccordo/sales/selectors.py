"""Read queries for deals, invoices and payments, through the access policy."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound

from .models import Deal, Invoice, InvoiceStatus, Payment, StageKind

OPEN_INVOICE_STATUSES = [InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID]


def deal_list(*, user, search: str = "", open_only: bool = False) -> QuerySet[Deal]:
    """Deals `user` may see."""
    qs = visible(Deal.objects.select_related("counterparty", "stage", "funnel", "manager"), user)
    if open_only:
        qs = qs.filter(stage__kind=StageKind.OPEN)
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(counterparty__name__icontains=search))
    return qs


def deal_get(*, user, pk) -> Deal:
    """One deal visible to `user`, or NotFound."""
    obj = deal_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Deal not found.")
    return obj


def invoice_list(*, user, search: str = "", status: str = "") -> QuerySet[Invoice]:
    """Invoices `user` may see."""
    qs = visible(Invoice.objects.select_related("counterparty", "own_company", "deal"), user)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(counterparty__name__icontains=search))
    return qs


def invoice_get(*, user, pk) -> Invoice:
    """One invoice visible to `user`, with its lines, or NotFound."""
    obj = invoice_list(user=user).prefetch_related("lines__product", "lines__unit").filter(pk=pk).first()
    if obj is None:
        raise NotFound("Invoice not found.")
    return obj


def receivable_total(*, user, counterparty=None) -> dict[str, Decimal]:
    """Outstanding amounts of issued, unpaid invoices per currency, computed in the database."""
    qs = invoice_list(user=user).filter(status__in=OPEN_INVOICE_STATUSES)
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    rows = qs.values("currency").annotate(owed=Sum(F("total") - F("paid_amount"))).order_by("currency")
    return {row["currency"]: row["owed"] for row in rows if row["owed"]}


def overdue_total(*, user, counterparty=None) -> dict[str, Decimal]:
    """Outstanding amounts past their due date, per currency."""
    qs = invoice_list(user=user).filter(status__in=OPEN_INVOICE_STATUSES, due_date__lt=timezone.localdate())
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    rows = qs.values("currency").annotate(owed=Sum(F("total") - F("paid_amount"))).order_by("currency")
    return {row["currency"]: row["owed"] for row in rows if row["owed"]}


def payment_list(*, user) -> QuerySet[Payment]:
    """Payments `user` may see."""
    return visible(Payment.objects.select_related("counterparty"), user)
