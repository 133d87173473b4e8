"""The funnel board: a kanban of one funnel's deals per stage, moved by drag-and-drop (deal_move, journaled)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from raccordo.access.policy import team_members
from raccordo.core.errors import ApplicationError
from raccordo.core.ids import parse_uuid
from raccordo.core.keyset import after_q, decode_cursor, encode_cursor, row_values, sort_keys
from raccordo.sales.models import Deal, StageKind
from raccordo.sales.selectors import deal_board, deal_get, deal_stage_totals, default_funnel
from raccordo.sales.services import deal_move

from .. import reference
from .base import error_text, get_or_404, is_htmx

# Cards drawn per column at first; "Show more" brings the next ones. A column holds the newest deals of its
# stage, read by the (stage, -created_at) index, so the board costs the same at 100 or 100,000 deals.
CARDS_PER_STAGE = 20
CARD_KEYS = sort_keys(["-created_at"])


def _date(value: str):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _board_context(request, *, cards: bool = True) -> dict:
    """The board under the request's filters; without `cards`, only its columns (what "Show more" needs)."""
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    funnels = reference.funnels(user).order_by("order", "name")
    funnel = funnels.filter(pk=parse_uuid(params.get("funnel", ""))).first() if parse_uuid(params.get("funnel", "")) else None
    funnel = funnel or default_funnel(user=user)
    # The people whose deals the user sees by scope (a head: her departments), not every colleague in the company.
    managers = team_members(user).order_by("last_name", "first_name", "username")
    manager_id = params.get("manager", "")
    # A link may name anyone (a shared client's manager): the filter applies, the policy still narrows the deals.
    manager = user if manager_id == "me" else (get_user_model().objects.filter(pk=parse_uuid(manager_id)).first()
                                               if parse_uuid(manager_id) else None)
    tags = reference.tags(user)
    tag = tags.filter(pk=parse_uuid(params.get("tag", ""))).first() if parse_uuid(params.get("tag", "")) else None
    date_from, date_to = _date(params.get("from", "")), _date(params.get("to", ""))
    show_closed = params.get("closed", "1") != "0"
    columns = []
    if funnel is not None:
        deals = deal_board(user=user, funnel=funnel, manager=manager, date_from=date_from, date_to=date_to, tag=tag,
                           show_closed=show_closed)
        totals = deal_stage_totals(deals) if cards else {}
        stages = [stage for stage in reference.stages(user).filter(funnel=funnel).order_by("order")
                  if show_closed or stage.kind == StageKind.OPEN]
        urls = _CardUrls()
        for stage in stages:
            total = totals.get(stage.pk, {"count": 0, "amounts": {}})
            shown, more = _stage_cards(deals, stage, urls=urls) if total["count"] else ([], "")
            columns.append({"stage": stage, "deals": shown, "more": more, "count": total["count"],
                            "amounts": total["amounts"]})
        for column in columns:
            column["move_options"] = _move_options(columns, column["stage"])
    else:
        deals = None
    return {"funnel": funnel, "funnels": funnels, "columns": columns, "managers": managers, "manager": manager,
            "manager_id": manager_id, "tags": tags, "tag": tag, "date_from": date_from, "date_to": date_to,
            "show_closed": show_closed, "filters": {k: params.get(k, "") for k in ("manager", "tag", "from", "to")},
            "deals": deals}


class _CardUrls:
    """A card's links made from one reversed URL each, not reversed per card (hundreds of cards per board)."""

    _PLACEHOLDER = "00000000-0000-0000-0000-000000000000"

    def __init__(self):
        self.detail = reverse("web:deal_detail", args=[self._PLACEHOLDER])
        self.move = reverse("web:board_move", args=[self._PLACEHOLDER])

    def attach(self, deal: Deal) -> Deal:
        pk = str(deal.pk)
        deal.detail_url = self.detail.replace(self._PLACEHOLDER, pk)
        deal.move_url = self.move.replace(self._PLACEHOLDER, pk)
        return deal


def _stage_cards(deals, stage, *, urls: _CardUrls, after=None) -> tuple[list[Deal], str]:
    """The next CARDS_PER_STAGE deals of one stage, newest first, and the cursor of the page after them ("" if
    none): one query that walks the stage's (stage, -created_at) index."""
    qs = deals.filter(stage=stage).order_by(   # deal_list already joins counterparty and manager
        *(k.order_by for k in CARD_KEYS))
    if after is not None:
        qs = qs.filter(after_q(CARD_KEYS, after))
    cards = [urls.attach(d) for d in qs[:CARDS_PER_STAGE + 1]]
    more = encode_cursor(row_values(cards[CARDS_PER_STAGE - 1], CARD_KEYS)) if len(cards) > CARDS_PER_STAGE else ""
    return cards[:CARDS_PER_STAGE], more


def _move_options(columns: list[dict], current) -> str:
    """The stage menu of every card of a column, drawn once per column rather than once per card."""
    return format_html_join("", '<option value="{}" data-kind="{}"{}>{}</option>',
                            ((c["stage"].pk, c["stage"].kind, mark_safe(" selected") if c["stage"].pk == current.pk
                              else "", c["stage"].name) for c in columns))


@login_required
def board_view(request):
    if is_htmx(request) and request.GET.get("after"):
        return _more_cards(request)
    context = _board_context(request)
    template = "web/board/_board.html" if is_htmx(request) else "web/board/board.html"
    return render(request, template, context)


def _more_cards(request):
    """The next cards of one column ("Show more"), under the same filters as the board they are added to."""
    context = _board_context(request, cards=False)
    column = next((c for c in context["columns"] if str(c["stage"].pk) == request.GET.get("stage", "")), None)
    cursor = decode_cursor(request.GET.get("after", ""), Deal, CARD_KEYS)
    cards, more = [], ""
    if column is not None and cursor is not None:
        cards, more = _stage_cards(context["deals"], column["stage"], urls=_CardUrls(), after=cursor.values)
    return render(request, "web/board/_more_cards.html", {**context, "col": column, "cards": cards, "more": more})


@login_required
@require_POST
def board_move_view(request, pk):
    """Drop a deal on a stage: deal_move does it (a lost stage needs a reason); the board is drawn again."""
    deal = get_or_404(deal_get, user=request.user, pk=pk)
    stage = reference.stages(request.user).filter(pk=parse_uuid(request.POST.get("stage", ""))).first()
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
