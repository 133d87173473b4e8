"""Pages of the scheduled reports: the list, set-up and change, the log of sendings, "send now" and the preview.

Heads see and set up the reports computed as someone of their team, administrators all of them
(access.policy.reports); everyone else gets 404, as for a record they may not see.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.history import record_history
from raccordo.access.policy import may_schedule_reports
from raccordo.core.cron import cron_next
from raccordo.core.errors import ApplicationError
from raccordo.web.views.base import apply_errors, error_text, get_or_404

from .digest_render import digest_context
from .forms import ScheduledReportForm
from .models import ReportSection, SendStatus
from .selectors.digest import scheduled_report_get, scheduled_report_list, scheduled_report_sends
from .services.scheduled import (
    report_recipients,
    scheduled_report_create,
    scheduled_report_delete,
    scheduled_report_preview,
    scheduled_report_send_now,
    scheduled_report_update,
)

SERVICE_ERRORS = (ValidationError, ApplicationError)
STATUS_BADGES = {SendStatus.SENT: "success", SendStatus.SKIPPED: "secondary", SendStatus.FAILED: "danger",
                 SendStatus.SENDING: "info"}
LOG_ROWS = 50


def _require_scheduler(user) -> None:
    if not may_schedule_reports(user):
        raise Http404


def _next_times(report) -> list:
    try:
        return [t for t in cron_next(report.cron_expression(), after=max(timezone.now(), report.schedule_from),
                                     count=3)] if report.is_active else []
    except ValueError:
        return []


@login_required
@require_GET
def scheduled_list_view(request):
    _require_scheduler(request.user)
    reports = list(scheduled_report_list(user=request.user))
    labels = dict(ReportSection.choices)
    rows = [{"report": r, "parts": [labels.get(code, code) for code in r.sections], "next": _next_times(r)[:1],
             "last": r.sends.order_by("-created_at").first()} for r in reports]
    return render(request, "reports/scheduled/list.html", {"rows": rows, "badges": STATUS_BADGES})


@login_required
def scheduled_create_view(request):
    _require_scheduler(request.user)
    form = ScheduledReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            report = scheduled_report_create(user=request.user, data=form.service_data())
        except SERVICE_ERRORS as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Scheduled report “%(name)s” set up.") % {"name": report.name})
            return redirect("reports:scheduled_detail", pk=report.pk)
    return render(request, "reports/scheduled/form.html", {"form": form})


@login_required
def scheduled_edit_view(request, pk):
    report = get_or_404(scheduled_report_get, user=request.user, pk=pk)
    form = ScheduledReportForm(request.POST or None, instance=report, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            scheduled_report_update(user=request.user, report=report, data=form.service_data())
        except SERVICE_ERRORS as exc:
            report.refresh_from_db()
            apply_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("reports:scheduled_detail", pk=report.pk)
    return render(request, "reports/scheduled/form.html", {"form": form, "object": report})


@login_required
@require_GET
def scheduled_detail_view(request, pk):
    report = get_or_404(scheduled_report_get, user=request.user, pk=pk)
    labels = dict(ReportSection.choices)
    return render(request, "reports/scheduled/detail.html", {
        "object": report, "parts": [labels.get(code, code) for code in report.sections],
        "cron": report.cron_expression(), "next_times": _next_times(report),
        "recipients": report_recipients(report), "badges": STATUS_BADGES,
        "sends": scheduled_report_sends(user=request.user, report=report)[:LOG_ROWS],
        "history": record_history(user=request.user, obj=report)})


@login_required
@require_POST
def scheduled_send_view(request, pk):
    report = get_or_404(scheduled_report_get, user=request.user, pk=pk)
    try:
        send = scheduled_report_send_now(user=request.user, report=report)
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        if send.status == SendStatus.SENT:
            messages.success(request, _("Sent to %(recipients)s.") % {"recipients": send.recipients})
        elif send.status == SendStatus.SKIPPED:
            messages.info(request, _("Not sent: there is no data for the period, and the report is sent only "
                                     "if there is."))
        else:
            messages.error(request, _("Not sent: %(error)s") % {"error": send.error})
    return redirect("reports:scheduled_detail", pk=report.pk)


@login_required
@require_GET
def scheduled_preview_view(request, pk):
    report = get_or_404(scheduled_report_get, user=request.user, pk=pk)
    digest = scheduled_report_preview(user=request.user, report=report)
    return render(request, "reports/scheduled/preview.html", {"object": report, **digest_context(digest)})


@login_required
@require_POST
def scheduled_delete_view(request, pk):
    report = get_or_404(scheduled_report_get, user=request.user, pk=pk)
    try:
        scheduled_report_delete(user=request.user, report=report)
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
        return redirect("reports:scheduled_detail", pk=report.pk)
    messages.success(request, _("Scheduled report “%(name)s” deleted.") % {"name": report.name})
    return redirect("reports:scheduled_list")
