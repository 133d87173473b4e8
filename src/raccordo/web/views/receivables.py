"""Receivables: what clients owe, by days past due (ageing), from database aggregates through the access policy."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from raccordo.sales.selectors import (
    AGEING_BUCKETS,
    OPEN_INVOICE_STATUSES,
    invoice_list,
    overpayment_total,
    receivables_ageing,
)

from .. import reference


@login_required
def receivables_view(request):
    user = request.user
    responsible = None
    who = request.GET.get("responsible", "")
    if who == "me":
        responsible = user
    elif who:
        responsible = reference.assignable_users(user).filter(pk=who).first() if _uuid(who) else None
    rows, totals = receivables_ageing(user=user, responsible=responsible)
    overdue = (invoice_list(user=user).filter(status__in=OPEN_INVOICE_STATUSES, due_date__lt=timezone.localdate())
               .select_related("counterparty", "responsible").order_by("due_date"))
    if responsible is not None:
        overdue = overdue.filter(responsible=responsible)
    overdue = overdue[:50]
    return render(request, "web/receivables/list.html", {
        "rows": rows, "totals": totals, "buckets": AGEING_BUCKETS, "overdue_invoices": overdue,
        "overpayments": overpayment_total(user=user), "who": who, "today": timezone.localdate(),
        "managers": reference.assignable_users(user)})


def _uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
