"""Write services for deals: open, change, move through the funnel's stages, set their lines.

A deal's stage changes only through `deal_move` (a lost stage needs a reason, a won or lost one
closes the deal); `deal_update` refuses `stage`, `funnel` and `closed_at`, and `deal_change` is the
one call that takes fields, a new stage and new lines together (the API's PATCH). `deal_create` and
`deal_move` also keep the deal's stage visits (sales.DealStageVisit, what the funnel analytics read) in
the same transaction: no caller has to remember them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.access.records import record_create, record_update
from raccordo.core.errors import ApplicationError, Conflict
from raccordo.core.journal import journal_record, snapshot
from raccordo.core.models import Operation

from .. import selectors
from ..models import Deal, DealLine, Funnel, Stage, StageKind
from ..pricing import document_totals
from .lines import ZERO, LineInput, build_lines, line_summary, replace_lines
from .stage_visits import stage_visit_move, stage_visit_open

# What a caller may set when opening a deal; the amount follows from the lines when lines are given.
DEAL_CREATE_FIELDS = ("title", "counterparty", "contact", "manager", "funnel", "stage", "amount", "currency",
                      "expected_close", "probability", "lost_reason", "description", "source_campaign")
# What a caller may change afterwards: not the funnel, the stage or closed_at, which only `deal_move` sets.
DEAL_UPDATE_FIELDS = ("title", "counterparty", "contact", "manager", "amount", "currency", "expected_close",
                      "probability", "lost_reason", "description", "source_campaign")
DEAL_MOVE_FIELDS = ("stage", "closed_at", "lost_reason")

# Who names a new deal's source campaign when its opener names none: the campaigns app registers its attribution
# rule (the client's last touch) from its AppConfig.ready(); sales does not know campaigns.
_source_finders: list[Callable[..., Any]] = []


def register_source_finder(finder: Callable[..., Any]) -> None:
    """Have `finder(counterparty, now=...)` suggest the source campaign of a deal opened for that counterparty at
    that moment (None: now)."""
    if finder not in _source_finders:
        _source_finders.append(finder)


def suggested_source(counterparty, *, now: dt.datetime | None = None) -> Any:
    """The campaign a new deal of `counterparty`, opened at `now` (None: now), is attributed to when nobody says
    otherwise, or None."""
    for finder in _source_finders:
        found = finder(counterparty, now=now)
        if found is not None:
            return found
    return None


def default_funnel() -> Funnel:
    """The funnel a new deal goes to when none is named: the default one, else the first."""
    funnel = selectors.default_funnel()
    if funnel is None:
        raise ApplicationError(_("No funnel is configured yet."), code="sales.funnel.missing")
    return funnel


@transaction.atomic
def deal_create(*, user, data: dict[str, Any], lines: list[LineInput] | None = None,
                now: dt.datetime | None = None) -> Deal:
    """Open a deal for a counterparty; it starts at the funnel's first stage unless a stage is given. A deal
    whose opener does not name a source campaign (an API call, a lead from a form or a call) is attributed to
    the one `suggested_source` gives; a source named empty stays empty.

    Its first stage visit begins at `now` (the deal's creation time when not given): the deal entered the funnel.
    """
    data = dict(data)
    if "source_campaign" not in data and data.get("counterparty") is not None:
        # Attributed as of the moment the deal is opened: a deal recorded afterwards (an import, `now` given)
        # looks at the touches before it, not at today's.
        data["source_campaign"] = suggested_source(data["counterparty"], now=now)
    stage = data.get("stage")
    data.setdefault("funnel", stage.funnel if stage else default_funnel())
    if not data.get("stage"):
        data["stage"] = data["funnel"].stages.order_by("order").first()
    if user is not None and not data.get("manager"):
        data["manager"] = user
    if lines:
        data["amount"] = ZERO
    deal = record_create(Deal, user=user, data=data, fields=DEAL_CREATE_FIELDS)
    stage_visit_open(deal=deal, at=now or deal.created_at)
    if lines:
        deal_set_lines(user=user, deal=deal, lines=lines)
    return deal


def deal_update(*, user, deal: Deal, data: dict[str, Any]) -> Deal:
    """Change a deal's fields; its stage is refused here, it moves with `deal_move` (or `deal_change`)."""
    if "stage" in data or "stage_id" in data:
        raise ApplicationError(_("A deal's stage changes by moving the deal, not by editing it."),
                               code="sales.deal.stage_by_move", extra={"field": "stage"})
    if "lost_reason" in data and not (data["lost_reason"] or "").strip() and deal.stage.kind == StageKind.LOST:
        # The rule deal_move keeps ("say why it was lost") holds for an edit too.
        raise ValidationError({"lost_reason": _("Say why the deal was lost.")})
    return record_update(deal, user=user, data=data, fields=DEAL_UPDATE_FIELDS)


@transaction.atomic
def deal_set_lines(*, user, deal: Deal, lines: list[LineInput]) -> Deal:
    """Replace a deal's lines; its amount becomes their total."""
    policy.require(user, "change", deal)
    built = build_lines(DealLine, "deal", deal, lines, vat_included=True)
    replace_lines(DealLine, "deal", deal, built)
    total = document_totals([t for _o, t in built]).total
    return record_update(deal, user=user, data={"amount": total}, fields=("amount",))


@transaction.atomic
def deal_move(*, user, deal: Deal, stage: Stage, lost_reason: str = "", now: dt.datetime | None = None) -> Deal:
    """Move a deal to another stage of its funnel; a won or lost stage closes it (at `now`, the current time
    when not given). The visit of the stage it leaves ends and one of the new stage begins at the same moment."""
    now = now or timezone.now()
    if stage.funnel_id != deal.funnel_id:
        raise ApplicationError(_("The stage belongs to another funnel."), code="sales.stage.wrong_funnel")
    if stage.kind == StageKind.LOST and not lost_reason and not deal.lost_reason:
        raise ValidationError({"lost_reason": _("Say why the deal was lost.")})
    data: dict[str, Any] = {"stage": stage}
    if stage.kind == StageKind.OPEN:
        data.update(closed_at=None, lost_reason="")
    else:
        data["closed_at"] = deal.closed_at or now
        if lost_reason:
            data["lost_reason"] = lost_reason
    previous_stage_id = deal.stage_id
    deal = record_update(deal, user=user, data=data, fields=DEAL_MOVE_FIELDS)
    # After the write, which checks access and validates: a refused move raises before any visit is touched.
    if deal.stage_id != previous_stage_id:
        stage_visit_move(deal=deal, previous_stage_id=previous_stage_id, at=now)
    return deal


@transaction.atomic
def deal_change(*, user, deal: Deal, data: dict[str, Any], stage: Stage | None = None,
                lines: list[LineInput] | None = None) -> Deal:
    """Change a deal in one call: move it when `stage` differs from its own (the move takes `lost_reason`
    from `data`), change the other fields, and replace its lines when `lines` is given."""
    data = dict(data)
    if stage is not None and stage.pk != deal.stage_id:
        deal = deal_move(user=user, deal=deal, stage=stage, lost_reason=data.pop("lost_reason", ""))
    if data:
        deal = deal_update(user=user, deal=deal, data=data)
    if lines is not None:
        deal = deal_set_lines(user=user, deal=deal, lines=lines)
    return deal


@transaction.atomic
def deal_delete(*, user, deal: Deal) -> None:
    """Delete a deal made by mistake, with its lines (journaled with its last state). A deal with invoices is
    refused: the invoices are the record of what was sold, so such a deal is closed as lost instead. Tasks and
    calls about it stay, without the link."""
    policy.require(user, "delete", deal)
    if deal.invoices.exists():
        raise Conflict(_("This deal has invoices, so it is not deleted: close it as lost instead."),
                       code="sales.deal.has_invoices")
    changes = {k: [v, None] for k, v in snapshot(deal).items()}
    changes["lines"] = [[line_summary(o) for o in deal.lines.all()], None]
    journal_record(obj=deal, operation=Operation.DELETE, changes=changes, user=user)
    deal.delete()
