"""The funnel conversion page: a funnel, a period and a manager to pick; the figures (cached per choice, like the
other analytics pages), their XLSX, and recomputing them on request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.access.policy import allows
from raccordo.sales.selectors import funnel_list
from raccordo.web.charts import Series, chart_data
from raccordo.web.exports import table_response
from raccordo.web.views.base import safe_next

from .. import services
from ..models import SnapshotKind
from ..periods import DynamicPeriod
from .funnel import FunnelQuery, funnel_managers, funnel_query


def _query(request, data) -> FunnelQuery:
    """The page's choices, checked against what the reader may see: 404 without deals or for a hidden funnel."""
    if not allows(request.user, "view", "deals"):
        raise Http404
    query = funnel_query(user=request.user, data=data)
    if query is None:
        raise Http404
    return query


def funnel_chart(total: dict) -> dict:
    """The funnel drawn: deals that reached each stage (bars) and the share of the deals entered (a line on the
    0-100 % scale), stage by stage in the funnel's order."""
    stages = total["stages"]
    return chart_data([s["name"] for s in stages], [
        Series(_("Deals reached"), "items", [s["reached"] for s in stages]),
        Series(_("From the first step"), "rate", [s["from_first"] for s in stages], kind="line", axis="percent"),
    ])


def _address(query: FunnelQuery) -> str:
    """The query string of the page showing `query`."""
    return urlencode({"funnel": query.funnel.pk, "period": query.period,
                      **({"manager": query.manager.pk} if query.manager else {})})


@login_required
@require_GET
def funnel_view(request):
    user = request.user
    query = _query(request, request.GET)
    figures = services.report_figures(user=user, kind=SnapshotKind.FUNNEL, params=query.key)
    data = figures.data
    return render(request, "reports/analytics/funnel.html", {
        "figures": figures, "data": data, "query": query, "address": _address(query),
        "funnels": funnel_list(user=user).order_by("order", "name"), "periods": DynamicPeriod.choices,
        "managers": funnel_managers(user=user, funnel=query.funnel),
        "open_steps": [s for s in data["total"]["stages"] if s["kind"] == "open"],
        "chart": funnel_chart(data["total"]),
        "may_products": all(allows(user, "view", s) for s in ("payments", "invoices")),
    })


@login_required
@require_POST
def funnel_refresh_view(request):
    """Recompute the reader's figures for the page's choices now."""
    query = _query(request, request.POST)
    services.report_figures(user=request.user, kind=SnapshotKind.FUNNEL, params=query.key, refresh=True)
    messages.success(request, _("Figures recomputed."))
    return HttpResponseRedirect(safe_next(request, f"{reverse('reports:funnel')}?{_address(query)}"))


def _export_rows(data: dict) -> list[dict]:
    everyone = _("All managers")
    parts = [(everyone, data["total"])] + [(m["name"] or _("Nobody"), m) for m in data["managers"]]
    rows = []
    for name, part in parts:
        rows.extend({"who": name, **step} for step in part["stages"])
        rows.extend({"who": name, "name": _("Lost at “%(stage)s”") % {"stage": lost["name"]},
                     "reached": lost["reached"], "share": lost["share"]} for lost in part["lost_stages"])
        rows.append({"who": name, "name": _("Deals entered"), "reached": part["entered"], "won": part["won"],
                     "lost": part["lost"], "win_rate": part["win_rate"]})
    return rows


@login_required
@require_GET
def funnel_export_view(request):
    """The page's tables as XLSX: every stage for everyone and for each manager, one row each."""
    query = _query(request, request.GET)
    data = services.report_figures(user=request.user, kind=SnapshotKind.FUNNEL, params=query.key).data
    # Translated apart and then given their unit: a message with "%" would need a second, doubled, catalog entry.
    first, previous, share = _("From the first step"), _("From the previous step"), _("Share of the deals entered")
    columns = [(_("Manager"), lambda r: r["who"]), (_("Stage"), lambda r: r["name"]),
               (_("Deals reached"), lambda r: r.get("reached")),
               (f"{first}, %", lambda r: r.get("from_first")), (f"{previous}, %", lambda r: r.get("from_previous")),
               (f"{share}, %", lambda r: r.get("share")),
               (_("Visits begun"), lambda r: r.get("visits")),
               (_("Average days in stage"), lambda r: r.get("avg_days")),
               (_("Median days in stage"), lambda r: r.get("median_days")),
               (_("Won"), lambda r: r.get("won")), (_("Lost"), lambda r: r.get("lost")),
               (_("Win rate, %"), lambda r: r.get("win_rate"))]
    summary = [(_("Funnel"), data["funnel_name"]), (_("From"), data["start"]), (_("To"), data["end"]),
               (_("Manager"), str(query.manager) if query.manager else _("All managers"))]
    return table_response(_export_rows(data), columns, basename="funnel", fmt="xlsx", summary=summary)
