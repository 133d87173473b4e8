"""The exchange engine's core: runs with their counters and errors, and batched upserts through bindings.

A batch is one transaction: its records, their bindings, the journal entries and the run's counters
are written together, so a run killed half-way leaves whole batches behind and a second run finishes
the job (unchanged records are recognised by their content hash and skipped).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from raccordo.core.errors import ApplicationError
from raccordo.core.journal import diff, journal_bulk, snapshot
from raccordo.core.models import Operation

from .models import Binding, ExchangeNode, RecordPolicy, Run, RunItem, RunStatus


class RunStopped(ApplicationError):
    """A failing record's policy said to stop the run (or end the step)."""

    code = "exchange.run.stopped"


def content_hash(value: Any) -> str:
    """A stable fingerprint of what a peer sent for one record: equal hash, nothing to do."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class Source:
    """Where a record came from, for error messages: file, line, element path, the peer's id."""

    file: str = ""
    line: int | None = None
    path: str = ""
    external_id: str = ""


class RunRecorder:
    """Counts outcomes and keeps every record error of one run; saved with each batch."""

    def __init__(self, run: Run):
        self.run = run
        self._items: list[RunItem] = []

    def count(self, outcome: str, n: int = 1) -> None:
        setattr(self.run, outcome, getattr(self.run, outcome) + n)

    def fail(self, *, object_type: str, source: Source, code: str, message: str) -> None:
        """Record a failed record and apply the run's policy for failing records."""
        self.count("failed")
        self._items.append(RunItem(run=self.run, outcome="failed", object_type=object_type,
                                   external_id=source.external_id[:255], code=code[:64], message=message,
                                   file=source.file[:255], line=source.line, path=(source.path or "")[:500]))
        if self.run.on_record_error in (RecordPolicy.STOP_RUN, RecordPolicy.END_STEP):
            raise RunStopped(message, extra={"file": source.file, "line": source.line, "path": source.path})

    def save(self) -> None:
        if self._items:
            RunItem.objects.bulk_create(self._items, batch_size=500)
            self._items = []
        self.run.save()


def start_run(*, node: ExchangeNode | None, kind: str = "import", files: Iterable[str] = (), user=None,
              on_record_error: str = RecordPolicy.SKIP) -> Run:
    """Open a run in status running."""
    return Run.objects.create(node=node, kind=kind, files=list(files), user=user if getattr(user, "pk", None) else None,
                              on_record_error=on_record_error)


def finish_run(run: Run, *, error: str = "", stopped: bool = False) -> Run:
    """Close a run: succeeded, partial (some records failed), failed or stopped."""
    if stopped:
        run.status = RunStatus.STOPPED
    elif error:
        run.status = RunStatus.FAILED
    else:
        run.status = RunStatus.PARTIAL if run.failed else RunStatus.SUCCEEDED
    run.message = error
    run.finished_at = timezone.now()
    run.save()
    return run


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


@dataclass
class Incoming:
    """One record of a peer, ready for our model: its id there, our field values, a hash, its source."""

    external_id: str
    fields: dict[str, Any]
    source: Source
    hash: str = ""
    create: bool = True          # False: update an existing record only
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class UpsertResult:
    objects: dict[str, models.Model] = field(default_factory=dict)   # external id -> our record (touched or not)
    ids: dict[str, Any] = field(default_factory=dict)                  # external id -> our id


class BindingUpsert:
    """Creates or updates records of one model from a peer's records, batch by batch, through bindings.

    `match` finds an existing record for an unbound incoming one (the mapping's matching keys);
    `validate` is the model's own validation without per-row foreign-key queries: foreign keys
    are resolved by the importer from bindings, so they exist by construction.
    """

    def __init__(self, *, node: ExchangeNode, model: type[models.Model], object_type: str, recorder: RunRecorder,
                 match: Callable[[list[Incoming]], dict[str, models.Model]] | None = None,
                 count: bool = True):
        self.node = node
        self.model = model
        self.object_type = object_type
        self.recorder = recorder
        self.match = match
        self.count = count
        self.fk_names = [f.name for f in model._meta.concrete_fields if f.is_relation]

    def _validate(self, obj: models.Model) -> None:
        obj.clean_fields(exclude=self.fk_names)
        obj.clean()

    def bindings(self, external_ids: Iterable[str]) -> dict[str, Binding]:
        return {b.external_id: b for b in Binding.objects.filter(
            node=self.node, object_type=self.object_type, external_id__in=list(external_ids))}

    def apply(self, batch: list[Incoming]) -> UpsertResult:
        """Write one batch (the caller holds the transaction). Failed records are recorded, not raised."""
        result = UpsertResult()
        if not batch:
            return result
        # The last occurrence of an id within a batch wins, as it would if applied one by one.
        latest: dict[str, Incoming] = {}
        for item in batch:
            item.hash = item.hash or content_hash(item.fields)
            latest[item.external_id] = item
        bound = self.bindings(latest)
        existing = self.model._default_manager.in_bulk([b.object_id for b in bound.values()])

        to_update: list[tuple[Incoming, models.Model, Binding | None]] = []
        to_create: list[Incoming] = []
        for ext_id, item in latest.items():
            binding = bound.get(ext_id)
            obj = existing.get(binding.object_id) if binding else None
            if obj is not None and binding.content_hash == item.hash:
                result.objects[ext_id], result.ids[ext_id] = obj, obj.pk
                if self.count:
                    self.recorder.count("unchanged")
                continue
            if obj is not None:
                to_update.append((item, obj, binding))
            else:
                to_create.append(item)

        if to_create and self.match is not None:
            matched = self.match(to_create)
            if matched:
                taken = set(Binding.objects.filter(node=self.node, object_type=self.object_type,
                                                   object_id__in=[o.pk for o in matched.values()])
                            .values_list("object_id", flat=True))
                still = []
                for item in to_create:
                    obj = matched.get(item.external_id)
                    if obj is not None and obj.pk not in taken:
                        taken.add(obj.pk)
                        to_update.append((item, obj, None))
                    else:
                        still.append(item)
                to_create = still

        journal: list[tuple[models.Model, str, dict]] = []
        changed_fields: set[str] = set()
        updated: list[models.Model] = []
        new_bindings: list[Binding] = []
        touched_bindings: list[Binding] = []
        for item, obj, binding in to_update:
            before = snapshot(obj)
            for key, value in item.fields.items():
                setattr(obj, key, value)
            try:
                self._validate(obj)
            except ValidationError as exc:
                # The object stays unsaved in memory only; nothing of it reaches the database.
                self.recorder.fail(object_type=self.object_type, source=item.source, code="exchange.record.invalid",
                                   message=validation_message(exc))
                continue
            changes = diff(before, snapshot(obj))
            if changes:
                changed_fields.update(changes)
                updated.append(obj)
                journal.append((obj, Operation.UPDATE, changes))
                if self.count:
                    self.recorder.count("updated")
            elif self.count:
                self.recorder.count("unchanged")
            if binding is None:
                new_bindings.append(Binding(node=self.node, object_type=self.object_type,
                                            external_id=item.external_id, object_id=obj.pk, content_hash=item.hash))
            else:
                binding.content_hash = item.hash
                touched_bindings.append(binding)
            result.objects[item.external_id], result.ids[item.external_id] = obj, obj.pk

        now = timezone.now()
        for obj in updated:
            obj.updated_at = now   # bulk_update skips auto_now
        created: list[models.Model] = []
        for item in to_create:
            if not item.create:
                if self.count:
                    self.recorder.count("skipped")
                continue
            obj = self.model(**item.fields)
            try:
                self._validate(obj)
            except ValidationError as exc:
                self.recorder.fail(object_type=self.object_type, source=item.source, code="exchange.record.invalid",
                                   message=validation_message(exc))
                continue
            created.append(obj)
            journal.append((obj, Operation.CREATE, diff({}, snapshot(obj))))
            new_bindings.append(Binding(node=self.node, object_type=self.object_type, external_id=item.external_id,
                                        object_id=obj.pk, content_hash=item.hash))
            result.objects[item.external_id], result.ids[item.external_id] = obj, obj.pk
            if self.count:
                self.recorder.count("created")

        if created:
            self.model._default_manager.bulk_create(created, batch_size=500)
        if updated:
            # Foreign keys appear in snapshots by field name; bulk_update wants the same names.
            self.model._default_manager.bulk_update(updated, sorted(changed_fields | {"updated_at"}), batch_size=500)
        if new_bindings:
            Binding.objects.bulk_create(new_bindings, batch_size=500)
        if touched_bindings:
            Binding.objects.bulk_update(touched_bindings, ["content_hash", "updated_at"], batch_size=500)
        journal_bulk(entries=journal)
        return result


def batched_transaction(recorder: RunRecorder, work: Callable[[], Any]) -> Any:
    """Run one batch's writes and the run's counters in a single transaction."""
    with transaction.atomic():
        value = work()
        recorder.save()
    return value
