"""Complaints: register from a counterparty card, a responsible person and a deadline, status flow, resolution."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.access.history import record_history
from raccordo.access.policy import allows, visible
from raccordo.activities.filters import ComplaintFilter
from raccordo.activities.models import ComplaintStatus
from raccordo.activities.selectors import complaint_get, complaint_list
from raccordo.activities.services import COMPLAINT_FLOW, complaint_register, complaint_update
from raccordo.core.errors import ApplicationError

from .. import exports
from ..forms_day import ComplaintForm, ComplaintStatusForm
from .base import ListPage, apply_errors, get_or_404, with_defaults

SERVICE_ERRORS = (ValidationError, ApplicationError)


COMPLAINT_SORTS = {"subject": "subject", "counterparty": "counterparty__name", "received": "received_at",
                   "deadline": "deadline", "status": "status"}


# What the list shows before the user chooses: the open complaints.
COMPLAINT_DEFAULTS = {"state": "open"}


@login_required
def complaint_list_view(request):
    page = ListPage(request, default_sort="deadline", sorts=COMPLAINT_SORTS)
    filters = with_defaults(request.GET, COMPLAINT_DEFAULTS)
    qs = complaint_list(user=request.user, search=page.q, filters=filters)
    return page.render(qs, template="web/complaints/list.html", partial="web/complaints/_table.html", context={
        "state": filters["state"], "states": ComplaintFilter.STATES,
        "can_export": allows(request.user, "export", "activities")})


@login_required
def complaint_export_view(request):
    """The complaint list as filtered and sorted on screen, as CSV or XLSX: only the rows the user may export."""
    page = ListPage(request, default_sort="deadline", sorts=COMPLAINT_SORTS)
    qs = complaint_list(user=request.user, search=page.q, filters=with_defaults(request.GET, COMPLAINT_DEFAULTS))
    qs = page.order(visible(qs, request.user, "export"))
    return exports.table_response(qs.iterator(chunk_size=1000), exports.complaint_columns(), basename="complaints",
                                  fmt=exports.export_format(request))


@login_required
def complaint_create_view(request):
    initial = {"counterparty": request.GET.get("counterparty")} if request.GET.get("counterparty") else {}
    initial["deadline"] = timezone.localdate() + dt.timedelta(days=5)
    form = ComplaintForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if data.get("responsible") is None:
            data.pop("responsible", None)
        try:
            complaint = complaint_register(user=request.user, data=data)
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Complaint registered."))
            return redirect("web:complaint_detail", pk=complaint.pk)
    return render(request, "web/complaints/form.html", {"form": form})


def _card(request, complaint, status_form=None):
    allowed = COMPLAINT_FLOW.get(complaint.status, set())
    return render(request, "web/complaints/detail.html", {
        "object": complaint, "status_form": status_form or ComplaintStatusForm(initial={"resolution": complaint.resolution}),
        "next_statuses": [(s.value, s.label) for s in ComplaintStatus if s in allowed],
        "history": record_history(user=request.user, obj=complaint)})


@login_required
def complaint_detail_view(request, pk):
    return _card(request, get_or_404(complaint_get, user=request.user, pk=pk))


@login_required
@require_POST
def complaint_status_view(request, pk):
    complaint = get_or_404(complaint_get, user=request.user, pk=pk)
    form = ComplaintStatusForm(request.POST)
    if form.is_valid():
        data = {"status": form.cleaned_data["status"]}
        if form.cleaned_data["resolution"]:
            data["resolution"] = form.cleaned_data["resolution"]
        try:
            complaint_update(user=request.user, complaint=complaint, data=data)
        except SERVICE_ERRORS as exc:
            complaint.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("Complaint is now “%(status)s”.") % {"status": complaint.get_status_display()})
            return redirect("web:complaint_detail", pk=complaint.pk)
    return _card(request, complaint, status_form=form)
