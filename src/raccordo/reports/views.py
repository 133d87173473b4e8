"""Report pages: the sales KPI report for a year (page, CSV/XLSX), and recomputing cached figures on request."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import allows, may_plan
from raccordo.web.charts import Series, chart_data
from raccordo.web.views.base import safe_next

from . import selectors, services
from .analytics.views import require_subject as analytics_require
from .exports import kpi_response
from .models import SnapshotKind
from .services import ANALYTICS_KINDS as ANALYTICS_SUBJECTS

# The KPI report is about sales: whoever may see deals may open it (each part still shows only what the
# policy lets them see, and parts they have no permission for are left out).
REPORT_SUBJECT = "deals"


def _require_report(user) -> None:
    if not allows(user, "view", REPORT_SUBJECT):
        raise Http404


def _year(raw: str | None) -> tuple[int, str]:
    """The requested year, or the current one; an error text for anything that is not a year we report on."""
    today = timezone.localdate()
    if raw in (None, ""):
        return today.year, ""
    years = selectors.report_years(today)
    try:
        year = int(raw)
    except ValueError:
        year = None
    if year is None or year not in years:
        return today.year, _("“%(value)s” is not a year of the report: choose one from %(first)s to %(last)s.") % {
            "value": raw[:20], "first": years.start, "last": years.stop - 1}
    return year, ""


def _chart_currency(report: dict, wanted: str) -> str:
    currencies = report["currencies"]
    if wanted in currencies:
        return wanted
    if settings.DEFAULT_CURRENCY in currencies:
        return settings.DEFAULT_CURRENCY
    return currencies[0] if currencies else settings.DEFAULT_CURRENCY


@login_required
@require_GET
def kpi_view(request):
    user = request.user
    _require_report(user)
    year, error = _year(request.GET.get("year"))
    today = timezone.localdate()
    years = list(range(today.year, max(today.year - 6, selectors.FIRST_YEAR - 1), -1))
    if year not in years:
        years.append(year)
    context = {"year": year, "years": years, "error": error, "current_year": today.year,
               "may_plan": may_plan(user)}
    if error:
        return render(request, "reports/kpi.html", context, status=400)
    figures = services.report_figures(user=user, kind=SnapshotKind.KPI, year=year)
    report = figures.data
    currency = _chart_currency(report, request.GET.get("currency", ""))
    labels = [capfirst(str(MONTHS_3[m["month"]])) for m in report["months"]]
    sections = report["sections"]
    money_series = []
    if sections["invoices"]:
        money_series.append(Series(_("Invoiced"), "invoiced",
                                   [m["invoiced"].get(currency) for m in report["months"]]))
    if sections["payments"]:
        money_series.append(Series(_("Received"), "received",
                                   [m["received"].get(currency) for m in report["months"]]))
    deal_series = [Series(_("Won"), "won", [m["won"] for m in report["months"]]),
                   Series(_("Lost"), "lost", [m["lost"] for m in report["months"]])]
    context.update({
        "report": report, "figures": figures, "sections": sections, "chart_currency": currency,
        "money_chart": chart_data(labels, money_series, unit="money", currency=currency) if money_series else None,
        "deal_chart": chart_data(labels, deal_series) if sections["deals"] else None,
        "months": [{**m, "label": capfirst(str(MONTHS_3[m["month"]]))} for m in report["months"]],
        "as_of": report["as_of"], "is_current_year": year == today.year,
    })
    return render(request, "reports/kpi.html", context)


@login_required
@require_GET
def kpi_export_view(request):
    user = request.user
    _require_report(user)
    year, error = _year(request.GET.get("year"))
    fmt = request.GET.get("format", "csv")
    if error or fmt not in ("csv", "xlsx"):
        messages.error(request, error or _("Unknown file format: choose CSV or XLSX."))
        return HttpResponseRedirect(reverse("reports:kpi"))
    figures = services.report_figures(user=user, kind=SnapshotKind.KPI, year=year)
    return kpi_response(figures.data, fmt=fmt)


@login_required
@require_POST
def refresh_view(request):
    """Recompute the caller's own cached figures now (the KPI report of a year, or the dashboard's totals)."""
    user = request.user
    kind = request.POST.get("report", "")
    if kind == SnapshotKind.KPI:
        _require_report(user)
        year, error = _year(request.POST.get("year"))
        if error:
            messages.error(request, error)
            return HttpResponseRedirect(reverse("reports:kpi"))
        services.report_figures(user=user, kind=kind, year=year, refresh=True)
        fallback = f"{reverse('reports:kpi')}?year={year}"
    elif kind == SnapshotKind.RECEIVABLES:
        services.report_figures(user=user, kind=kind, refresh=True)
        fallback = reverse("web:dashboard")
    elif kind in ANALYTICS_SUBJECTS:
        subject = ANALYTICS_SUBJECTS[kind]
        analytics_require(user, subject)
        services.report_figures(user=user, kind=kind, refresh=True)
        fallback = reverse("reports:abc", args=[subject])
    elif kind in (SnapshotKind.COHORTS, SnapshotKind.FORECAST):
        analytics_require(user, "clients")
        if kind == SnapshotKind.FORECAST:
            _require_report(user)
        services.report_figures(user=user, kind=kind, refresh=True)
        fallback = reverse("reports:cohorts" if kind == SnapshotKind.COHORTS else "reports:forecast")
    else:
        messages.error(request, _("Unknown report: nothing was recomputed."))
        return HttpResponseRedirect(reverse("web:dashboard"))
    messages.success(request, _("Figures recomputed."))
    return HttpResponseRedirect(safe_next(request, fallback))
