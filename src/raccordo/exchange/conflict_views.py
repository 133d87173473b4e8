"""Settling a run's conflicts from its page (administrators and accountants: whoever may view the exchange)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from raccordo.access.policy import allows
from raccordo.core.errors import ApplicationError

from . import selectors
from .conflict_review import conflict_list, conflict_resolve


@login_required
@require_POST
def conflict_resolve_view(request, pk, item):
    """Take accounting's value or keep the CRM's for one conflict left to ask; htmx swaps the section."""
    if not allows(request.user, "view", "exchange"):
        raise Http404
    try:
        run = selectors.run_get(user=request.user, pk=pk)
    except ApplicationError as exc:
        raise Http404 from exc
    # A conflict of a record the person does not see does not exist for them (conflict_list narrows).
    found = get_object_or_404(conflict_list(user=request.user, run=run), pk=item)
    error = ""
    try:
        conflict_resolve(user=request.user, item=found, choice=request.POST.get("choice", ""))
    except ApplicationError as exc:
        error = exc.message
    if request.headers.get("HX-Request") == "true":
        return render(request, "exchange/_run_conflicts.html", {"run": run, "conflict_error": error},
                      status=422 if error else 200)
    if error:
        messages.error(request, error)
    return redirect(f"{reverse('exchange:run_detail', args=[run.pk])}#conflicts")
