"""The printed invoice: download as PDF, send by e-mail (logged on the counterparty's timeline)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.comms.reminders import invoice_reminder_send
from raccordo.core.downloads import set_download_name
from raccordo.core.errors import ApplicationError
from raccordo.sales.printing import invoice_filename, invoice_pdf
from raccordo.sales.selectors import invoice_get
from raccordo.sales.services import invoice_send

from .base import error_text, get_or_404


@login_required
def invoice_pdf_view(request, pk):
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    set_download_name(response, invoice_filename(invoice), inline=request.GET.get("inline") == "1")
    return response


@login_required
@require_POST
def invoice_send_view(request, pk):
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    to = [a for a in request.POST.get("to", "").replace(";", ",").split(",") if a.strip()]
    try:
        invoice_send(user=request.user, invoice=invoice, to=to, body=request.POST.get("body", ""))
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Invoice sent to %(to)s.") % {"to": ", ".join(a.strip() for a in to)})
    return redirect("web:invoice_detail", pk=pk)


@login_required
@require_POST
def invoice_remind_view(request, pk):
    """Remind the client of the unpaid invoice by e-mail or SMS (the `invoice_reminder` template)."""
    invoice = get_or_404(invoice_get, user=request.user, pk=pk)
    channel = request.POST.get("channel", "email")
    try:
        sent = invoice_reminder_send(user=request.user, invoice=invoice, channel=channel)
    except (ValidationError, ApplicationError) as exc:
        messages.error(request, error_text(exc))
        return redirect("web:invoice_detail", pk=pk)
    # An SMS that the provider refused is stored with its reason: say it rather than "sent".
    error = getattr(sent, "error", "") if getattr(sent, "status", "") in ("refused", "failed") else ""
    if error:
        messages.error(request, _("The reminder was not sent: %(error)s") % {"error": error})
    else:
        messages.success(request, _("Payment reminder sent to the client."))
    return redirect("web:invoice_detail", pk=pk)
