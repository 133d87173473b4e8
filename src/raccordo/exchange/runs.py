"""Runs as people start, watch and retry them: runs handed to the background worker, the source files a
run keeps so it can be retried, retries of the failed records, and the run's report as rows.

Kept files live under ``VAR_DIR/runs/<run id>/``: the upload of a tabular import (moved there), a copy of
files imported from elsewhere (hard-linked when on the same file system). Files that are under the var
directory already (1C's uploads, kept per exchange session for the node's retention) are read where they
are. ``run_files_cleanup`` (a nightly periodic task) removes a run's directory ``EXCHANGE_RUN_FILES_KEEP_DAYS``
after the run (30 by default), or once the run is gone; a retry after that says the file is gone.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import allows
from raccordo.core.context import change_context, current
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.ids import parse_uuid
from raccordo.core.models import ChangeJournal

from .engine import finish_run, start_run
from .models import ExchangeNode, Run, RunItem, RunStatus
from .services import path_inside

log = logging.getLogger(__name__)

RUNS_DIR = "runs"


def keep_days() -> int:
    return int(getattr(settings, "EXCHANGE_RUN_FILES_KEEP_DAYS", 30))


def queue_stall() -> int:
    """Seconds a queued run may wait before its page says the background worker does not seem to run."""
    return int(getattr(settings, "EXCHANGE_QUEUE_STALL", 60))


class RetryImpossible(ApplicationError):
    """A run whose failed records cannot be processed again (nothing to retry, source files gone, still running)."""

    code = "exchange.retry.impossible"


# --- kept source files ---------------------------------------------------------------------------------------------


def runs_root() -> Path:
    return Path(settings.VAR_DIR) / RUNS_DIR


def run_dir(run: Run) -> Path:
    return runs_root() / str(run.pk)


def keep_sources(run: Run, paths: Iterable[str | os.PathLike], *, move: bool = False,
                 always: bool = False) -> list[Path]:
    """Keep the files `run` reads so it can be retried; return the paths to read (the kept ones).

    A file under the var directory already is read where it is (1C's uploads are kept with their
    session), unless `move` (an upload made for this run: it moves into the run's directory) or
    `always`. Other files are hard-linked into the run's directory, or copied when that is another
    file system. A file that does not exist is returned as it is: the import reports it missing.
    """
    kept: list[Path] = []
    target_dir = run_dir(run)
    for index, raw in enumerate(paths):
        path = Path(raw)
        if not path.is_file() or (path_inside(Path(settings.VAR_DIR), path) and not (move or always)):
            kept.append(path)
            continue
        # One sub-directory per file keeps its own name (errors name the file) even when two share a name.
        target = target_dir / str(index) / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            shutil.move(str(path), target)
        else:
            try:
                os.link(path, target)
            except OSError:   # another file system, or links not allowed: a copy
                shutil.copyfile(path, target)
        kept.append(target)
    return kept


def run_sources(run: Run) -> list[Path]:
    """The source files a run read (kept or where they were), from its parameters; for runs of 1C
    exchanges started before parameters were kept, the session's uploaded file."""
    params = run.params or {}
    if params.get("path"):
        return [Path(params["path"])]
    if params.get("paths"):
        return [Path(p) for p in params["paths"]]
    from .onec.models import OneCFile

    return [record.path for record in OneCFile.objects.filter(run=run).select_related("session")]


def run_files_cleanup(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Remove the kept files of runs finished more than `days` ago (default EXCHANGE_RUN_FILES_KEEP_DAYS)
    and of runs that no longer exist; return how many run directories were removed."""
    root = runs_root()
    if not root.is_dir():
        return 0
    now = now or timezone.now()
    before = now - dt.timedelta(days=keep_days() if days is None else days)
    removed = 0
    for directory in root.iterdir():
        if not directory.is_dir():
            continue
        run = Run.objects.filter(pk=directory.name).only("status", "started_at", "finished_at").first() \
            if parse_uuid(directory.name) else None
        if run is not None:
            if run.status == RunStatus.RUNNING:
                continue
            if (run.finished_at or run.started_at) >= before:
                continue
        shutil.rmtree(directory, ignore_errors=True)
        removed += 1
    return removed


# --- runs in the background worker -----------------------------------------------------------------------------------


def enqueue(run: Run) -> None:
    """Hand a prepared run to the background worker once the transaction that prepared it is committed
    (at once outside a transaction; in Huey's immediate mode the run is done when this returns)."""
    from .tasks import run_job

    transaction.on_commit(lambda: run_job(str(run.pk)))


def is_queued(run: Run) -> bool:
    """A run handed to the worker that the worker has not started yet."""
    params = run.params or {}
    return run.status == RunStatus.RUNNING and bool(params.get("queued_at")) and not params.get("picked_at")


def queued_too_long(run: Run, *, now: dt.datetime | None = None) -> bool:
    if not is_queued(run):
        return False
    queued = dt.datetime.fromisoformat(run.params["queued_at"])
    return (now or timezone.now()) - queued > dt.timedelta(seconds=queue_stall())


def _queue_params() -> dict:
    return {"queued_at": timezone.now().isoformat(), "origin": current().origin}


def tabular_start(*, user, path: str | os.PathLike, kind: str, mapping: dict[str, str], on_duplicate: str,
                  dry_run: bool = False, file_name: str = "", node: ExchangeNode | None = None) -> Run:
    """Open a tabular import for the background worker and return its run (status running, queued).

    The uploaded file moves into the run's directory (kept for a retry), its rows are counted so the
    page shows a progress bar from the start, and the worker gets the run once this is committed.
    """
    from . import tabular

    if kind not in tabular.KINDS:
        raise tabular.TabularError(_("Unknown kind of import: %(kind)s") % {"kind": kind})
    if on_duplicate not in tabular.OnDuplicate.CHOICES:
        raise tabular.TabularError(_("Unknown choice for duplicates: %(value)s") % {"value": on_duplicate})
    if not tabular.may_import(user, kind):
        raise PermissionDenied(_("You may not import these records."), code="access.denied")
    source = Path(path)
    file_name = file_name or source.name
    run = start_run(node=node, kind="dry-run" if dry_run else "tabular", files=[file_name], user=user)
    # After a dry run the upload stays where it was, so the mapping page can run the import for real.
    kept = keep_sources(run, [source], move=not dry_run, always=True)[0]
    run.params = {"action": "tabular", "path": str(kept.resolve()), "kind": kind, "mapping": dict(mapping),
                  "on_duplicate": on_duplicate, "dry_run": dry_run, "file_name": file_name, **_queue_params()}
    run.progress_total = tabular.count_rows(kept)
    run.save(update_fields=["params", "progress_total"])
    enqueue(run)
    return run


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
                from .tabular import tabular_import

                return tabular_import(path=params["path"], kind=params["kind"], user=user,
                                      mapping=params.get("mapping") or None, on_duplicate=params["on_duplicate"],
                                      dry_run=bool(params.get("dry_run")), file_name=params.get("file_name", ""),
                                      run=run, lines=params.get("lines"), node=run.node, progress=progress)
            if params.get("action") == "import":
                from .services import exchange_import

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


# --- retrying the failed records ------------------------------------------------------------------------------------


@dataclass
class RetryPlan:
    """What a retry of a run would do: which records (lines of a table, or the peer's ids), from which files."""

    action: str = ""                                   # tabular / import
    lines: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)   # names of kept files no longer there
    problem: str = ""                                  # why it cannot be retried, for people

    @property
    def possible(self) -> bool:
        return not self.problem

    @property
    def count(self) -> int:
        return len(self.lines) or len(self.ids)


def _action(run: Run) -> str:
    params = run.params or {}
    if params.get("action"):
        return params["action"]
    if run.items.filter(object_type__startswith="tabular.").exists():
        return "tabular"
    return "import"


def retry_plan(run: Run) -> RetryPlan:
    """The records of `run` a retry would process again, or why it cannot."""
    plan = RetryPlan(action=_action(run))
    if run.status == RunStatus.RUNNING:
        plan.problem = _("The run has not finished yet.")
        return plan
    if run.kind == "dry-run":
        plan.problem = _("A dry run writes nothing: run the import itself.")
        return plan
    if run.kind not in ("import", "tabular"):
        plan.problem = _("Only imports can be retried.")
        return plan
    # A file that could not be read, or a record the reader itself refused (cml.*), would fail the same way
    # again from the same kept file: only records refused while writing them are worth another try.
    failed = run.items.filter(outcome="failed").exclude(object_type="file").exclude(object_type__startswith="cml.")
    if plan.action == "tabular":
        plan.lines = sorted(set(failed.exclude(line__isnull=True).values_list("line", flat=True)))
    else:
        plan.ids = sorted(set(failed.exclude(external_id="").values_list("external_id", flat=True)))
    if not plan.count:
        plan.problem = (_("No record failed.") if not run.failed else
                        _("The failures concern the file itself (it cannot be read, or records in it are "
                          "malformed): retrying the same file would fail the same way; import a corrected file."))
        return plan
    plan.sources = run_sources(run)
    if not plan.sources:
        plan.problem = _("This run did not keep its source files: import the file again.")
        return plan
    plan.missing = [p.name for p in plan.sources if not p.is_file()]
    if plan.missing:
        plan.problem = (_("The source file %(files)s of this run is no longer kept (kept files are removed %(days)s "
                          "days after the run, 1C's uploads with their exchange session): import it again.")
                        % {"files": ", ".join(plan.missing), "days": keep_days()})
    return plan


def may_retry(user, run: Run) -> bool:
    """Who may retry a run: for imports of files from accounting, whoever may view the exchange; for a
    tabular import, whoever may view the exchange or started it themselves, if they may still import
    such records (the retry writes them as that person)."""
    if user is None:
        return True
    sees_exchange = allows(user, "view", "exchange")
    if _action(run) != "tabular":
        return sees_exchange
    own = run.user_id is not None and run.user_id == getattr(user, "pk", None)
    if not (sees_exchange or own):
        return False
    from .tabular import may_import

    return may_import(user, (run.params or {}).get("kind") or _tabular_kind(run))


def _tabular_kind(run: Run) -> str:
    item = run.items.filter(object_type__startswith="tabular.").values_list("object_type", flat=True).first()
    return item.removeprefix("tabular.") if item else ""


def run_retry(*, user, run: Run, background: bool = True, progress=None) -> Run:
    """Start a new run (retry_of=`run`) that processes again only the records that failed in `run`, from
    its kept source files: the failed lines of a table, the failed ids of CommerceML files. Nothing else
    of the files is touched. background=False runs it here (the command line) instead of in the worker.
    """
    if not may_retry(user, run):
        raise PermissionDenied(_("You may not retry this run."), code="access.denied")
    plan = retry_plan(run)
    if not plan.possible:
        raise RetryImpossible(plan.problem, extra={"missing": plan.missing})
    params = dict(run.params or {})
    for key in ("queued_at", "picked_at", "lines", "only", "origin"):
        params.pop(key, None)
    retry = start_run(node=run.node, kind=run.kind, files=run.files, user=user, on_record_error=run.on_record_error)
    retry.retry_of = run
    if plan.action == "tabular":
        params.update(action="tabular", path=str(plan.sources[0]), lines=plan.lines)
        retry.progress_total = len(plan.lines)
    else:
        params.update(action="import", paths=[str(p) for p in plan.sources], only=plan.ids)
    retry.params = {**params, **_queue_params()}
    retry.save(update_fields=["retry_of", "params", "progress_total"])
    if background:
        enqueue(retry)
        return retry
    return run_execute(retry.pk, progress=progress) or retry


# --- the report --------------------------------------------------------------------------------------------------


OUTCOMES = ("error", "created", "updated", "unchanged", "skipped", "conflict")
# outcome shown -> outcomes stored on run items
# "refused": a document the node may not apply (outside its scope), counted with the skipped ones.
ITEM_OUTCOMES = {"error": ("failed",), "created": ("created",), "updated": ("updated",),
                 "unchanged": ("unchanged",), "skipped": ("skipped", "duplicate", "refused"),
                 "conflict": ("conflict",)}
SHOWN_OUTCOME = {stored: shown for shown, stored_all in ITEM_OUTCOMES.items() for stored in stored_all}


def items_list_writes(run: Run) -> bool:
    """Whether the run's items list what it wrote (tabular imports, dry runs); otherwise the change
    journal of the run holds its created and updated records."""
    return run.kind == "dry-run" or run.items.filter(outcome__in=("created", "updated", "unchanged")).exists()


@dataclass
class ReportRow:
    """One record of a run's report, from a run item or from the journal entry the run wrote."""

    outcome: str
    object_type: str = ""
    external_id: str = ""
    object_id: object = None
    record: str = ""
    file: str = ""
    line: int | None = None
    path: str = ""
    code: str = ""
    message: str = ""
    changes: dict | None = None
    item: RunItem | None = None


def item_row(item: RunItem) -> ReportRow:
    # A row written by a tabular import keeps its record's name in the message: it is the record, not a remark.
    written = item.outcome in ("created", "updated", "unchanged") and item.object_type.startswith("tabular.")
    return ReportRow(outcome=SHOWN_OUTCOME.get(item.outcome, item.outcome), object_type=item.object_type,
                     external_id=item.external_id, object_id=item.object_id, record=item.message if written else "",
                     file=item.file, line=item.line, path=item.path, code=item.code,
                     message="" if written else item.message, changes=item.changes, item=item)


def journal_row(entry: ChangeJournal) -> ReportRow:
    ct = entry.content_type
    return ReportRow(outcome="created" if entry.operation == "create" else
                     "deleted" if entry.operation == "delete" else "updated",
                     object_type=f"{ct.app_label}.{ct.model}", object_id=entry.object_id, record=entry.object_repr,
                     changes=entry.changes or None)


def report_rows(run: Run, *, user) -> Iterator[ReportRow]:
    """Every record of the run's report that `user` may see (user=None: the system, all): its items (errors,
    duplicates, conflicts, outcomes of rows), then, when the items do not list what was written, the journal
    entries of the run. Streams (no list in memory)."""
    from . import selectors

    for item in selectors.run_items(user=user, run=run).order_by("id").iterator(chunk_size=2000):
        yield item_row(item)
    if not items_list_writes(run):
        for entry in selectors.run_journal(user=user, run=run).iterator(chunk_size=2000):
            yield journal_row(entry)


def report_hidden(run: Run, *, user) -> int:
    """How many records of the run's report `user` may not see (counted in the report, not named)."""
    from . import selectors

    hidden = run.items.count() - selectors.run_items(user=user, run=run).count()
    if not items_list_writes(run):
        hidden += (ChangeJournal.objects.filter(request_id=f"run-{run.pk}").count()
                   - selectors.run_journal(user=user, run=run).count())
    return hidden
