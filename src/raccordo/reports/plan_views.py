"""The sales plans page: one month or quarter, a row per manager with the plan and what was done against it.

Heads set the plans of their team (not their own), administrators everyone's (access.policy.reports); the
actual figures on the page are those the reader may see.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import may_plan, plan_managers
from raccordo.core.errors import ApplicationError
from raccordo.core.money import default_currency
from raccordo.web.views.base import error_text, get_or_404

from .forms import PlanForm
from .periods import PlanPeriodKind, add_months, parse_plan_period, plan_period_label, plan_period_start
from .selectors.plans import plan_get, plan_table
from .services.plans import plan_delete, plan_set

SERVICE_ERRORS = (ValidationError, ApplicationError)


def _period(kind_raw: str | None, period_raw: str | None):
    """The period asked for (kind, start), this month when nothing or nothing readable is asked; an error text."""
    kind = kind_raw if kind_raw in PlanPeriodKind.values else PlanPeriodKind.MONTH
    today = timezone.localdate()
    if not period_raw:
        return kind, plan_period_start(kind, today), ""
    try:
        start = parse_plan_period(kind, period_raw)
    except ValueError:
        example = "2026 Q1" if kind == PlanPeriodKind.QUARTER else "2026-03"
        return kind, plan_period_start(kind, today), _(
            "“%(value)s” is not a period: write it as %(example)s.") % {"value": period_raw[:20], "example": example}
    if not 2000 <= start.year <= today.year + 5:
        return kind, plan_period_start(kind, today), _("Plans are kept for 2000 to %(last)s.") % {
            "last": today.year + 5}
    return kind, start, ""


def _page_url(kind: str, start) -> str:
    return f"{reverse('reports:plans')}?{urlencode({'kind': kind, 'period': plan_period_label(kind, start)})}"


@login_required
@require_GET
def plans_view(request):
    if not may_plan(request.user):
        raise Http404
    kind, start, error = _period(request.GET.get("kind"), request.GET.get("period"))
    step = 3 if kind == PlanPeriodKind.QUARTER else 1
    rows = plan_table(user=request.user, kind=kind, start=start)
    editable = {p.pk for p in plan_managers(request.user)}
    return render(request, "reports/plans/page.html", {
        "rows": [{"row": r, "editable": r.manager.pk in editable} for r in rows],
        "kind": kind, "kinds": PlanPeriodKind.choices, "start": start, "label": plan_period_label(kind, start),
        "previous": _page_url(kind, add_months(start, -step)), "next": _page_url(kind, add_months(start, step)),
        "error": error, "default_currency": default_currency(),
    }, status=400 if error else 200)


@login_required
@require_POST
def plan_set_view(request):
    if not may_plan(request.user):
        raise Http404
    kind, start, error = _period(request.POST.get("kind"), request.POST.get("period"))
    back = HttpResponseRedirect(_page_url(kind, start))
    if error:
        messages.error(request, error)
        return back
    form = PlanForm(request.POST)
    manager = None
    if form.is_valid():
        manager = plan_managers(request.user).filter(pk=form.cleaned_data["manager"]).first()
    if manager is None:
        messages.error(request, _("You may not set this person's plan.") if form.is_valid() else _(
            "The plan was not saved: %(errors)s") % {"errors": _form_errors(form)})
        return back
    data = form.cleaned_data
    if data["amount"] is None:
        messages.error(request, _("%(person)s, %(period)s: enter the revenue plan.") % {
            "person": manager.get_full_name() or manager.username, "period": plan_period_label(kind, start)})
        return back
    try:
        plan_set(user=request.user, manager=manager, kind=kind, start=start, amount=data["amount"],
                 currency=data["currency"], deals=data["deals"])
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Plan of %(person)s for %(period)s saved.") % {
            "person": manager.get_full_name() or manager.username, "period": plan_period_label(kind, start)})
    return back


def _form_errors(form) -> str:
    return "; ".join(f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
                     for name, errors in form.errors.items())


@login_required
@require_POST
def plan_delete_view(request, pk):
    if not may_plan(request.user):
        raise Http404
    plan = get_or_404(plan_get, user=request.user, pk=pk)
    try:
        plan_delete(user=request.user, plan=plan)
    except SERVICE_ERRORS as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("Plan removed."))
    return HttpResponseRedirect(_page_url(plan.period_kind, plan.period_start))


