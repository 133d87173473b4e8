"""The exchange engine's core: runs with their counters and errors, content hashes, batches in transactions.

The upsert of records through bindings is in `exchange.upsert`.

A batch is one transaction: its records, their bindings, the journal entries and the run's counters
are written together, so a run killed half-way leaves whole batches behind and a second run finishes
the job (unchanged records are recognised by their content hash and skipped).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from raccordo.core.errors import ApplicationError
from raccordo.core.journal import plain

from .models import ExchangeNode, RecordPolicy, Run, RunItem, RunStatus


class RunStopped(ApplicationError):
    """A failing record's policy said to stop the run (or end the step)."""

    code = "exchange.run.stopped"


def content_hash(value: Any) -> str:
    """A stable fingerprint of what a peer sent for one record: equal hash, nothing to do.

    The SHA-1 of `json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)`. A dict of strings
    to strings that holds nothing JSON escapes (an offer's prices or stock: thousands a batch) has its
    text written without the encoder; it is the same text, so the same digest.
    """
    text = _flat_json(value) if type(value) is dict else None
    if text is None:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def _flat_json(value: dict) -> str | None:
    """json.dumps's text of a flat dict of plain strings, or None when it is anything else."""
    escaped = _JSON_ESCAPED.search
    for key, text in value.items():
        if type(key) is not str or type(text) is not str or escaped(key) or escaped(text):
            return None
    return "{" + ", ".join(f'"{key}": "{text}"' for key, text in sorted(value.items())) + "}"


@dataclass
class Source:
    """Where a record came from, for error messages: file, line, element path, the peer's id."""

    file: str = ""
    line: int | None = None
    path: str = ""
    external_id: str = ""


class RunRecorder:
    """Counts outcomes and keeps every record error of one run; saved with each batch.

    In a dry run (`dry_run=True`) the work happens inside a transaction that is rolled back, so the
    items are kept in memory and written by `persist()` after the rollback; each record that would
    be created or updated is kept too, with its changes.
    """

    def __init__(self, run: Run, *, dry_run: bool = False):
        self.run = run
        self.dry_run = dry_run
        self._items: list[RunItem] = []
        self._kept: list[RunItem] = []

    def count(self, outcome: str, n: int = 1) -> None:
        setattr(self.run, outcome, getattr(self.run, outcome) + n)

    def add(self, item: RunItem) -> None:
        item.run = self.run
        self._items.append(item)

    def fail(self, *, object_type: str, source: Source, code: str, message: str) -> None:
        """Record a failed record and apply the run's policy for failing records."""
        self.count("failed")
        self.add(RunItem(outcome="failed", object_type=object_type,
                         external_id=source.external_id[:255], code=code[:64], message=message,
                         file=source.file[:255], line=source.line, path=(source.path or "")[:500]))
        if self.run.on_record_error in (RecordPolicy.STOP_RUN, RecordPolicy.END_STEP):
            raise RunStopped(message, extra={"file": source.file, "line": source.line, "path": source.path})

    def planned(self, *, outcome: str, object_type: str, external_id: str = "", object_id=None,
                changes: dict | None = None, source: Source | None = None, message: str = "") -> None:
        """A record a dry run would create or update (nothing outside a dry run: the journal has those)."""
        if not self.dry_run:
            return
        source = source or Source()
        self.add(RunItem(outcome=outcome, object_type=object_type, external_id=(external_id or "")[:255],
                         object_id=object_id, changes=plain(changes) if changes else None, message=message,
                         file=source.file[:255], line=source.line, path=(source.path or "")[:500]))

    def save(self) -> None:
        if self.dry_run:
            self._kept.extend(self._items)
            self._items = []
        elif self._items:
            RunItem.objects.bulk_create(self._items, batch_size=500)
            self._items = []
        self.run.save()

    def persist(self) -> None:
        """After a dry run's rollback: write the run and what it found, which the rollback took away."""
        items, self._items, self._kept = self._kept + self._items, [], []
        self.run._state.adding = False
        for item in items:
            item.pk = None
        # One transaction: a page polling the run never sees it finished without the records it found.
        with transaction.atomic():
            self.run.save()
            RunItem.objects.bulk_create(items, batch_size=500)


def start_run(*, node: ExchangeNode | None, kind: str = "import", files: Iterable[str] = (), user=None,
              on_record_error: str = RecordPolicy.SKIP) -> Run:
    """Open a run in status running."""
    return Run.objects.create(node=node, kind=kind, files=list(files), user=user if getattr(user, "pk", None) else None,
                              on_record_error=on_record_error)


def finish_run(run: Run, *, error: str = "", stopped: bool = False, note: str = "") -> Run:
    """Close a run: succeeded, partial (some records failed), failed or stopped; `note` says more of a success."""
    if stopped:
        run.status = RunStatus.STOPPED
    elif error:
        run.status = RunStatus.FAILED
    else:
        run.status = RunStatus.PARTIAL if run.failed else RunStatus.SUCCEEDED
    run.message = error or note
    run.finished_at = timezone.now()
    run.save()
    return run


def validation_message(exc: ValidationError) -> str:
    """A validation error as one line of text for the run's report: "field: message; field: message"."""
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def batched_transaction(recorder: RunRecorder, work: Callable[[], Any]) -> Any:
    """Run one batch's writes and the run's counters in a single transaction."""
    with transaction.atomic():
        value = work()
        recorder.save()
    return value
