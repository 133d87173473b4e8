"""The manager's start page and the global search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.shortcuts import render
from django.utils import timezone

from raccordo.activities.selectors import interaction_list, reminders_due, task_list
from raccordo.catalog.selectors import product_list
from raccordo.core.inputs import search_term
from raccordo.parties.selectors import contact_list, counterparty_list
from raccordo.reports.models import SnapshotKind
from raccordo.reports.services import report_figures
from raccordo.reports.team import team_overview
from raccordo.sales.selectors import deal_list, invoice_list

from .base import is_htmx

SEARCH_LIMIT = 8
# The dropdown shows a few deals and invoices: those of the first clients found are plenty.
CLIENTS_LIMIT = 200


@login_required
def dashboard_view(request):
    user = request.user
    now = timezone.now()
    tasks = task_list(user=user, mine=True, open_only=True).order_by(F("due_at").asc(nulls_last=True))
    # Receivable and overdue totals sum every visible open invoice: kept per access scope, refreshed by the worker.
    money = report_figures(user=user, kind=SnapshotKind.RECEIVABLES)
    return render(request, "web/dashboard.html", {
        "tasks": tasks[:15],
        "tasks_total": tasks.count(),
        "reminders": reminders_due(user=user)[:10],
        "deals": deal_list(user=user, filters={"state": "open", "mine": "1"}).order_by("expected_close", "-created_at")[:10],
        "interactions": interaction_list(user=user)[:10],
        "receivable": money.data["receivable"],
        "overdue": money.data["overdue"],
        "money_as_of": money.computed_at,
        "now": now,
        # A head's people with their pipeline and what is late (empty for someone who leads nobody).
        "team": team_overview(user=user),
    })


@login_required
def search_view(request):
    """Counterparties, contacts, deals, invoices and products matching `q` (name, INN, phone, e-mail, number)."""
    user = request.user
    q = search_term(request.GET.get("q"))
    groups = []
    if len(q) >= 2:
        # Deals and invoices of the clients the search index finds (by name, INN, phone, e-mail), besides
        # those whose own title or number holds the term: a list of ids, so each table is read through its
        # indexes (counterparty; a trigram index on title / number on PostgreSQL), not joined row by row.
        clients = list(counterparty_list(user=user, search=q).order_by().values_list("pk", flat=True)[:CLIENTS_LIMIT])
        groups = [
            ("counterparties", counterparty_list(user=user, search=q)[:SEARCH_LIMIT]),
            ("contacts", contact_list(user=user, search=q)[:SEARCH_LIMIT]),
            ("deals", deal_list(user=user).filter(Q(title__icontains=q) | Q(counterparty__in=clients))[:SEARCH_LIMIT]),
            ("invoices", invoice_list(user=user).filter(Q(number__icontains=q) | Q(counterparty__in=clients))
             [:SEARCH_LIMIT]),
            ("products", product_list(user=user, search=q)[:SEARCH_LIMIT]),
        ]
        groups = [(name, list(rows)) for name, rows in groups]
    found = any(rows for _name, rows in groups)
    template = "web/search/_dropdown.html" if is_htmx(request) else "web/search/results.html"
    return render(request, template, {"q": q, "search_q": q, "groups": dict(groups), "found": found})
