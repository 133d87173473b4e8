"""A deal's stays on its funnel's stages (DealStageVisit), kept by the deal services as they create and move deals.

Only `deal_create` and `deal_move` call these, inside their own transaction, after the deal row is written: a move
that is refused (or fails) leaves no visit behind, and a visit never exists for a move that did not happen.
"""

from __future__ import annotations

import datetime as dt

from ..models import Deal, DealStageVisit


def stage_visit_open(*, deal: Deal, at: dt.datetime) -> DealStageVisit:
    """The deal has just entered its (current) stage at `at`: open its visit there, with its manager."""
    return DealStageVisit.objects.create(deal=deal, funnel_id=deal.funnel_id, stage_id=deal.stage_id,
                                         manager_id=deal.manager_id, entered_at=at)


def stage_visit_move(*, deal: Deal, previous_stage_id, at: dt.datetime) -> DealStageVisit:
    """The deal has just moved from `previous_stage_id` to its stage at `at`: close the open visit, open the next."""
    current = DealStageVisit.objects.select_for_update().filter(deal=deal, left_at__isnull=True).first()
    if current is not None:
        # Two processes' clocks may differ by a little: a visit never ends before it began.
        at = max(at, current.entered_at)
        DealStageVisit.objects.filter(pk=current.pk).update(left_at=at)
    elif not DealStageVisit.objects.filter(deal=deal).exists():
        # A deal written without the services (bulk seeding, an old import) has no history: it stood on the
        # stage it leaves now since it was created, as the backfill (sales 0012) assumes for such deals too.
        entered = min(deal.created_at, at)
        DealStageVisit.objects.create(deal=deal, funnel_id=deal.funnel_id, stage_id=previous_stage_id,
                                      manager_id=deal.manager_id, entered_at=entered, left_at=at)
    return stage_visit_open(deal=deal, at=at)
