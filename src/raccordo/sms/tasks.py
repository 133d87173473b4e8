"""Background work of SMS: a mass send, step by step at the provider's rate (Huey)."""

from __future__ import annotations

import logging

from huey.contrib.djhuey import db_task

from .campaigns import campaign_step
from .models import SmsCampaign

log = logging.getLogger(__name__)


@db_task()
def campaign_run_task(campaign_id) -> None:
    """Send what the rate allows now, then come back when the next minute's budget opens (no sleeping worker)."""
    campaign = SmsCampaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        return
    wait = campaign_step(campaign=campaign)
    if wait is not None:
        campaign_run_task.schedule(args=(campaign_id,), delay=max(wait, 1.0))
