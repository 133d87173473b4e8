"""The exchange engine's core: runs with their counters and errors, and batched upserts through bindings.

A batch is one transaction: its records, their bindings, the journal entries and the run's counters
are written together, so a run killed half-way leaves whole batches behind and a second run finishes
the job (unchanged records are recognised by their content hash and skipped).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from raccordo.core.context import current
from raccordo.core.errors import ApplicationError
from raccordo.core.ids import new_id
from raccordo.core.journal import _plain, diff, journal_bulk, journaled_fields, snapshot
from raccordo.core.models import ChangeJournal, Operation
from raccordo.parties.search import index_written as search_index_written

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
                         object_id=object_id, changes=_plain(changes) if changes else None, message=message,
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
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


# --- raw rows for the hot tables ---------------------------------------------------------------------------------
#
# A large import creates hundreds of thousands of rows (products, prices, stock levels, bindings, journal
# entries). Building a Django model instance for each and going through bulk_create's compiler costs far
# more than the database work, so the hot paths write plain rows with cursor.executemany instead. Values
# still go through each field's own validation (`validate_row`) and get_db_prep_save, so what lands is
# what the ORM would have written, on SQLite and PostgreSQL alike.


def _converter(field: models.Field, conn) -> Callable[[Any], Any]:
    """`field.get_db_prep_save(value, conn)`, with shortcuts for what an import writes on every row.

    UUIDs (keys and foreign keys to them) skip the field machinery; a datetime column repeats one value
    (a batch's `now`), so its last conversion is reused. Anything else goes through the field itself.
    """
    prep = field.get_db_prep_save
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]  # a relation has a target_field
    if isinstance(target, models.UUIDField):
        native = conn.features.has_native_uuid_field

        def convert_uuid(value, UUID=uuid.UUID):   # noqa: N803
            if type(value) is UUID:
                return value if native else value.hex
            return prep(value, conn)
        return convert_uuid
    if isinstance(field, models.DateTimeField):
        last: list = [object(), None]

        def convert_datetime(value):
            if value is last[0]:
                return last[1]
            last[0], last[1] = value, prep(value, conn)
            return last[1]
        return convert_datetime
    if type(field) in (models.CharField, models.TextField, models.BooleanField):
        plain = str if type(field) is not models.BooleanField else bool

        def convert_plain(value):
            return value if type(value) is plain else prep(value, conn)
        return convert_plain
    return lambda value: prep(value, conn)


class RowWriter:
    """INSERT / UPDATE of plain rows (attname -> Python value) of one model with executemany."""

    def __init__(self, model: type[models.Model], attnames: Iterable[str] | None = None):
        self.model = model
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if attnames is None or f.attname in attnames]
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        self.insert_sql = (f"INSERT INTO {self.table} ({', '.join(quote(f.column) for f in self.fields)}) "  # type: ignore[arg-type]  # a concrete field has a column
                           f"VALUES ({', '.join(['%s'] * len(self.fields))})")
        self._quote = quote

    def insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        conn = connections[DEFAULT_DB_ALIAS]
        columns = [(f.attname, _converter(f, conn)) for f in self.fields]
        with conn.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(self.insert_sql, [[convert(row[name]) for name, convert in columns]
                                                     for row in rows[start:start + 5000]])

    def update(self, attnames: list[str], rows: list[tuple]) -> None:
        """rows: (pk, value for each of attnames)."""
        if not rows:
            return
        meta = self.model._meta
        fields = [meta.get_field(name) if name in {f.name for f in meta.fields} else
                  next(f for f in meta.concrete_fields if f.attname == name) for name in attnames]
        sql = (f"UPDATE {self.table} SET {', '.join(f'{self._quote(f.column)} = %s' for f in fields)} "  # type: ignore[union-attr,arg-type]  # concrete fields, found by name
               f"WHERE {self._quote(meta.pk.column)} = %s")  # type: ignore[arg-type]
        conn = connections[DEFAULT_DB_ALIAS]
        converters = [_converter(f, conn) for f in fields]  # type: ignore[arg-type]
        convert_pk = _converter(meta.pk, conn)
        params = [[convert(v) for convert, v in zip(converters, row[1:], strict=True)] + [convert_pk(row[0])]
                  for row in rows]
        with conn.cursor() as cursor:
            for start in range(0, len(params), 5000):
                cursor.executemany(sql, params[start:start + 5000])


def model_has_own_clean(model: type[models.Model]) -> bool:
    return model.clean is not models.Model.clean


def validate_row(model: type[models.Model], row: dict[str, Any], skip: set[str]) -> None:
    """Model.clean_fields() on a plain row (attname -> value, cleaned in place), without an instance.

    Foreign keys (`skip`) are resolved from bindings by the importer, so they are not queried here.
    """
    errors: dict[str, list] = {}
    for f in model._meta.concrete_fields:
        if f.name in skip or f.attname in skip:
            continue
        raw = row[f.attname]
        if f.blank and raw in f.empty_values:
            continue
        try:
            row[f.attname] = f.clean(raw, None)
        except ValidationError as exc:
            errors[f.name] = exc.error_list
    if errors:
        raise ValidationError(errors)


_JOURNALED: dict[type, list[tuple[str, str]]] = {}


def row_snapshot(model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
    """core.journal.snapshot() of a plain row."""
    names = _JOURNALED.get(model)
    if names is None:
        names = _JOURNALED[model] = [(f.name, f.attname) for f in journaled_fields(model)]
    out = {}
    for name, attname in names:
        value = row[attname]
        out[name] = value if value is None or type(value) is str or type(value) is bool else _plain(value)
    return out


class RowView:
    """A plain row that lends itself the model's own __str__ (the journal's object_repr, no instance)."""

    def __init__(self, model: type[models.Model], **values: Any):
        self.__dict__.update(values)
        self._model = model

    def __str__(self) -> str:
        return self._model.__str__(self)


def row_repr(model: type[models.Model], **values: Any) -> str:
    return str(RowView(model, **values))[:255]


class JournalRows:
    """Journal entries as plain rows: the same content as core.journal.journal_bulk, stamped alike."""

    def __init__(self):
        self.writer = RowWriter(ChangeJournal)
        self.rows: list[dict[str, Any]] = []
        self._types: dict[type, int] = {}

    def add(self, model: type[models.Model], pk: Any, repr_: str, operation: str, changes: dict) -> None:
        ct = self._types.get(model)
        if ct is None:
            ct = self._types[model] = ContentType.objects.get_for_model(model).pk
        self.rows.append({"content_type_id": ct, "object_id": pk, "object_repr": repr_[:255],
                          "operation": operation, "changes": changes})

    def write(self) -> None:
        if not self.rows:
            return
        ctx = current()
        now = timezone.now()
        for row in self.rows:
            row.update(seq=None, at=now, user_id=None, origin=ctx.origin, node=ctx.node, request_id=ctx.request_id)
        # seq is the database's own sequence: leave it out of the INSERT
        writer = RowWriter(ChangeJournal, [f.attname for f in ChangeJournal._meta.concrete_fields
                                           if f.attname != "seq"])
        writer.insert(self.rows)
        self.rows = []


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
    objects: dict[str, models.Model] = field(default_factory=dict)   # external id -> our record (touched or not)
    ids: dict[str, Any] = field(default_factory=dict)                  # external id -> our id


class BoundRow:
    """What an upsert needs of an existing binding (see BindingUpsert.bindings with rows=True)."""

    __slots__ = ("pk", "object_id", "content_hash", "scope", "peer_deleted")

    def __init__(self, pk: int, object_id: Any, content_hash: str, scope: str = "", peer_deleted: bool = False):
        self.pk, self.object_id, self.content_hash = pk, object_id, content_hash
        self.scope, self.peer_deleted = scope, peer_deleted


def binding_state_differs(binding, item: Incoming) -> bool:
    """Whether the binding's scope or deletion mark is not what the peer now says (hash aside)."""
    return ((item.scope is not None and binding.scope != item.scope)
            or (item.deleted is not None and binding.peer_deleted != item.deleted))


def binding_state_take(binding, item: Incoming) -> None:
    if item.scope is not None:
        binding.scope = item.scope
    if item.deleted is not None:
        binding.peer_deleted = item.deleted


class BindingUpsert:
    """Creates or updates records of one model from a peer's records, batch by batch, through bindings.

    `match` finds an existing record for an unbound incoming one (the mapping's matching keys);
    `validate` is the model's own validation without per-row foreign-key queries: foreign keys
    are resolved by the importer from bindings, so they exist by construction.
    """

    def __init__(self, *, node: ExchangeNode, model: type[models.Model], object_type: str, recorder: RunRecorder,
                 match: Callable[[list[Incoming]], Mapping[str, models.Model]] | None = None,
                 count: bool = True, rows: bool = False, rules=None):
        self.node = node
        # rules (exchange.conflicts.MergeRules): the mapping's ownership and conflict policy for updates.
        self.rules = rules
        self.model = model
        self.object_type = object_type
        self.recorder = recorder
        self.match = match
        self.count = count
        self.fk_names = [f.name for f in model._meta.concrete_fields if f.is_relation]
        # rows=True: new records are written as plain rows (see RowWriter) and the result holds their ids
        # only; unchanged records are not loaded either. For the big tables of an import.
        self.rows = rows and not model_has_own_clean(model)

    def _attname(self, name: str) -> str:
        attnames = self.__dict__.get("_attnames")
        if attnames is None:
            attnames = self._attnames = {f.name: f.attname for f in self.model._meta.concrete_fields}
        return attnames.get(name, name)

    def _validate(self, obj: models.Model) -> None:
        obj.clean_fields(exclude=self.fk_names)
        obj.clean()

    def bindings(self, external_ids: Iterable[str]) -> dict[str, Binding | BoundRow]:
        bindings = Binding.objects.filter(node=self.node, object_type=self.object_type,
                                          external_id__in=list(external_ids))
        if self.rows:   # no model instance per binding: most of them only show the record is unchanged
            return {ext: BoundRow(pk, object_id, digest, scope, deleted) for pk, ext, object_id, digest, scope, deleted
                    in bindings.values_list("pk", "external_id", "object_id", "content_hash", "scope",
                                            "peer_deleted")}
        return {b.external_id: b for b in bindings}

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
        # Unchanged records whose `ensure` fields no longer hold: only those fields are written.
        ensured: list[tuple[Incoming, models.Model, Binding | BoundRow]] = []
        # Unchanged records whose binding state (scope, deletion mark) moved: only the binding is written.
        restated: list[Binding | BoundRow] = []
        if self.rows:
            # Only records whose hash changed are loaded; of the others it is enough that they still exist
            # (and hold what `ensure` asks of them: those are loaded too).
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
                    item = latest[ext]
                    result.ids[ext] = b.object_id
                    if binding_state_differs(b, item):
                        binding_state_take(b, item)
                        restated.append(b)
                    if self.count:
                        self.recorder.count("unchanged")
            latest = {ext: item for ext, item in latest.items() if ext not in result.ids}
        else:
            existing = self.model._default_manager.in_bulk([b.object_id for b in bound.values()])

        to_update: list[tuple[Incoming, models.Model, Binding | BoundRow | None]] = []
        to_create: list[Incoming] = []
        for ext_id, item in latest.items():
            binding = bound.get(ext_id)
            obj = existing.get(binding.object_id) if binding else None
            if obj is not None and binding.content_hash == item.hash:  # type: ignore[union-attr]  # an object is only found through its binding
                if any(getattr(obj, k) != v for k, v in item.ensure.items()):
                    ensured.append((item, obj, binding))  # type: ignore[arg-type]
                    continue
                result.objects[ext_id], result.ids[ext_id] = obj, obj.pk
                if binding_state_differs(binding, item):
                    binding_state_take(binding, item)
                    restated.append(binding)  # type: ignore[arg-type]
                if self.count:
                    self.recorder.count("unchanged")
                continue
            if obj is not None:
                to_update.append((item, obj, binding))
            else:
                to_create.append(item)
        for item, obj, binding in ensured:
            # The peer's record is as it was; only what must hold is written, so nothing else the CRM
            # changed meanwhile is overwritten.
            to_update.append((Incoming(item.external_id, dict(item.ensure), item.source, hash=item.hash,
                                       scope=item.scope, deleted=item.deleted), obj, binding))

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
        new_bindings: list[NewBinding] = []
        touched_bindings: list[Binding | BoundRow] = []
        rules = self.rules
        # Conflicts need the journal of bound records whose content changed: one query for the batch.
        histories = rules.histories(self.model, [obj.pk for _i, obj, binding in to_update if binding is not None]) \
            if rules is not None and to_update else {}
        for item, obj, binding in to_update:
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
                self.recorder.fail(object_type=self.object_type, source=item.source, code="exchange.record.invalid",
                                   message=validation_message(exc))
                continue
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
            if changes:
                changed_fields.update(changes)
                updated.append(obj)
                journal.append((obj, Operation.UPDATE, changes))
                self.recorder.planned(outcome="updated", object_type=self.object_type, external_id=item.external_id,
                                      object_id=obj.pk, changes=changes, source=item.source)
                if self.count:
                    self.recorder.count("updated")
            elif self.count:
                self.recorder.count("unchanged")
            if binding is None:
                new_bindings.append(NewBinding(node=self.node, object_type=self.object_type,
                                               external_id=item.external_id, object_id=obj.pk,
                                               content_hash=item.hash, scope=item.scope, deleted=item.deleted))
            else:
                binding.content_hash = item.hash
                binding_state_take(binding, item)
                touched_bindings.append(binding)
            result.objects[item.external_id], result.ids[item.external_id] = obj, obj.pk

        now = timezone.now()
        for obj in updated:
            obj.updated_at = now   # type: ignore[attr-defined]  # bulk_update skips auto_now
        created: list[models.Model] = []
        if self.rows:
            to_create = self._create_rows(to_create, result, new_bindings, journal)
        for item in to_create:
            if not item.create:
                self._skip(item)
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
            self.recorder.planned(outcome="created", object_type=self.object_type, external_id=item.external_id,
                                  object_id=obj.pk, changes=journal[-1][2], source=item.source)
            new_bindings.append(NewBinding(node=self.node, object_type=self.object_type, external_id=item.external_id,
                                           object_id=obj.pk, content_hash=item.hash, scope=item.scope,
                                           deleted=item.deleted))
            result.objects[item.external_id], result.ids[item.external_id] = obj, obj.pk
            if self.count:
                self.recorder.count("created")

        if created:
            self.model._default_manager.bulk_create(created, batch_size=500)
        if updated:
            # Foreign keys appear in snapshots by field name; bulk_update wants the same names.
            self.model._default_manager.bulk_update(updated, sorted(changed_fields | {"updated_at"}), batch_size=500)
        if new_bindings:
            write_bindings(new_bindings)
        touched_bindings += restated
        if touched_bindings:
            if self.rows:
                RowWriter(Binding).update(["content_hash", "scope", "peer_deleted"],
                                          [(b.pk, b.content_hash, b.scope, b.peer_deleted) for b in touched_bindings])
            else:
                Binding.objects.bulk_update(touched_bindings, ["content_hash", "scope", "peer_deleted", "updated_at"],  # type: ignore[arg-type]  # without rows, bindings are model instances
                                            batch_size=500)
        written = [obj.pk for obj, _operation, _changes in journal]
        if self._journal_rows is not None:
            written += [row["object_id"] for row in self._journal_rows.rows]
        journal_bulk(entries=journal)
        if self._journal_rows is not None:
            self._journal_rows.write()
        # Bulk writes send no signals: the search index (counterparties, contacts, phones, e-mails) is told here.
        search_index_written(self.model, written)
        return result

    _journal_rows: JournalRows | None = None

    def _skip(self, item: Incoming) -> None:
        if self.count:
            self.recorder.count("skipped")
        if item.skip_reason:
            source = item.source
            self.recorder.add(RunItem(outcome="skipped", object_type=self.object_type,
                                      external_id=item.external_id[:255], code="exchange.record.not_created",
                                      message=item.skip_reason, file=source.file[:255], line=source.line,
                                      path=(source.path or "")[:500]))

    def _create_rows(self, items: list[Incoming], result: UpsertResult, new_bindings: list,
                     journal: list) -> list[Incoming]:
        """Validate and insert new records as plain rows; return nothing left to create the slow way."""
        model = self.model
        meta = model._meta
        if self._journal_rows is None:
            self._journal_rows = JournalRows()
            self._writer = RowWriter(model)
            self._defaults = {f.attname: f.get_default() for f in meta.concrete_fields
                              if not f.primary_key and f.name not in ("created_at", "updated_at")}
            self._fk = {f.name: f.attname for f in meta.concrete_fields if f.is_relation}
            self._str_fields = [f.name for f in meta.concrete_fields if not f.is_relation]
        now = timezone.now()
        rows = []
        skip = set(self.fk_names)
        for item in items:
            if not item.create:
                self._skip(item)
                continue
            row = dict(self._defaults)
            for key, value in item.fields.items():
                attname = self._fk.get(key)
                if attname is not None:
                    row[attname] = value.pk if value is not None else None
                else:
                    row[key] = value
            pk = new_id()
            row.update(id=pk, created_at=now, updated_at=now)
            try:
                validate_row(model, row, skip)
            except ValidationError as exc:
                self.recorder.fail(object_type=self.object_type, source=item.source, code="exchange.record.invalid",
                                   message=validation_message(exc))
                continue
            rows.append(row)
            created_changes = diff({}, row_snapshot(model, row))
            self._journal_rows.add(model, pk, row_repr(model, **{n: row[n] for n in self._str_fields}),
                                   Operation.CREATE, created_changes)
            self.recorder.planned(outcome="created", object_type=self.object_type, external_id=item.external_id,
                                  object_id=pk, changes=created_changes, source=item.source)
            new_bindings.append(NewBinding(node=self.node, object_type=self.object_type, external_id=item.external_id,
                                           object_id=pk, content_hash=item.hash, scope=item.scope,
                                           deleted=item.deleted))
            result.ids[item.external_id] = pk
            if self.count:
                self.recorder.count("created")
        self._writer.insert(rows)
        return []


class NewBinding:
    """A binding to insert (see write_bindings): the fields of a Binding, without a model instance."""

    __slots__ = ("node_id", "object_type", "external_id", "object_id", "content_hash", "scope", "peer_deleted")

    def __init__(self, *, node: ExchangeNode, object_type: str, external_id: str, object_id: Any, content_hash: str,
                 scope: str | None = None, deleted: bool | None = None):
        self.node_id = node.pk
        self.object_type = object_type
        self.external_id = external_id
        self.object_id = object_id
        self.content_hash = content_hash
        self.scope = scope or ""
        self.peer_deleted = bool(deleted)


def write_bindings(bindings: Sequence[Binding | NewBinding]) -> None:
    """Insert new bindings as plain rows (see RowWriter); the id is the database's."""
    now = timezone.now()
    RowWriter(Binding, [f.attname for f in Binding._meta.concrete_fields if f.attname != "id"]).insert(
        [{"node_id": b.node_id, "object_type": b.object_type, "external_id": b.external_id,
          "object_id": b.object_id, "content_hash": b.content_hash, "scope": b.scope, "peer_deleted": b.peer_deleted,
          "updated_at": now} for b in bindings])


def batched_transaction(recorder: RunRecorder, work: Callable[[], Any]) -> Any:
    """Run one batch's writes and the run's counters in a single transaction."""
    with transaction.atomic():
        value = work()
        recorder.save()
    return value
