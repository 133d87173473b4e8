"""Exchange pages: runs with their counters and errors (administrators and accountants; others get a 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from raccordo.access.policy import allows
from raccordo.core.models import ChangeJournal
from raccordo.web.views.base import ListPage, get_or_404

from . import selectors

# Where a journaled record of the exchange opens in the web interface.
RECORD_PAGES = {
    "catalog.product": "web:product_detail",
    "sales.invoice": "web:invoice_detail",
    "parties.counterparty": "web:counterparty_detail",
}


def _admin_only(request) -> None:
    # The exchange is invisible, not forbidden, to people outside it (as everywhere else).
    if not allows(request.user, "view", "exchange"):
        raise Http404


def record_url(label: str, object_id) -> str | None:
    name = RECORD_PAGES.get(label)
    if not name:
        return None
    try:
        return reverse(name, args=[object_id])
    except NoReverseMatch:
        return None


@login_required
def run_list(request):
    _admin_only(request)
    listing = ListPage(request, sorts={"started": "started_at", "status": "status"}, default_sort="-started")
    qs = selectors.run_list(user=request.user)
    if listing.q:
        qs = qs.filter(files__icontains=listing.q)
    return listing.render(qs, template="exchange/run_list.html", partial="exchange/_run_table.html")


@login_required
def run_detail(request, pk):
    _admin_only(request)
    run = get_or_404(selectors.run_get, user=request.user, pk=pk)
    errors = list(selectors.run_errors(run=run)[:500])
    changes = (ChangeJournal.objects.filter(request_id=f"run-{run.pk}").select_related("content_type")
               .order_by("seq")[:200])
    touched = [{"entry": e, "url": record_url(f"{e.content_type.app_label}.{e.content_type.model}", e.object_id)}
               for e in changes]
    context = {"run": run, "errors": errors, "error_total": selectors.run_errors(run=run).count(),
               "touched": touched, "running": run.status == "running"}
    template = "exchange/_run_progress.html" if request.headers.get("HX-Request") == "true" else "exchange/run_detail.html"
    return render(request, template, context)
