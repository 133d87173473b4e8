"""The import itself: batches of rows written through the domain services, one savepoint per row, with the
run's counters and items; a dry run rolls it all back."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.catalog.services import product_create, product_update
from raccordo.core.context import change_context
from raccordo.core.errors import ApplicationError
from raccordo.core.journal import diff, snapshot
from raccordo.parties import search as search_index
from raccordo.parties.models import Counterparty, Email, Phone
from raccordo.parties.services import (
    contact_create,
    contact_update,
    counterparty_create,
    counterparty_update,
    email_add,
    phone_add,
)

from ..engine import RunRecorder, finish_run, start_run, validation_message
from ..mappings import responsible_for_new
from ..models import ExchangeNode, Run, RunItem
from ..sources import keep_sources
from .columns import (
    BATCH_SIZE,
    CONTACTS,
    COUNTERPARTIES,
    OnDuplicate,
    TabularError,
    check_mapping,
    choices_check,
    guess_mapping,
)
from .duplicates import duplicate_keys, existing_records, hidden
from .reading import Row, Sheet, count_rows, open_sheet
from .rows import Parsed, RowError, parse_row

# --- the import --------------------------------------------------------------------------------------------------


@dataclass
class TabularImport:
    """One tabular import's rules and state: how rows become records, batch by batch, and what the run records."""

    kind: str
    mapping: dict[str, str]
    on_duplicate: str
    user: Any
    recorder: RunRecorder
    file: str
    seen: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)   # key -> (line, record or None)
    responsible: Any = None   # new counterparties of a node's import: its mapping's responsible (see mappings)

    def item(self, outcome: str, p: Parsed | Row, *, code: str = "", message: str = "", column: str = "",
             obj: Any = None, changes: dict | None = None) -> None:
        row = p.row if isinstance(p, Parsed) else p
        # Duplicates are looked for among what the user sees (existing_records); a record of an earlier row of the
        # file is theirs too. Checked again all the same: a record the user does not see is never named.
        shown = obj is not None and (self.user is None or policy.can(self.user, "view", obj))
        object_id = obj.pk if shown else None
        self.recorder.add(RunItem(outcome=outcome, object_type=f"tabular.{self.kind}", object_id=object_id,
                                  code=code[:64], message=message, file=self.file[:255], line=row.line,
                                  path=column[:500], changes=changes))

    def fail(self, row: Row, exc: RowError) -> None:
        self.recorder.count("failed")
        self.item("failed", row, code=exc.code, message=exc.message, column=exc.column)

    def batch(self, rows: list[Row], done: int | None = None) -> None:
        """Write a batch of rows in one transaction, with the run's counters and progress (`done`)."""
        parsed: list[Parsed] = []
        for row in rows:
            try:
                parsed.append(parse_row(row, self.mapping, self.kind))
            except RowError as exc:
                self.fail(row, exc)
        existing = existing_records(self.kind, parsed, self.user)
        # The search documents of the batch's counterparties are written once, at the end of the batch.
        with transaction.atomic(), search_index.deferred():
            for p in parsed:
                self.one(p, existing)
            if done is not None:
                self.recorder.run.progress_done = done
            self.recorder.save()

    def one(self, p: Parsed, existing: dict) -> None:
        keys = duplicate_keys(self.kind, p)
        # (what, column, record or None, line in this file or None)
        duplicate: tuple[str, str, Any, int | None] | None = None
        for key_kind, key, name in keys:
            column = p.columns.get(name, name)
            if (key_kind, key) in self.seen:
                seen_line, seen_obj = self.seen[(key_kind, key)]
                duplicate = (key_kind, column, seen_obj, seen_line)
                break
            if (key_kind, key) in existing:
                duplicate = (key_kind, column, existing[(key_kind, key)], None)
                break
        if duplicate is not None and self.on_duplicate != OnDuplicate.CREATE:
            key_kind, column, obj, line = duplicate
            where = self._where(obj, line)
            obj = None if hidden(obj) else obj
            if self.on_duplicate == OnDuplicate.SKIP or obj is None:
                self.recorder.count("skipped")
                self.item("duplicate", p, code=f"exchange.tabular.duplicate.{key_kind}", column=column, obj=obj,
                          message=_("Duplicate of %(where)s (same %(key)s): skipped.") % {"where": where,
                                                                                          "key": key_kind})
                return
            self.write(p, keys, merge_into=obj, duplicate_note=(key_kind, column, where))
            return
        if duplicate is not None:
            key_kind, column, obj, line = duplicate
            where = self._where(obj, line)
            obj = None if hidden(obj) else obj
            self.item("duplicate", p, code=f"exchange.tabular.duplicate.{key_kind}", column=column, obj=obj,
                      message=_("Duplicate of %(where)s (same %(key)s): created anyway.") % {"where": where,
                                                                                             "key": key_kind})
        self.write(p, keys)

    @staticmethod
    def _where(obj, line: int | None) -> str:
        if line:
            return _("row %(line)s of this file") % {"line": line}
        if hidden(obj):
            return _("a counterparty you cannot see (responsible: %(name)s)") % {"name": obj.responsible_name or "—"}
        return _("an existing record")

    def write(self, p: Parsed, keys, *, merge_into=None, duplicate_note=None) -> None:
        try:
            with transaction.atomic():   # one row: all of it or nothing of it
                obj, outcome, changes = (self.merge(p, merge_into) if merge_into is not None else self.create(p))
        except RowError as exc:
            self.fail(p.row, exc)
            return
        except ValidationError as exc:
            self.fail(p.row, RowError(validation_message(exc), self._column(exc, p), "exchange.record.invalid"))
            return
        except ApplicationError as exc:
            self.fail(p.row, RowError(exc.message, "", exc.code))
            return
        self.recorder.count(outcome)
        for key_kind, key, _name in keys:
            self.seen.setdefault((key_kind, key), (p.row.line, obj))
            if key_kind == "inn":
                self.seen.setdefault((key_kind, key.split("/")[0] + "/"), (p.row.line, obj))
        if duplicate_note is not None:
            key_kind, column, where = duplicate_note
            self.item("duplicate", p, code=f"exchange.tabular.duplicate.{key_kind}", column=column, obj=obj,
                      changes=changes or None,
                      message=_("Duplicate of %(where)s (same %(key)s): merged.") % {"where": where, "key": key_kind})
        elif outcome in ("created", "updated"):
            self.recorder.planned(outcome=outcome, object_type=f"tabular.{self.kind}", object_id=obj.pk,
                                  changes=changes, message=str(obj))
        if not self.recorder.dry_run:
            # Every row written has its outcome on the run page, linked to its record (the journal has the changes).
            self.item(outcome, p, obj=obj, message=str(obj)[:500])

    def _column(self, exc: ValidationError, p: Parsed) -> str:
        names = list(getattr(exc, "error_dict", {}) or {})
        names = ["phone" if n == "number" else "email" if n == "address" else n for n in names]
        return ", ".join(p.columns.get(n, n) for n in names)

    def _counterparty(self, p: Parsed) -> Counterparty:
        inn, kpp, name = p.data.get("counterparty_inn"), p.data.get("counterparty_kpp"), p.data.get("counterparty")
        qs = Counterparty.objects.all() if self.user is None else policy.visible(Counterparty.objects.all(), self.user)
        if inn:
            qs = qs.filter(inn=inn, **({"kpp": kpp} if kpp else {}))
            column = p.columns.get("counterparty_inn", "")
        elif name:
            qs = qs.filter(name__iexact=name)
            column = p.columns.get("counterparty", "")
        else:
            raise RowError(_("The row names no counterparty."), "", "exchange.tabular.counterparty")
        found = list(qs[:2])
        if len(found) != 1:
            raise RowError(_("No counterparty matches “%(value)s”.") % {"value": inn or name} if not found else
                           _("More than one counterparty matches “%(value)s”.") % {"value": inn or name},
                           column, "exchange.tabular.counterparty")
        return found[0]

    def _fields(self, p: Parsed) -> dict[str, Any]:
        return {k: v for k, v in p.data.items() if k not in ("counterparty", "counterparty_inn", "counterparty_kpp")}

    def create(self, p: Parsed):
        data = self._fields(p)
        if self.kind == COUNTERPARTIES:
            if self.responsible is not None and not data.get("responsible"):
                data["responsible"] = self.responsible
            # A duplicate of an INN the file's rows were checked for above: "create anyway" is the confirmation
            # (refused all the same when settings.DUPLICATE_CHECK blocks duplicates).
            obj: models.Model = counterparty_create(user=self.user, data=data, phones=p.phones, emails=p.emails,
                                                    duplicate_confirmed=self.on_duplicate == OnDuplicate.CREATE)
        elif self.kind == CONTACTS:
            obj = contact_create(user=self.user, counterparty=self._counterparty(p), data=data, phones=p.phones,
                                 emails=p.emails)
        else:
            obj = product_create(user=self.user, data=data)
        return obj, "created", diff({}, snapshot(obj))

    def merge(self, p: Parsed, obj):
        """Fill the existing record with the row's non-empty values and add its new phones and e-mails."""
        obj.refresh_from_db()
        before = snapshot(obj)
        data = self._fields(p)
        if self.kind == COUNTERPARTIES:
            counterparty_update(user=self.user, counterparty=obj, data=data, duplicate_confirmed=True)
            counterparty, contact = obj, None
        elif self.kind == CONTACTS:
            contact_update(user=self.user, contact=obj, data=data)
            counterparty, contact = obj.counterparty, obj
        else:
            product_update(user=self.user, product=obj, data=data)
            counterparty = contact = None
        changes = diff(before, snapshot(obj))
        if counterparty is not None:
            owner = {"contact": contact} if contact is not None else {"contact__isnull": True}
            have_phones = set(Phone.objects.filter(counterparty=counterparty, **owner).values_list("number", flat=True))
            have_emails = set(Email.objects.filter(counterparty=counterparty, **owner).values_list("address", flat=True))
            for number in p.phones:
                if number not in have_phones:
                    phone_add(user=self.user, counterparty=counterparty, contact=contact, number=number)
                    changes.setdefault("phones", [None, []])[1].append(number)
            for address in p.emails:
                if address not in have_emails:
                    email_add(user=self.user, counterparty=counterparty, contact=contact, address=address)
                    changes.setdefault("emails", [None, []])[1].append(address)
        return obj, ("updated" if changes else "unchanged"), changes


def tabular_import(*, path: str | Path, kind: str, user=None, mapping: dict[str, str] | None = None,
                   on_duplicate: str = OnDuplicate.SKIP, dry_run: bool = False, node: ExchangeNode | None = None,
                   file_name: str = "", batch_size: int = BATCH_SIZE,
                   progress: Callable[[Run], None] | None = None, run: Run | None = None,
                   lines: Collection[int] | None = None, keep: bool = False) -> Run:
    """Import counterparties, contact persons or products from a CSV / XLSX file; return the finished run.

    Duplicates (INN+KPP, e-mail, phone, article — of existing records or of earlier rows) are found
    before a row is written and are skipped, merged into the record they duplicate, or created
    anyway (`on_duplicate`); each is listed in the run with its line and column. dry_run=True does
    everything inside a transaction rolled back at the end and reports what would happen.

    run: a run opened beforehand (a background import the page already shows); lines: only the rows
    on these lines (a retry of the failed ones); keep=True keeps a copy of the file with the run so it
    can be retried. What the run was started with is in `run.params`. Progress is counted in rows and
    saved with each batch, in the batch's own transaction.
    """
    choices_check(kind, on_duplicate)
    path = Path(path)
    file_name = file_name or path.name
    if run is None:
        run = start_run(node=node, kind="dry-run" if dry_run else "tabular", files=[file_name], user=user)
    if keep:
        path = keep_sources(run, [path])[0]
    wanted = set(lines) if lines is not None else None
    run.params = {**(run.params or {}), "action": "tabular", "path": str(path.resolve()), "kind": kind,
                  "mapping": dict(mapping or {}), "on_duplicate": on_duplicate, "dry_run": dry_run,
                  "file_name": file_name}
    if wanted is not None:
        run.params["lines"] = sorted(wanted)
    run.save(update_fields=["params"])
    recorder = RunRecorder(run, dry_run=dry_run)
    try:
        sheet = open_sheet(path)
    except TabularError as exc:
        return _file_failed(run, recorder, file_name, exc.code, exc.message)
    mapping = dict(mapping) if mapping else guess_mapping(sheet.headers, kind)
    if not run.params["mapping"]:
        run.params["mapping"] = mapping
    problems = check_mapping(mapping, kind, sheet.headers)
    if problems:
        sheet.close()
        return _file_failed(run, recorder, file_name, "exchange.tabular.mapping", " ".join(problems))
    # In rows: of the whole file, or of the lines a retry takes.
    run.progress_total = len(wanted) if wanted is not None else (run.progress_total or count_rows(path))
    run.progress_done = 0
    run.save(update_fields=["params", "progress_total", "progress_done"])
    job = TabularImport(kind=kind, mapping=mapping, on_duplicate=on_duplicate, user=user, recorder=recorder,
                        file=file_name, responsible=responsible_for_new(node))
    pass_ = _Pass(job=job, sheet=sheet, run=run, node=node, wanted=wanted, batch_size=batch_size, progress=progress)
    if not dry_run:
        return pass_.work()
    try:
        with transaction.atomic():
            pass_.work()
            transaction.set_rollback(True)
    finally:
        recorder.persist()
    return run


def _file_failed(run: Run, recorder: RunRecorder, file_name: str, code: str, message: str) -> Run:
    """Close the run failed on the file as a whole (unreadable, or no usable mapping), with one item saying why."""
    recorder.add(RunItem(outcome="failed", object_type="file", code=code, message=message, file=file_name[:255]))
    run.failed += 1
    recorder.save()
    return finish_run(run, error=message)


@dataclass
class _Pass:
    """One pass over a sheet's rows in batches (the whole file, or the lines a retry takes)."""

    job: TabularImport
    sheet: Sheet
    run: Run
    node: ExchangeNode | None
    wanted: set[int] | None
    batch_size: int
    progress: Callable[[Run], None] | None

    def work(self) -> Run:
        job, run, wanted = self.job, self.run, self.wanted
        # The origin stays the caller's (ui, cli): a file brought by a person is their change, not a peer's.
        with change_context(node=self.node.code if self.node else None, request_id=f"run-{run.pk}"):
            batch: list[Row] = []
            taken = 0
            try:
                for row in self.sheet.rows:
                    if wanted is not None:
                        if row.line not in wanted:
                            continue
                        taken += 1
                    batch.append(row)
                    if len(batch) >= self.batch_size:
                        job.batch(batch, taken if wanted is not None else row.line - 1)
                        batch = []
                        if self.progress is not None:
                            self.progress(run)
                if batch:
                    job.batch(batch)
            except TabularError as exc:
                if batch:   # the rows read before the unreadable part are imported all the same
                    job.batch(batch)
                return _file_failed(run, job.recorder, job.file, exc.code, exc.message)
            finally:
                self.sheet.close()
        run.progress_done = run.progress_total
        return finish_run(run)
