"""The worker's side of a 1C catalog exchange: importing one uploaded file, the states of a session's files, and
the end of an exchange (deactivating what a full catalog no longer lists).

Below the Huey tasks (`onec.tasks`) that call it. Where the end of an exchange must be handed to the
worker, the caller passes how (`queue`): this module never imports the tasks.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import PurePosixPath

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.core.context import change_context
from raccordo.core.errors import exception_text
from raccordo.core.models import Origin
from raccordo.exchange.engine import RunRecorder, finish_run, start_run
from raccordo.exchange.formats.commerceml import reader as cml_reader
from raccordo.exchange.importers.catalog import CatalogImporter
from raccordo.exchange.models import Run, RunStatus
from raccordo.exchange.services import exchange_import

from .models import FileKind, FileStatus, OneCFile, OneCSession, SessionStatus
from .protocol import ProtocolError, onec_settings, worker_stall

log = logging.getLogger(__name__)

# How the end of an exchange is handed to the worker: called with the session's id once it is decided.
Queue = Callable[[object], None]


def run_summary(run: Run) -> str:
    """The counters of a file's run, as 1C's answer and the file's message show them."""
    return (_("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, failed %(failed)s, "
              "deactivated %(deactivated)s") % run.counters())


def file_failed(run: Run) -> bool:
    """Whether a file could not be read at all (the engine then writes nothing of it)."""
    return run.status in (RunStatus.FAILED, RunStatus.STOPPED) or run.items.filter(object_type="file").exists()


def failure_reason(run: Run) -> str:
    """Why a file's import failed: its first file-level or failed item (with where), else the run's message."""
    item = run.items.filter(object_type="file").first() or run.items.filter(outcome="failed").first()
    if item is not None:
        where = f" ({item.file}{':' + str(item.line) if item.line else ''})" if item.file else ""
        return f"{item.message}{where}"
    return run.message or _("The import failed.")


def _finishing_elsewhere(session: OneCSession) -> bool:
    """Whether the end of an earlier exchange of the node is still being computed."""
    return OneCSession.objects.filter(node_id=session.node_id, finish_run__status=RunStatus.RUNNING).exclude(
        pk=session.pk).exists()


def file_import(file_id) -> Run | None:
    """The worker's part of `import`: run the engine on one file of a session (no deactivation yet)."""
    record = OneCFile.objects.select_related("session__node", "run").filter(pk=file_id).first()
    if record is None or record.run is None or record.run.status != RunStatus.RUNNING:
        return None   # already done (a task delivered twice) or forgotten
    # The previous exchange's end reads what it listed and deactivates the rest: this exchange's goods
    # must not be written under it (two worker threads take tasks in any order).
    deadline = time.monotonic() + worker_stall()
    while _finishing_elsewhere(record.session) and time.monotonic() < deadline:
        time.sleep(0.2)
    run = exchange_import(paths=[record.path], node=record.session.node, run=record.run, deactivate=False)
    failed = file_failed(run)
    OneCFile.objects.filter(pk=record.pk).update(
        status=FileStatus.FAILED if failed else FileStatus.IMPORTED,
        message=failure_reason(run)[:2000] if failed else run_summary(run))
    return run


def xml_states(session: OneCSession) -> set[str]:
    """The states (see file_state) of a session's CommerceML files: whether its exchange can end."""
    return {file_state(f) for f in session.files.filter(kind=FileKind.XML).select_related("run")}


def file_state(record: OneCFile) -> str:
    """pending / importing / imported / failed, from the file's run (its status field may lag behind)."""
    run = record.run
    if run is None:
        return "pending"
    if run.status == RunStatus.RUNNING:
        return "importing"
    return "failed" if file_failed(run) else "imported"


def session_importing(session: OneCSession) -> bool:
    """Whether a run of this session (a file's import or the end of the exchange) is running right now."""
    if session.files.filter(run__status=RunStatus.RUNNING).exists():
        return True
    return bool(session.finish_run_id
                and Run.objects.filter(pk=session.finish_run_id, status=RunStatus.RUNNING).exists())


def session_finish_start(*, session: OneCSession, explicit: bool, queue: Queue, every_catalog: bool = False,
                         since: dt.datetime | None = None) -> Run | None:
    """End a catalog exchange, once: start the run that deactivates what a full catalog did not list.

    An exchange ends at 1C's `complete` or `deactivate` (explicit), when 1C starts the next exchange of
    the node, or after the node's `snapshot_idle` seconds without a request (see `sessions_finish_idle`).
    Deactivation needs every CommerceML file of the exchange imported without a file-level failure;
    otherwise the exchange ends deactivating nothing (explicit: 1C is told why). every_catalog=True is
    `mode=deactivate`: every catalog the exchange listed counts as sent whole, and the files of the
    node's exchanges begun since `since` (its `timestamp`) count as listed too. The run is None when
    there is nothing to deactivate. `queue` hands the session's id to the worker (`session_finish`) once
    this transaction commits.
    """
    with transaction.atomic():
        session = OneCSession.objects.select_for_update(of=("self",)).select_related("node").get(pk=session.pk)
        if session.finish_run_id:
            return Run.objects.get(pk=session.finish_run_id)
        xml = list(session.files.filter(kind=FileKind.XML).select_related("run"))
        states = [file_state(f) for f in xml]
        if not xml or any(state != "imported" for state in states):
            if explicit and xml and "importing" in states:
                raise ProtocolError(_("Not every file of the exchange has been imported yet."))
            if explicit and xml and any(state != "imported" for state in states):
                raise ProtocolError(_("Not every file of the exchange was imported: nothing is deactivated."))
            message = "" if all(state == "imported" for state in states) else _(
                "Not every file of the exchange was imported: nothing was deactivated.")
            OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE, message=message)
            return None
        run = start_run(node=session.node, kind="deactivate", files=[PurePosixPath(f.name).name for f in xml])
        run.params = {"every_catalog": every_catalog, "since": since.isoformat() if since else None,
                      "session": str(session.pk)}
        run.save(update_fields=["params"])
        session.finish_run = run
        session.save(update_fields=["finish_run", "updated_at"])
        queue(session.pk)
    return run


def _snapshot_files(session: OneCSession, since: dt.datetime | None) -> list[OneCFile]:
    """The CommerceML files one snapshot is made of: the session's, and with `deactivate&timestamp` those
    of the node's exchanges begun since then (1C's package export may span them)."""
    files = list(session.files.filter(kind=FileKind.XML).select_related("run").order_by("created_at"))
    if since is not None:
        earlier = (OneCFile.objects.filter(session__node_id=session.node_id, session__type="catalog",
                                           session__initialised_at__gte=since, session__files_removed=False,
                                           kind=FileKind.XML)
                   .exclude(session=session).select_related("run").order_by("created_at"))
        files = [f for f in earlier if file_state(f) == "imported" and f.path.exists()] + files
    return files


def session_finish(session_id) -> Run | None:
    """The worker's part of the end of an exchange: a full catalog deactivates the products it did not list.

    The files were imported one by one without deactivation; here their catalogs and their goods' and
    offers' ids are read again (reading only, no writes) and the engine's importer deactivates, in each
    catalog sent whole, the node's products of that catalog that none of them listed.
    """
    session = OneCSession.objects.select_related("node", "finish_run").filter(pk=session_id).first()
    if session is None or session.finish_run is None or session.finish_run.status != RunStatus.RUNNING:
        return None
    run = session.finish_run
    node = session.node
    params = run.params or {}
    since = dt.datetime.fromisoformat(params["since"]) if params.get("since") else None
    files = _snapshot_files(session, since)
    if any(file_state(f) != "imported" for f in files if f.session_id == session.pk):
        return finish_run(run, error=_("Not every file of the exchange was imported: nothing is deactivated."))
    recorder = RunRecorder(run)
    importer = CatalogImporter(node=node, recorder=recorder)
    try:
        with change_context(origin=Origin.EXCHANGE, node=node.code, request_id=f"run-{run.pk}"):
            for record in files:
                with record.path.open("rb") as raw:
                    for rec in cml_reader.read(raw):
                        importer.note_listed(rec)
            every = bool(params.get("every_catalog"))
            full = every or importer.full_snapshot
            importer.finish(all_files_ok=True, every_catalog=every)
    except Exception as exc:  # the run closes with its reason; the exchange's data stays as imported
        run.refresh_from_db()
        log.exception("1C session %s: deactivation failed", session.pk)
        return finish_run(run, error=f"{type(exc).__name__}: {exception_text(exc)}")
    finished = finish_run(run, note="" if full else _("Only changes were sent: nothing to deactivate."))
    OneCSession.objects.filter(pk=session.pk).update(status=SessionStatus.COMPLETE)
    return finished


def sessions_finish_idle(*, queue: Queue, now: dt.datetime | None = None) -> int:
    """End the catalog exchanges that 1C left open and idle for their node's `snapshot_idle` seconds.

    Run by the worker every minute; returns how many exchanges it ended.
    """
    now = now or timezone.now()
    ended = 0
    for session in (OneCSession.objects.filter(type="catalog", status=SessionStatus.OPEN, finish_run__isnull=True,
                                               initialised_at__isnull=False)
                    .select_related("node").order_by("initialised_at")):
        cfg = onec_settings(session.node)
        if session.last_seen_at > now - dt.timedelta(seconds=cfg.snapshot_idle):
            continue
        if session.files.filter(run__status=RunStatus.RUNNING).exists():
            continue
        session_finish_start(session=session, explicit=False, queue=queue)
        ended += 1
    return ended
