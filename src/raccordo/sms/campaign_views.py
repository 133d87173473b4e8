"""The mass SMS pages: the segment's preview and the text, then the send's progress (polled by htmx)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import may_mass_send
from raccordo.core.errors import ApplicationError
from raccordo.web.views.base import apply_errors, get_or_404

from . import campaigns
from .forms import CampaignForm
from .models import CampaignStatus
from .segments import count_segments
from .selectors import campaign_get, campaign_list, sms_list
from .services import sms_settings
from .tasks import campaign_run_task

SERVICE_ERRORS = (ValidationError, ApplicationError)
RECIPIENT_ROWS = 200


def _require_mass_send(request):
    # No record in the address, so a role without mass SMS is told so (403), as other pages without a record do.
    if not may_mass_send(request.user):
        raise PermissionDenied


@login_required
@require_GET
def campaign_list_view(request):
    """The mass sends the user may see, newest first."""
    _require_mass_send(request)
    return render(request, "sms/campaign_list.html", {"campaigns": campaign_list(user=request.user)[:100]})


@login_required
def campaign_new_view(request):
    """The segment (the counterparty list's filters, in the address) with its count, the text, and "Send"."""
    _require_mass_send(request)
    filters = campaigns.segment_filters(request.GET)
    preview = campaigns.campaign_preview(user=request.user, filters=filters)
    form = CampaignForm(request.POST or None, initial={"expected": preview.count})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaigns.campaign_start(user=request.user, name=data["name"], text=data["text"],
                                                filters=filters, expected=data.get("expected"),
                                                queue=campaign_run_task)
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _started(campaign))
            return redirect("sms:campaign_detail", pk=campaign.pk)
    return render(request, "sms/campaign_new.html", {
        "form": form, "preview": preview, "filters": filters, "query": urlencode(filters),
        "sms_count": count_segments(form["text"].value() or ""), "configured": sms_settings().configured})


def _started(campaign) -> str:
    return ngettext("Sending to %(n)s recipient.", "Sending to %(n)s recipients.", campaign.total) % {
        "n": campaign.total}


def _detail_context(request, campaign) -> dict:
    return {"campaign": campaign, "progress": campaigns.campaign_progress(campaign),
            "rows": sms_list(user=request.user, campaign=campaign).order_by("created_at", "id")[:RECIPIENT_ROWS],
            "running": campaign.status == CampaignStatus.RUNNING}


@login_required
@require_GET
def campaign_detail_view(request, pk):
    """A mass send's progress and every recipient's status (the first ones, for a big send)."""
    _require_mass_send(request)
    campaign = get_or_404(campaign_get, user=request.user, pk=pk)
    template = "sms/_campaign_progress.html" if request.GET.get("part") == "progress" else "sms/campaign_detail.html"
    return render(request, template, _detail_context(request, campaign))


@login_required
@require_POST
def campaign_cancel_view(request, pk):
    """Stop a running mass send."""
    _require_mass_send(request)
    campaign = get_or_404(campaign_get, user=request.user, pk=pk)
    if campaign.status == CampaignStatus.RUNNING:
        try:
            campaigns.campaign_cancel(user=request.user, campaign=campaign)
        except SERVICE_ERRORS as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("sms:campaign_detail", pk=campaign.pk)
