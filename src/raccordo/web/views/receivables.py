"""Receivables: what clients owe, by days past due (ageing), from database aggregates through the access policy."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from raccordo.access.policy import allows, visible
from raccordo.core.ids import parse_uuid
from raccordo.sales.selectors import (
    AGEING_BUCKETS,
    OPEN_INVOICE_STATUSES,
    invoice_list,
    overpayment_total,
    receivables_ageing,
)

from .. import exports, reference


def _responsible(request):
    """The responsible person the page is narrowed to (`?responsible=me|<id>`), and the raw choice."""
    who = request.GET.get("responsible", "")
    if who == "me":
        return request.user, who
    if who:
        return (reference.assignable_users(request.user).filter(pk=who).first() if parse_uuid(who) else None), who
    return None, who


@login_required
def receivables_view(request):
    user = request.user
    responsible, who = _responsible(request)
    rows, totals = receivables_ageing(user=user, responsible=responsible)
    overdue = (invoice_list(user=user, filters={"overdue": "1"})
               .select_related("counterparty", "responsible").order_by("due_date"))
    if responsible is not None:
        overdue = overdue.filter(responsible=responsible)
    overdue = overdue[:50]
    return render(request, "web/receivables/list.html", {
        "rows": rows, "totals": totals, "buckets": AGEING_BUCKETS, "overdue_invoices": overdue,
        "overpayments": overpayment_total(user=user), "who": who, "today": timezone.localdate(),
        "managers": reference.assignable_users(user), "can_export": allows(user, "export", "invoices")})


@login_required
def receivables_export_view(request):
    """What clients owe as a file: every open invoice the user may export, with its days past due and its
    ageing bucket (the page's per-counterparty ageing is the sum of these rows), narrowed like the page."""
    responsible, _who = _responsible(request)
    qs = visible(invoice_list(user=request.user).filter(status__in=OPEN_INVOICE_STATUSES), request.user, "export")
    if responsible is not None:
        qs = qs.filter(responsible=responsible)
    qs = qs.select_related("counterparty", "responsible").order_by("counterparty__name", "due_date", "number", "pk")
    return exports.table_response(qs.iterator(chunk_size=1000), exports.receivable_columns(timezone.localdate()),
                                  basename="receivables", fmt=exports.export_format(request))

