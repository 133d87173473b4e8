"""The counterparty card's activity feed: its next pages ("show more") and the composer that logs a call or a
note in place (htmx: the new line goes on top of the feed, the page stays)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from raccordo.activities.feed import feed_page, interaction_item
from raccordo.activities.services import interaction_log
from raccordo.core.errors import ApplicationError
from raccordo.parties.selectors import counterparty_get

from ..forms import InteractionForm
from .base import apply_errors, get_or_404, is_htmx
from .parties import _counterparty_card

SERVICE_ERRORS = (ValidationError, ApplicationError)


@login_required
@require_GET
def counterparty_feed_view(request, pk):
    """The feed's lines older than `?before=` (an ISO time the previous page gave), with the next "show more"."""
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    before = parse_datetime(request.GET.get("before", "")[:40])
    page = feed_page(user=request.user, counterparty=counterparty, before=before)
    return render(request, "web/counterparties/_feed_items.html", {"object": counterparty, "feed": page})


def _log(request, counterparty, form) -> bool:
    """Log the composer's entry through the activities service; False (with the errors on the form) if refused."""
    if not form.is_valid():
        return False
    data = form.service_data()
    if not data.get("occurred_at"):
        data.pop("occurred_at", None)
    try:
        form.instance = interaction_log(user=request.user, data={**data, "counterparty": counterparty})
    except SERVICE_ERRORS as exc:
        apply_errors(form, exc)
        return False
    return True


@login_required
@require_POST
def counterparty_log_view(request, pk):
    counterparty = get_or_404(counterparty_get, user=request.user, pk=pk)
    form = InteractionForm(request.POST)
    done = _log(request, counterparty, form)
    if is_htmx(request):
        # The composer answers with itself (empty again, or with the errors by the fields) and, once logged,
        # the new line for the top of the feed (an out-of-band swap).
        context = {"object": counterparty, "log_form": InteractionForm() if done else form,
                   "new_item": interaction_item(form.instance) if done else None}
        return render(request, "web/counterparties/_composer.html", context)
    if done:
        messages.success(request, _("Logged."))
        return redirect(reverse("web:counterparty_detail", args=[counterparty.pk]) + "?tab=activity")
    return _counterparty_card(request, counterparty, tab="activity", log_form=form)
