"""Batched upserts through bindings: a peer's records created or updated in ours, each batch in one go.

`BindingUpsert.apply` takes a batch step by step: it classifies the records (unchanged, to update, to
create) by their bindings' content hashes, matches unbound ones to existing records by the mapping's
keys, merges the updates under the mapping's ownership and conflict rules, creates the new records
(as plain rows for the big tables), stores records and bindings, and journals it all. Bulk writes send
no Django signals: each batch is reported through `core.signals.records_written`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from raccordo.core.bulk import rows_create_bulk
from raccordo.core.ids import new_id
from raccordo.core.journal import JournalRows, diff, journal_bulk, snapshot
from raccordo.core.models import Operation
from raccordo.core.rows import model_has_own_clean
from raccordo.core.signals import records_written

from .binding_rows import BINDING_STATE, BoundRow, NewBinding, update_bindings, write_bindings
from .engine import RunRecorder, Source, content_hash, validation_message
from .models import Binding, ExchangeNode, RunItem


@dataclass
class Incoming:
    """One record of a peer, ready for our model: its id there, our field values, a hash, its source."""

    external_id: str
    fields: dict[str, Any]
    source: Source
    hash: str = ""
    create: bool = True          # False: update an existing record only
    extra: dict[str, Any] = field(default_factory=dict)
    skip_reason: str = ""        # with create=False: why, kept as a "skipped" RunItem (update-only mappings)
    # Fields that must hold even when the peer's record is unchanged (hash equal): a good listed again is
    # active again, a good marked deleted is never active, whatever happened to it in between.
    ensure: dict[str, Any] = field(default_factory=dict)
    scope: str | None = None     # the peer's container it was listed in (kept on the binding; None: leave it)
    deleted: bool | None = None  # the peer's deletion mark (kept on the binding; None: leave it)


@dataclass
class UpsertResult:
    """What a batch's upsert left: our record (when loaded) and our id of each external id."""

    objects: dict[str, models.Model] = field(default_factory=dict)   # external id -> our record (touched or not)
    ids: dict[str, Any] = field(default_factory=dict)                  # external id -> our id


def binding_state_differs(binding, item: Incoming) -> bool:
    """Whether the binding's scope or deletion mark is not what the peer now says (hash aside)."""
    return ((item.scope is not None and binding.scope != item.scope)
            or (item.deleted is not None and binding.peer_deleted != item.deleted))


def binding_state_take(binding, item: Incoming) -> None:
    """Put on the binding the scope and deletion mark the peer now says (what it says nothing of stays)."""
    if item.scope is not None:
        binding.scope = item.scope
    if item.deleted is not None:
        binding.peer_deleted = item.deleted


class _Batch:
    """What one `BindingUpsert.apply` found and is about to write, handed from step to step."""

    def __init__(self):
        self.result = UpsertResult()
        self.to_update: list[tuple[Incoming, models.Model, Binding | BoundRow | None]] = []
        self.to_create: list[Incoming] = []
        # Unchanged records whose binding state (scope, deletion mark) moved: only the binding is written.
        self.restated: list[Binding | BoundRow] = []
        self.journal: list[tuple[models.Model, str, dict]] = []
        self.changed_fields: set[str] = set()
        self.updated: list[models.Model] = []
        self.created: list[models.Model] = []
        self.new_bindings: list[NewBinding] = []
        self.touched_bindings: list[Binding | BoundRow] = []


class BindingUpsert:
    """Creates or updates records of one model from a peer's records, batch by batch, through bindings.

    `match` finds an existing record for an unbound incoming one (the mapping's matching keys);
    `validate` is the model's own validation without per-row foreign-key queries: foreign keys
    are resolved by the importer from bindings, so they exist by construction.
    """

    def __init__(self, *, node: ExchangeNode, model: type[models.Model], object_type: str, recorder: RunRecorder,
                 match: Callable[[list[Incoming]], Mapping[str, models.Model]] | None = None,
                 count: bool = True, rows: bool = False, rules=None,
                 write_rows: Callable[..., list] | None = None):
        self.node = node
        # rules (exchange.conflicts.MergeRules): the mapping's ownership and conflict policy for updates.
        self.rules = rules
        self.model = model
        self.object_type = object_type
        self.recorder = recorder
        self.match = match
        self.count = count
        meta = model._meta
        self.fk_names = [f.name for f in meta.concrete_fields if f.is_relation]
        self._attnames = {f.name: f.attname for f in meta.concrete_fields}
        # rows=True: new records are written as plain rows by `write_rows`, the model's bulk service (by default
        # core.bulk.rows_create_bulk), and the result holds their ids only; unchanged records are not loaded
        # either. For the big tables of an import.
        self.rows = rows and not model_has_own_clean(model)
        write = write_rows or partial(rows_create_bulk, model, skip=self.fk_names)
        self._new_rows = NewRows(model, write) if self.rows else None

    def _attname(self, name: str) -> str:
        return self._attnames.get(name, name)

    def _validate(self, obj: models.Model) -> None:
        obj.clean_fields(exclude=self.fk_names)
        obj.clean()

    def _invalid(self, item: Incoming, exc: ValidationError) -> None:
        self.recorder.fail(object_type=self.object_type, source=item.source, code="exchange.record.invalid",
                           message=validation_message(exc))

    def _tally(self, outcome: str) -> None:
        if self.count:
            self.recorder.count(outcome)

    def bindings(self, external_ids: Iterable[str]) -> dict[str, Binding | BoundRow]:
        """The node's bindings of these external ids (plain `BoundRow`s with rows=True)."""
        bindings = Binding.objects.filter(node=self.node, object_type=self.object_type,
                                          external_id__in=list(external_ids))
        if self.rows:   # no model instance per binding: most of them only show the record is unchanged
            return {ext: BoundRow(pk, object_id, digest, scope, deleted) for pk, ext, object_id, digest, scope, deleted
                    in bindings.values_list("pk", "external_id", "object_id", "content_hash", "scope",
                                            "peer_deleted")}
        return {b.external_id: b for b in bindings}

    def apply(self, batch: list[Incoming]) -> UpsertResult:
        """Write one batch (the caller holds the transaction). Failed records are recorded, not raised."""
        if not batch:
            return UpsertResult()
        state = _Batch()
        # The last occurrence of an id within a batch wins, as it would if applied one by one.
        latest: dict[str, Incoming] = {}
        for item in batch:
            item.hash = item.hash or content_hash(item.fields)
            latest[item.external_id] = item
        bound = self.bindings(latest)
        if self.rows:
            existing = self._load_changed(latest, bound, state)
            latest = {ext: item for ext, item in latest.items() if ext not in state.result.ids}
        else:
            existing = self.model._default_manager.in_bulk([b.object_id for b in bound.values()])
        self._classify(latest, bound, existing, state)
        if state.to_create:
            self._match_unbound(state)
        self._merge_updates(state)
        if self.rows:
            self._create_rows(state)
        else:
            self._create_models(state)
        self._store(state)
        self._journal(state)
        return state.result

    # --- classify: unchanged, to update, to create --------------------------------------------------------------

    def _unchanged(self, ext: str, obj_id: Any, binding, item: Incoming, state: _Batch) -> None:
        state.result.ids[ext] = obj_id
        if binding_state_differs(binding, item):
            binding_state_take(binding, item)
            state.restated.append(binding)
        self._tally("unchanged")

    def _load_changed(self, latest: dict[str, Incoming], bound: dict[str, Any], state: _Batch) -> dict:
        """rows=True: only records whose hash changed are loaded; of the others it is enough that they still
        exist (and hold what `ensure` asks of them: those are loaded too). Those are done here."""
        changed_ids = [b.object_id for ext, b in bound.items() if b.content_hash != latest[ext].hash]
        same = {b.object_id: ext for ext, b in bound.items() if b.content_hash == latest[ext].hash}
        ensure_fields = sorted({k for ext in same.values() for k in latest[ext].ensure})
        alive: set = set()
        drifted: list = []
        for row in self.model._default_manager.filter(pk__in=list(same)).values_list("pk", *ensure_fields):
            ensure = latest[same[row[0]]].ensure
            if any(row[1 + i] != ensure[k] for i, k in enumerate(ensure_fields) if k in ensure):
                drifted.append(row[0])
            else:
                alive.add(row[0])
        existing = self.model._default_manager.in_bulk(changed_ids + drifted)
        for ext, b in bound.items():
            if b.object_id in alive:
                self._unchanged(ext, b.object_id, b, latest[ext], state)
        return existing

    def _classify(self, latest: dict[str, Incoming], bound: dict, existing: dict, state: _Batch) -> None:
        # Unchanged records whose `ensure` fields no longer hold: only those fields are written.
        ensured: list[tuple[Incoming, models.Model, Any]] = []
        for ext_id, item in latest.items():
            binding: Any = bound.get(ext_id)   # a Binding or a BoundRow
            obj = existing.get(binding.object_id) if binding else None
            if obj is not None and binding.content_hash == item.hash:
                if any(getattr(obj, k) != v for k, v in item.ensure.items()):
                    ensured.append((item, obj, binding))
                    continue
                state.result.objects[ext_id] = obj
                self._unchanged(ext_id, obj.pk, binding, item, state)
                continue
            if obj is not None:
                state.to_update.append((item, obj, binding))
            else:
                state.to_create.append(item)
        for item, obj, binding in ensured:
            # The peer's record is as it was; only what must hold is written, so nothing else the CRM
            # changed meanwhile is overwritten.
            state.to_update.append((Incoming(item.external_id, dict(item.ensure), item.source, hash=item.hash,
                                             scope=item.scope, deleted=item.deleted), obj, binding))

    def _match_unbound(self, state: _Batch) -> None:
        """New to the binding table: an existing record the mapping's keys find, unless another binding has it."""
        if self.match is None:
            return
        matched = self.match(state.to_create)
        if not matched:
            return
        taken = set(Binding.objects.filter(node=self.node, object_type=self.object_type,
                                           object_id__in=[o.pk for o in matched.values()])
                    .values_list("object_id", flat=True))
        still = []
        for item in state.to_create:
            obj = matched.get(item.external_id)
            if obj is not None and obj.pk not in taken:
                taken.add(obj.pk)
                state.to_update.append((item, obj, None))
            else:
                still.append(item)
        state.to_create = still

    # --- merge updates ----------------------------------------------------------------------------------------

    def _merge_updates(self, state: _Batch) -> None:
        rules = self.rules
        # Conflicts need the journal of bound records whose content changed: one query for the batch.
        histories = rules.histories(self.model, [obj.pk for _i, obj, binding in state.to_update
                                                 if binding is not None]) \
            if rules is not None and state.to_update else {}
        for item, obj, binding in state.to_update:
            changes = self._merge_one(item, obj, binding, histories)
            if changes is None:
                continue
            if changes:
                state.changed_fields.update(changes)
                state.updated.append(obj)
                state.journal.append((obj, Operation.UPDATE, changes))
                self.recorder.planned(outcome="updated", object_type=self.object_type, external_id=item.external_id,
                                      object_id=obj.pk, changes=changes, source=item.source)
                self._tally("updated")
            else:
                self._tally("unchanged")
            if binding is None:
                state.new_bindings.append(NewBinding(node=self.node, object_type=self.object_type,
                                                     external_id=item.external_id, object_id=obj.pk,
                                                     content_hash=item.hash, scope=item.scope, deleted=item.deleted))
            else:
                binding.content_hash = item.hash
                binding_state_take(binding, item)
                state.touched_bindings.append(binding)
            state.result.objects[item.external_id], state.result.ids[item.external_id] = obj, obj.pk
        now = timezone.now()
        for obj in state.updated:
            obj.updated_at = now   # type: ignore[attr-defined]  # bulk_update skips auto_now; exchanged models have it

    def _merge_one(self, item: Incoming, obj: models.Model, binding, histories: dict) -> dict | None:
        """Set the peer's fields on `obj` as the mapping and the conflict policy allow; its changes, or None
        when it failed validation (recorded)."""
        rules = self.rules
        before = snapshot(obj)
        fields = item.fields
        if rules is not None and rules.crm_owned:
            # On update the CRM's own fields stay as they are (a create sets everything).
            fields = {k: v for k, v in fields.items() if k not in rules.crm_owned}
        # By attname: what to put back when the CRM's value is kept ("group" -> "group_id").
        previous = {(att := self._attname(key)): obj.__dict__.get(att) for key in fields} if histories else None
        for key, value in fields.items():
            setattr(obj, key, value)
        try:
            self._validate(obj)
        except ValidationError as exc:
            # The object stays unsaved in memory only; nothing of it reaches the database.
            self._invalid(item, exc)
            return None
        after = snapshot(obj)
        changes = diff(before, after)
        if changes and previous is not None and binding is not None and obj.pk in histories:
            decided = rules.decide(history=histories[obj.pk], before=before, after=after, changes=changes)
            keep = rules.record(self.recorder, conflicts=decided, external_id=item.external_id,
                                object_id=obj.pk, source=item.source) if decided else ()
            for key in keep:
                att = self._attname(key)
                if att in previous:
                    setattr(obj, att, previous[att])
            if keep:
                changes = diff(before, snapshot(obj))
        return changes

    # --- create -----------------------------------------------------------------------------------------------

    def _skip(self, item: Incoming) -> None:
        """An unbound record the mapping does not let us create: counted, and listed when it says why."""
        self._tally("skipped")
        if item.skip_reason:
            source = item.source
            self.recorder.add(RunItem(outcome="skipped", object_type=self.object_type,
                                      external_id=item.external_id[:255], code="exchange.record.not_created",
                                      message=item.skip_reason, file=source.file[:255], line=source.line,
                                      path=(source.path or "")[:500]))

    def _created(self, item: Incoming, pk: Any, changes: dict, state: _Batch) -> None:
        """Record a created record: dry-run plan, its new binding, the result, the count."""
        self.recorder.planned(outcome="created", object_type=self.object_type, external_id=item.external_id,
                              object_id=pk, changes=changes, source=item.source)
        state.new_bindings.append(NewBinding(node=self.node, object_type=self.object_type,
                                             external_id=item.external_id, object_id=pk, content_hash=item.hash,
                                             scope=item.scope, deleted=item.deleted))
        state.result.ids[item.external_id] = pk
        self._tally("created")

    def _create_models(self, state: _Batch) -> None:
        for item in state.to_create:
            if not item.create:
                self._skip(item)
                continue
            obj = self.model(**item.fields)
            try:
                self._validate(obj)
            except ValidationError as exc:
                self._invalid(item, exc)
                continue
            state.created.append(obj)
            state.journal.append((obj, Operation.CREATE, diff({}, snapshot(obj))))
            state.result.objects[item.external_id] = obj
            self._created(item, obj.pk, state.journal[-1][2], state)

    def _create_rows(self, state: _Batch) -> None:
        """rows=True: the new records as plain rows, validated and inserted by the bulk service; nothing is left
        to create the slow way. The outcomes are recorded in the batch's order."""
        new = self._new_rows
        assert new is not None   # rows=True always has its NewRows (see __init__)
        now = timezone.now()
        entries = [(item, new.row(item, now) if item.create else None) for item in state.to_create]
        outcomes = iter(new.write([row for _item, row in entries if row is not None], journal=new.journal))
        for item, row in entries:
            if row is None:
                self._skip(item)
                continue
            outcome = next(outcomes)
            if isinstance(outcome, ValidationError):
                self._invalid(item, outcome)
            else:
                self._created(item, row["id"], outcome, state)
        state.to_create = []

    # --- store and journal ------------------------------------------------------------------------------------

    def _store(self, state: _Batch) -> None:
        manager = self.model._default_manager
        if state.created:
            manager.bulk_create(state.created, batch_size=500)
        if state.updated:
            # Foreign keys appear in snapshots by field name; bulk_update wants the same names.
            manager.bulk_update(state.updated, sorted(state.changed_fields | {"updated_at"}), batch_size=500)
        if state.new_bindings:
            write_bindings(state.new_bindings)
        touched = state.touched_bindings + state.restated
        if not touched:
            return
        if self.rows:
            update_bindings(BINDING_STATE, [(b.pk, b.content_hash, b.scope, b.peer_deleted) for b in touched])
        else:
            Binding.objects.bulk_update(touched, [*BINDING_STATE, "updated_at"],  # type: ignore[arg-type]
                                        batch_size=500)   # without rows=True the bindings are model instances

    def _journal(self, state: _Batch) -> None:
        written = [obj.pk for obj, _operation, _changes in state.journal]
        journal_bulk(entries=state.journal)
        if self._new_rows is not None:
            written += self._new_rows.write_journal()
        # Bulk writes send no signals of Django's: whoever keeps something in step (the search index) hears it here.
        records_written.send(sender=self.model, pks=written)


class NewRows:
    """rows=True: the plain rows of new records, and the journal of their creation (written with the batch's)."""

    def __init__(self, model: type[models.Model], write: Callable[..., list]):
        meta = model._meta
        self.write = write   # (rows, journal=) -> per row its changes or its ValidationError; see core.bulk
        self.journal = JournalRows()
        self.defaults = {f.attname: f.get_default() for f in meta.concrete_fields
                         if not f.primary_key and f.name not in ("created_at", "updated_at")}
        self.fk = {f.name: f.attname for f in meta.concrete_fields if f.is_relation}

    def row(self, item: Incoming, now) -> dict[str, Any]:
        """The record's plain row: defaults, the peer's fields (foreign keys by id), a new id and stamps."""
        row = dict(self.defaults)
        for key, value in item.fields.items():
            attname = self.fk.get(key)
            if attname is not None:
                row[attname] = value.pk if value is not None else None
            else:
                row[key] = value
        row.update(id=new_id(), created_at=now, updated_at=now)
        return row

    def write_journal(self) -> list:
        """Write the journal rows kept since the last call; the ids of their records."""
        written = [row["object_id"] for row in self.journal.rows]
        self.journal.write()
        return written
