"""The funnel board: a kanban of one funnel's deals per stage, moved by drag-and-drop (deal_move, journaled)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.core.errors import ApplicationError
from raccordo.sales.models import StageKind
from raccordo.sales.selectors import deal_board, deal_get, deal_stage_totals
from raccordo.sales.services import deal_move

from .. import reference
from .base import error_text, get_or_404, is_htmx

CARDS_PER_STAGE = 100


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


def _date(value: str):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _board_context(request) -> dict:
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    funnels = reference.funnels(user).order_by("order", "name")
    funnel = funnels.filter(pk=_uuid(params.get("funnel", ""))).first() if _uuid(params.get("funnel", "")) else None
    funnel = funnel or funnels.filter(is_default=True).first() or funnels.first()
    # Names of colleagues are not client data; the deals shown are still narrowed by the access policy.
    from django.contrib.auth import get_user_model

    managers = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
    manager_id = params.get("manager", "")
    manager = user if manager_id == "me" else (managers.filter(pk=_uuid(manager_id)).first()
                                               if _uuid(manager_id) else None)
    tags = reference.tags(user)
    tag = tags.filter(pk=_uuid(params.get("tag", ""))).first() if _uuid(params.get("tag", "")) else None
    date_from, date_to = _date(params.get("from", "")), _date(params.get("to", ""))
    show_closed = params.get("closed", "1") != "0"
    columns = []
    if funnel is not None:
        deals = deal_board(user=user, funnel=funnel, manager=manager, date_from=date_from, date_to=date_to, tag=tag,
                           show_closed=show_closed)
        totals = deal_stage_totals(deals)
        by_stage: dict = {}
        for deal in deals.select_related("counterparty", "manager")[:CARDS_PER_STAGE * 20]:
            by_stage.setdefault(deal.stage_id, []).append(deal)
        for stage in reference.stages(user).filter(funnel=funnel).order_by("order"):
            if not show_closed and stage.kind != StageKind.OPEN:
                continue
            total = totals.get(stage.pk, {"count": 0, "amounts": {}})
            columns.append({"stage": stage, "deals": by_stage.get(stage.pk, [])[:CARDS_PER_STAGE],
                            "count": total["count"], "amounts": total["amounts"]})
    return {"funnel": funnel, "funnels": funnels, "columns": columns, "managers": managers, "manager": manager,
            "manager_id": manager_id, "tags": tags, "tag": tag, "date_from": date_from, "date_to": date_to,
            "show_closed": show_closed, "filters": {k: params.get(k, "") for k in ("manager", "tag", "from", "to")}}


@login_required
def board_view(request):
    context = _board_context(request)
    template = "web/board/_board.html" if is_htmx(request) else "web/board/board.html"
    return render(request, template, context)


@login_required
@require_POST
def board_move_view(request, pk):
    """Drop a deal on a stage: deal_move does it (a lost stage needs a reason); the board is drawn again."""
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    stage = reference.stages(request.user).filter(pk=_uuid(request.POST.get("stage", ""))).first()
    if stage is None:
        messages.error(request, _("Choose a stage."))
    else:
        try:
            deal_move(user=request.user, deal=deal, stage=stage, lost_reason=request.POST.get("lost_reason", "").strip())
        except (ValidationError, ApplicationError) as exc:
            # The board is drawn again as it is, so the card goes back to where it was, and the toast says why.
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("“%(deal)s” moved to “%(stage)s”.") % {"deal": deal.title, "stage": stage.name})
    return render(request, "web/board/_board.html", {**_board_context(request), "with_messages": True})
