"""The catalog modes of the 1C protocol: `import` (unpack, then import within the time budget) and the end of an
exchange (`complete`, `deactivate`, a new exchange, an idle one).

The import itself runs in the background worker (`onec.tasks`); a request waits for it up to the
node's time budget and answers `progress` while it goes on.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import PurePosixPath

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.exchange.engine import start_run
from raccordo.exchange.models import Run, RunStatus

from . import catalog_import, tasks
from .catalog_import import failure_reason, file_failed, run_summary, xml_states
from .files import archive_unpack, find_file
from .models import FileKind, FileStatus, OneCFile, OneCSession, SessionStatus
from .protocol import (
    Answer,
    ProtocolError,
    onec_settings,
    progress,
    require_open,
    session_end,
    success,
    worker_stall,
)


def _wait(run: Run, budget: float) -> Run:
    """The run once the worker finished it, or as it stands after `budget` seconds.

    Polls the database in the request's own thread (finding §3.11 item 4): with synchronous server workers
    a 1C request holds one for up to the node's time budget. That is the protocol's trade-off (1C waits
    for `success` rather than asking again after every `progress`); the node's `time_budget` bounds it.
    """
    deadline = time.monotonic() + max(budget, 0)
    while True:
        run.refresh_from_db(fields=["status", "progress_done", "progress_total", "message", "created", "updated",
                                    "unchanged", "skipped", "failed", "deactivated", "started_at"])
        if run.status != RunStatus.RUNNING or time.monotonic() >= deadline:
            return run
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0.01)))


def _progress_answer(run: Run) -> Answer:
    if run.progress_done == 0 and run.started_at < timezone.now() - dt.timedelta(seconds=worker_stall()):
        raise ProtocolError(_("The import has not started: is the background worker running (raccordo serve)?"))
    total = max(run.progress_total, run.progress_done)
    percent = int(run.progress_done * 100 / total) if total else 0
    return progress(_("%(done)s of %(total)s bytes read (%(percent)s%%)")
                    % {"done": run.progress_done, "total": total, "percent": percent})


def enqueue(task_name: str, pk) -> None:
    """Hand work to the background worker once the transaction that prepared it is committed."""
    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task(str(pk)))



def session_finish_start(*, session: OneCSession, explicit: bool, every_catalog: bool = False,
                         since: dt.datetime | None = None) -> Run | None:
    """End a catalog exchange, once (see `catalog_import.session_finish_start`), in the background worker."""
    return catalog_import.session_finish_start(session=session, explicit=explicit, queue=tasks.finish_later,
                                               every_catalog=every_catalog, since=since)


def sessions_finish_idle(*, now: dt.datetime | None = None) -> int:
    """End the catalog exchanges 1C left open and idle (see `catalog_import.sessions_finish_idle`)."""
    return catalog_import.sessions_finish_idle(queue=tasks.finish_later, now=now)


def import_step(*, session: OneCSession, filename: str) -> Answer:
    """import: unpack archives first (one per request), then import the named file within the time budget."""
    require_open(session)
    cfg = onec_settings(session.node)
    refused = session.files.filter(kind=FileKind.ZIP, status=FileStatus.FAILED).first()
    if refused is not None:
        raise ProtocolError(refused.message or _("The archive was refused."))
    archive = session.files.filter(kind=FileKind.ZIP, status=FileStatus.UPLOADED).order_by("created_at").first()
    if archive is not None:
        try:
            count = archive_unpack(archive=archive)
        except ProtocolError as exc:
            OneCFile.objects.filter(pk=archive.pk).update(status=FileStatus.FAILED, message=exc.reason[:2000])
            raise
        OneCFile.objects.filter(pk=archive.pk).update(status=FileStatus.UNPACKED,
                                                      message=_("%(n)s files unpacked.") % {"n": count})
        return progress(_("Archive %(name)s unpacked: %(n)s files.") % {"name": archive.name, "n": count})

    record = find_file(session, filename)
    if record.kind != FileKind.XML:
        raise ProtocolError(_("Only CommerceML (.xml) files are imported: %(name)s") % {"name": record.name})
    with transaction.atomic():
        record = OneCFile.objects.select_for_update(of=("self",)).select_related("run").get(pk=record.pk)
        if record.run is None:
            record.run = start_run(node=session.node, files=[PurePosixPath(record.name).name])
            record.status = FileStatus.IMPORTING
            record.save(update_fields=["run", "status", "updated_at"])
            enqueue("import_file", record.pk)
    run = _wait(record.run, cfg.time_budget)
    if run.status == RunStatus.RUNNING:
        return _progress_answer(run)
    if file_failed(run):
        raise ProtocolError(failure_reason(run))
    # Not the end of the exchange, whatever the client's version: 1C may upload and import file by file,
    # and the next file can still belong to the same snapshot (see `session_finish_start`).
    return success(run_summary(run))



def _parse_timestamp(value: str | None) -> dt.datetime | None:
    """`deactivate`'s timestamp: the Unix time checkauth answered (Bitrix: what was not touched since)."""
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        raise ProtocolError(_("The timestamp is not a Unix time: %(value)s")
                            % {"value": (value or "")[:40]}) from None  # only a non-empty value reaches int()


def session_complete(*, session: OneCSession, deactivate: bool = False, timestamp: str | None = None) -> Answer:
    """deactivate / complete: the exchange is over; deactivate once every file succeeded.

    `complete` deactivates in the catalogs whose files say they are whole; `deactivate` (the end of a
    package export, whose files all say "changes only") in every catalog the exchange listed.
    """
    cfg = onec_settings(session.node)
    # A repeated `complete` (after `progress`) finds the session complete already: it learns the outcome.
    require_open(session, complete_too=True)
    try:
        since = _parse_timestamp(timestamp) if deactivate else None
        if since is not None and session.initialised_at is not None and since > session.initialised_at:
            since = None   # a timestamp after this exchange began adds nothing to it
        run = session_finish_start(session=session, explicit=True, every_catalog=deactivate, since=since)
        if run is None:
            _end_unless_deactivate(session, deactivate)
            return success()
        run = _wait(run, cfg.time_budget)
        if run.status == RunStatus.RUNNING:
            return _progress_answer(run)   # 1C asks again with the same token: it stays valid until then
        if run.status == RunStatus.FAILED:
            raise ProtocolError(run.message or _("The deactivation failed."))
    except ProtocolError:
        _end_unless_deactivate(session, deactivate)   # 1C ends the exchange at a failure too
        raise
    _end_unless_deactivate(session, deactivate)
    return success(_("deactivated %(n)s") % {"n": run.deactivated})


def _end_unless_deactivate(session: OneCSession, deactivate: bool) -> None:
    # 1C follows `deactivate` with `complete` on the same token; `complete` is the end.
    if deactivate:
        OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE)
    else:
        session_end(session=session)


def previous_exchanges_finish(session: OneCSession) -> None:
    """A new catalog exchange of a node ends the node's earlier ones that 1C never closed (older clients
    send no `complete`): their snapshots are taken as they stand, before anything new is imported."""
    cfg = onec_settings(session.node)
    earlier = (OneCSession.objects.filter(node_id=session.node_id, type="catalog", status=SessionStatus.OPEN,
                                          finish_run__isnull=True, initialised_at__isnull=False)
               .exclude(pk=session.pk).order_by("initialised_at"))
    for other in earlier:
        states = xml_states(other)
        if not states or states & {"importing", "pending"}:
            # Still importing (the new exchange is refused), or interrupted before its files were imported
            # (it is closed as replaced, deactivating nothing): see sessions._close_previous_sessions.
            continue
        run = session_finish_start(session=other, explicit=False)
        if run is not None:
            _wait(run, cfg.time_budget)
