"""Reminders ("Promemoria") attached to any record: create from a card, mark done."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.activities.selectors import reminder_get, task_get
from raccordo.activities.services import reminder_create, reminder_done
from raccordo.core.errors import ApplicationError, NotFound
from raccordo.parties.selectors import counterparty_get
from raccordo.sales.selectors import deal_get, invoice_get

from ..forms_day import ReminderForm
from .base import apply_errors, error_text, get_or_404, safe_next

TARGETS = {"invoice": invoice_get, "deal": deal_get, "counterparty": counterparty_get, "task": task_get}


def _target(user, value: str):
    """'invoice:<uuid>' -> the invoice, if the user may see it; 404 otherwise."""
    kind, _sep, pk = (value or "").partition(":")
    if not value:
        return None
    selector = TARGETS.get(kind)
    if selector is None:
        raise Http404("Unknown record type.")
    try:
        return selector(user=user, pk=pk)
    except (NotFound, ValidationError, ValueError) as exc:
        raise Http404("Record not found.") from exc


@login_required
def reminder_create_view(request):
    target_value = request.POST.get("target") or request.GET.get("target", "")
    target = _target(request.user, target_value)
    counterparty = None
    if target is None and (request.GET.get("counterparty") or request.POST.get("counterparty")):
        counterparty = _target(request.user, "counterparty:" + (request.POST.get("counterparty")
                                                                or request.GET.get("counterparty", "")))
        target, target_value = counterparty, f"counterparty:{counterparty.pk}"
    default_at = (timezone.localtime() + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    initial = {"start_at": default_at, "subject": str(target) if target is not None else ""}
    form = ReminderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if counterparty is not None:
            data["counterparty"] = counterparty
        try:
            reminder_create(user=request.user, data=data,
                            target=target if counterparty is None else None)
        except (ValidationError, ApplicationError) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Reminder set."))
            return redirect(safe_next(request, "web:dashboard"))
    return render(request, "web/reminders/form.html", {"form": form, "target": target, "target_value": target_value,
                                                       "next": safe_next(request, "")})


@login_required
@require_POST
def reminder_done_view(request, pk):
    reminder = get_or_404(reminder_get, user=request.user, pk=pk)
    try:
        reminder_done(user=request.user, reminder=reminder)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Reminder done."))
    return redirect(safe_next(request, "web:dashboard"))
