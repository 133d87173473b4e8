"""The background worker's side of a run a person prepared (a tabular import from the web, a retry of failed
records): claiming it once, doing what its parameters say, and telling whether it still waits for a worker.

Below the Huey task (`tasks.run_job`) that calls it; preparing and queuing runs is `runs`.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.core.context import change_context

from .engine import finish_run
from .models import Run, RunStatus
from .services import exchange_import
from .tabular import tabular_import

log = logging.getLogger(__name__)


def queue_stall() -> int:
    """Seconds a queued run may wait before its page says the background worker does not seem to run."""
    return int(getattr(settings, "EXCHANGE_QUEUE_STALL", 60))


def is_queued(run: Run) -> bool:
    """A run handed to the worker that the worker has not started yet."""
    params = run.params or {}
    return run.status == RunStatus.RUNNING and bool(params.get("queued_at")) and not params.get("picked_at")


def queued_too_long(run: Run, *, now: dt.datetime | None = None) -> bool:
    """A queued run no worker has picked up within EXCHANGE_QUEUE_STALL seconds."""
    if not is_queued(run):
        return False
    queued = dt.datetime.fromisoformat(run.params["queued_at"])
    return (now or timezone.now()) - queued > dt.timedelta(seconds=queue_stall())


def _claim(run_id) -> Run | None:
    """Mark a queued run as started by this worker; None when it is not there, not running or taken already."""
    with transaction.atomic():
        # of=("self",): PostgreSQL locks no row of an outer join (the run's node and user may be null).
        run = (Run.objects.select_for_update(of=("self",)).select_related("node", "user").filter(pk=run_id)
               .first())
        if run is None or run.status != RunStatus.RUNNING or (run.params or {}).get("picked_at"):
            return None
        now = timezone.now()
        run.params = {**(run.params or {}), "picked_at": now.isoformat()}
        run.started_at = now   # the run's own time starts now; params keep when it was queued
        run.save(update_fields=["params", "started_at"])
    return run


def run_execute(run_id, progress=None) -> Run | None:
    """The worker's part of a run prepared by `tabular_start` or `run_retry`: do what its parameters say.

    A run delivered twice, or already finished, is left alone. The run is closed with the reason
    whatever happens, so its page never stays "running" after the worker gave up on it.
    """
    run = _claim(run_id)
    if run is None:
        return None
    params = run.params
    user = run.user
    if user is not None and not user.is_active:
        return finish_run(run, error=_("The person who started the run is switched off: nothing was done."))
    try:
        with change_context(origin=params.get("origin") or None):
            if params.get("action") == "tabular":
                return tabular_import(path=params["path"], kind=params["kind"], user=user,
                                      mapping=params.get("mapping") or None, on_duplicate=params["on_duplicate"],
                                      dry_run=bool(params.get("dry_run")), file_name=params.get("file_name", ""),
                                      run=run, lines=params.get("lines"), node=run.node, progress=progress)
            if params.get("action") == "import":
                only = params.get("only")
                return exchange_import(paths=params["paths"], node=run.node, user=user, run=run,
                                       on_record_error=run.on_record_error, deactivate=False,
                                       only=set(only) if only is not None else None, progress=progress)
    except Exception as exc:  # the run closes with its reason; the worker logs the rest
        log.exception("run %s failed", run.pk)
        run.refresh_from_db()
        if run.status == RunStatus.RUNNING:
            finish_run(run, error=f"{type(exc).__name__}: {exc}")
        raise
    return finish_run(run, error=_("Unknown kind of run: nothing was done."))
