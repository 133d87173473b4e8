"""Runs as people start, watch and retry them: runs prepared here and handed to the background worker (a tabular
import, a retry of the failed records), what a retry would do, and the run's report as rows.

The worker's side of a run is `run_execution`; the files a run keeps for a retry are `sources`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import allows
from raccordo.core.context import current
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.models import ChangeJournal

from . import selectors, tabular
from .engine import start_run
from .models import ExchangeNode, Run, RunItem, RunStatus

# Named here by the run pages and the tests: the worker's side and the kept files live in their own modules.
from .run_execution import is_queued, queue_stall, queued_too_long, run_execute  # noqa: F401
from .sources import keep_days, keep_sources, run_dir, run_files_cleanup, run_sources, runs_root  # noqa: F401
from .tasks import run_job


class RetryImpossible(ApplicationError):
    """A run whose failed records cannot be processed again (nothing to retry, source files gone, still running)."""

    code = "exchange.retry.impossible"



def enqueue(run: Run) -> None:
    """Hand a prepared run to the background worker once the transaction that prepared it is committed
    (at once outside a transaction; in Huey's immediate mode the run is done when this returns)."""
    transaction.on_commit(lambda: run_job(str(run.pk)))


def _queue_params() -> dict:
    return {"queued_at": timezone.now().isoformat(), "origin": current().origin}


def tabular_start(*, user, path: str | os.PathLike, kind: str, mapping: dict[str, str], on_duplicate: str,
                  dry_run: bool = False, file_name: str = "", node: ExchangeNode | None = None) -> Run:
    """Open a tabular import for the background worker and return its run (status running, queued).

    The uploaded file moves into the run's directory (kept for a retry), its rows are counted so the
    page shows a progress bar from the start, and the worker gets the run once this is committed.
    """
    tabular.choices_check(kind, on_duplicate)
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
        plan.lines = sorted(set(failed.exclude(line__isnull=True).values_list("line", flat=True)))  # type: ignore[arg-type]  # line__isnull=True is excluded
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
    return tabular.may_import(user, (run.params or {}).get("kind") or _tabular_kind(run))


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


OUTCOMES = ("error", "created", "updated", "unchanged", "skipped", "conflict", "deactivated")
# outcome shown -> outcomes stored on run items
# "refused": a document the node may not apply (outside its scope), counted with the skipped ones.
ITEM_OUTCOMES = {"error": ("failed",), "created": ("created",), "updated": ("updated",),
                 "unchanged": ("unchanged",), "skipped": ("skipped", "duplicate", "refused"),
                 "conflict": ("conflict",), "deactivated": ("dropped",)}
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
    """The report row of a run item."""
    # A row written by a tabular import keeps its record's name in the message: it is the record, not a remark.
    written = item.outcome in ("created", "updated", "unchanged") and item.object_type.startswith("tabular.")
    return ReportRow(outcome=SHOWN_OUTCOME.get(item.outcome, item.outcome), object_type=item.object_type,
                     external_id=item.external_id, object_id=item.object_id, record=item.message if written else "",
                     file=item.file, line=item.line, path=item.path, code=item.code,
                     message="" if written else item.message, changes=item.changes, item=item)


def journal_row(entry: ChangeJournal) -> ReportRow:
    """The report row of a journal entry the run wrote."""
    ct = entry.content_type
    return ReportRow(outcome="created" if entry.operation == "create" else
                     "deleted" if entry.operation == "delete" else "updated",
                     object_type=f"{ct.app_label}.{ct.model}", object_id=entry.object_id, record=entry.object_repr,
                     changes=entry.changes or None)


def report_rows(run: Run, *, user) -> Iterator[ReportRow]:
    """Every record of the run's report that `user` may see (user=None: the system, all): its items (errors,
    duplicates, conflicts, outcomes of rows), then, when the items do not list what was written, the journal
    entries of the run. Streams (no list in memory)."""
    for item in selectors.run_items(user=user, run=run).order_by("id").iterator(chunk_size=2000):
        yield item_row(item)
    if not items_list_writes(run):
        for entry in selectors.run_journal(user=user, run=run).iterator(chunk_size=2000):
            yield journal_row(entry)


def report_hidden(run: Run, *, user) -> int:
    """How many records of the run's report `user` may not see (counted in the report, not named)."""
    hidden = run.items.count() - selectors.run_items(user=user, run=run).count()
    if not items_list_writes(run):
        hidden += (ChangeJournal.objects.filter(request_id=f"run-{run.pk}").count()
                   - selectors.run_journal(user=user, run=run).count())
    return hidden
