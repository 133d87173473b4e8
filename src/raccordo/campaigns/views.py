"""The campaign pages: the list with each campaign's ROI, a campaign with its Gantt chart, the ROI report."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import may_mass_email, may_plan_campaigns, may_view_roi
from raccordo.core.errors import ApplicationError, NotFound
from raccordo.core.money import default_currency
from raccordo.segments.selectors import mailing_list, segment_list, segment_members
from raccordo.web.charts import Series, chart_data
from raccordo.web.views.base import apply_errors, get_or_404

from . import gantt, selectors, services
from .forms import CampaignForm, EventForm, RescheduleForm
from .models import Campaign, CampaignEvent

SERVICE_ERRORS = (ValidationError, ApplicationError)


def _require_planner(request) -> None:
    if not may_plan_campaigns(request.user):
        raise PermissionDenied


def _require_roi(request) -> None:
    if not may_view_roi(request.user):
        raise PermissionDenied


def _months_chart(months: list) -> dict:
    """Paid revenue by month as bars and its running total as a line, from the first month paid to the last;
    a month in between without payments is a month with nothing paid, not a month left out."""
    paid, running, labels = [], [], []
    by_month = {month: (amount, total) for month, amount, total in months}
    if months:
        month, last, total = months[0][0], months[-1][0], None
        while month <= last:
            amount, total = by_month.get(month, (0, total))
            labels.append(capfirst(date_format(month, "M Y")))
            paid.append(amount)
            running.append(total)
            month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return chart_data(labels, [Series(_("Paid in the month"), "paid", paid),
                               Series(_("Paid in total"), "running", running, kind="line")],
                      unit="money", currency=default_currency())


@login_required
@require_GET
def campaign_list_view(request):
    """The campaigns with cost, revenue paid and ROI (the revenue narrowed to what the user may see)."""
    _require_roi(request)
    campaigns = list(selectors.campaign_list(user=request.user)[:200])
    roi = {r.key: r for r in selectors.roi_by_campaign(user=request.user, campaigns=campaigns)}
    rows = [(c, roi[str(c.pk)]) for c in campaigns]
    return render(request, "campaigns/list.html", {"rows": rows, "may_plan": may_plan_campaigns(request.user)})


@login_required
@require_GET
def campaign_detail_view(request, pk):
    """A campaign: its figures, its events on the Gantt chart and its paid revenue by month."""
    _require_roi(request)
    campaign = get_or_404(selectors.campaign_get, user=request.user, pk=pk)
    events = selectors.campaign_events(user=request.user, campaign=campaign)
    [roi] = selectors.roi_by_campaign(user=request.user, campaigns=[campaign])
    segment = segment_list(user=request.user).filter(pk=campaign.segment_id).first() if campaign.segment_id else None
    months = selectors.roi_by_month(user=request.user, campaign=campaign)
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "events": events, "roi": roi, "segment": segment,
        "segment_count": segment_members(user=request.user, segment=segment).count() if segment else None,
        "mailings": mailing_list(user=request.user).filter(campaign=campaign)[:20],
        "may_mass_email": may_mass_email(request.user),
        "chart": gantt.chart(campaign, events, today=timezone.localdate()),
        "months": months, "months_chart": _months_chart(months),
        "other_currencies": selectors.paid_in_other_currencies(user=request.user, campaign=campaign),
        "default_currency": default_currency(),
        "may_plan": may_plan_campaigns(request.user), "move_form": RescheduleForm()})


@login_required
def campaign_edit_view(request, pk=None):
    """Plan a new campaign or change one."""
    _require_planner(request)
    campaign = get_or_404(selectors.campaign_get, user=request.user, pk=pk) if pk else Campaign()
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            if pk:
                campaign = services.campaign_update(user=request.user, campaign=campaign, data=form.service_data())
            else:
                campaign = services.campaign_create(user=request.user, data=form.service_data())
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The campaign is saved."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/edit.html", {"form": form, "campaign": campaign if pk else None})


@login_required
def event_edit_view(request, pk, event_pk=None):
    """Add an event to the campaign's plan, or change one (dates, owner, what it waits for)."""
    _require_planner(request)
    campaign = get_or_404(selectors.campaign_get, user=request.user, pk=pk)
    event = (get_or_404(_event_get, user=request.user, campaign=campaign, pk=event_pk) if event_pk
             else CampaignEvent(campaign=campaign))
    form = EventForm(request.POST or None, instance=event, campaign=campaign,
                     initial={"depends_on": list(event.depends_on.all()) if event.pk else []})
    if request.method == "POST" and form.is_valid():
        try:
            services.event_save(user=request.user, campaign=campaign, event=event if event.pk else None,
                                data=form.service_data(exclude=("depends_on",)),
                                depends_on=list(form.cleaned_data["depends_on"]))
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The event is saved."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/event_edit.html", {"form": form, "campaign": campaign,
                                                         "event": event if event.pk else None})


def _event_get(*, user, campaign, pk):
    for event in selectors.campaign_events(user=user, campaign=campaign):
        if event.pk == pk:
            return event
    raise NotFound("Event not found.")


@login_required
@require_POST
def event_move_view(request, pk, event_pk):
    """Move an event on the chart to a new start, keeping its length; refused when a link would break."""
    _require_planner(request)
    campaign = get_or_404(selectors.campaign_get, user=request.user, pk=pk)
    event = get_or_404(_event_get, user=request.user, campaign=campaign, pk=event_pk)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new start date."))
        return redirect("campaigns:detail", pk=campaign.pk)
    try:
        services.event_reschedule(user=request.user, event=event, starts_on=form.cleaned_data["starts_on"])
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(_messages(exc)))
    else:
        messages.success(request, _("“%(name)s” is moved.") % {"name": event.name})
    return redirect("campaigns:detail", pk=campaign.pk)


def _messages(exc) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(getattr(exc, "message", exc))]


@login_required
@require_GET
def roi_view(request):
    """ROI per campaign, per channel and paid revenue by month: the user's part of it."""
    _require_roi(request)
    months = selectors.roi_by_month(user=request.user)
    return render(request, "campaigns/roi.html", {
        "campaigns": selectors.roi_by_campaign(user=request.user),
        "channels": selectors.roi_by_channel(user=request.user),
        "months": months, "months_chart": _months_chart(months),
        "other_currencies": selectors.paid_in_other_currencies(user=request.user),
        "default_currency": default_currency()})
