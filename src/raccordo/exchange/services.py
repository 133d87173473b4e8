"""Write services of the exchange: nodes, and importing a set of files through the engine."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.core.services import record_create

from .engine import RunRecorder, RunStopped, finish_run, start_run
from .formats.commerceml import reader as cml_reader
from .formats.commerceml.records import CommerceMLError, DocumentRec
from .importers.catalog import CatalogImporter
from .importers.documents import DocumentImporter
from .models import ExchangeNode, NodeKind, RecordPolicy, Run, RunItem

LOCAL_NODE = "local"
DRY_RUN = "dry-run"


def node_create(*, user, code: str, name: str = "", kind: str = NodeKind.ONEC_HTTP, login: str = "",
                password: str = "", path: str = "") -> ExchangeNode:
    """Register a peer; its exchange password is stored hashed."""
    node = ExchangeNode(code=code, name=name or code, kind=kind, login=login, path=path)
    if password:
        node.set_password(password)
    node.full_clean()
    return record_create(ExchangeNode, user=user, data={f.name: getattr(node, f.name)
                                                        for f in ExchangeNode._meta.concrete_fields
                                                        if not f.primary_key and f.name not in ("created_at",
                                                                                                "updated_at")})


def local_node() -> ExchangeNode:
    """The node files imported by hand belong to, when no node is named."""
    node = ExchangeNode.objects.filter(code=LOCAL_NODE).first()
    if node is None:
        node = node_create(user=None, code=LOCAL_NODE, name=_("Files imported by hand"), kind=NodeKind.FOLDER)
    return node


class _CountingReader(io.RawIOBase):
    """A file wrapper that reports how many bytes the parser has consumed (progress of a run)."""

    def __init__(self, raw, on_read: Callable[[int], None], name: str):
        self.raw = raw
        self.on_read = on_read
        self.name = name   # the reader reports errors against this file name

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.on_read(len(data))
        return data

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)


def _check_file(path: Path) -> None:
    """Check the whole file before writing anything, so a file broken at its end writes nothing.

    A cheap well-formedness and hostility pre-scan (see `reader.check`), not a second full read.
    """
    with path.open("rb") as raw:
        cml_reader.check(_CountingReader(raw, lambda n: None, path.name))


def exchange_import(*, paths: Sequence[str | os.PathLike], node: ExchangeNode | None = None, user=None,
                    on_record_error: str = RecordPolicy.SKIP, batch_size: int = 1000,
                    progress: Callable[[Run], None] | None = None, run: Run | None = None,
                    deactivate: bool = True, dry_run: bool = False) -> Run:
    """Import a set of CommerceML files (one exchange) into Raccordo; return the finished run.

    Files are imported in the order given (1C sends import, then offers, prices, rests). A file
    that cannot be read at all (malformed, hostile) is rejected before anything of it is written;
    a full catalog deactivates absent products only when every file of the set succeeded.

    dry_run=True does all of it — reading, validation, matching, writing batch by batch — inside a
    transaction that is rolled back at the end: the database ends as it was, and the run (kind
    "dry-run") lists what would be created and updated, with the changes, and what would be rejected.
    """
    node = node or local_node()
    files = [Path(p) for p in paths]
    if run is None:
        run = start_run(node=node, kind=DRY_RUN if dry_run else "import", files=[f.name for f in files], user=user,
                        on_record_error=on_record_error)
    else:   # a run opened beforehand (the 1C endpoint shows it while a worker imports)
        run.files = [f.name for f in files]
    run.progress_total = sum(f.stat().st_size for f in files if f.exists())
    run.save(update_fields=["files", "progress_total"])
    recorder = RunRecorder(run, dry_run=dry_run)
    if not dry_run:
        return _import_files(files, node, run, recorder, progress, deactivate, batch_size)
    try:
        with transaction.atomic():
            _import_files(files, node, run, recorder, progress, deactivate, batch_size)
            transaction.set_rollback(True)
    finally:
        # Whatever happened inside, the rollback took the run's items and counters: write them again.
        recorder.persist()
    return run


def _import_files(files: list[Path], node: ExchangeNode, run: Run, recorder: RunRecorder,
                  progress: Callable[[Run], None] | None, deactivate: bool, batch_size: int) -> Run:
    importer = CatalogImporter(node=node, recorder=recorder, batch_size=batch_size)
    documents = DocumentImporter(node=node, recorder=recorder)
    all_ok = True
    done_before = 0
    # Every journal entry of the run carries its id, so the run page can link the records it wrote.
    with change_context(origin=Origin.EXCHANGE, node=node.code, request_id=f"run-{run.pk}"):
        try:
            for path in files:
                importer.file = documents.file = path.name
                try:
                    if not path.is_file():
                        raise CommerceMLError(_("No such file."), "exchange.file.missing", file=path.name)
                    _check_file(path)

                    def advance(n: int) -> None:
                        run.progress_done += n
                        if progress is not None:
                            progress(run)

                    with path.open("rb") as raw:
                        for rec in cml_reader.read(_CountingReader(raw, advance, path.name)):
                            if isinstance(rec, DocumentRec):
                                importer.flush()   # a document may name products of the same file
                                documents.feed(rec)
                            else:
                                importer.feed(rec)
                    importer.flush()
                except CommerceMLError as exc:
                    all_ok = False
                    with transaction.atomic():
                        run.failed += 1
                        recorder.add(RunItem(outcome="failed", object_type="file", code=exc.code[:64],
                                             message=exc.message, file=exc.file or path.name, line=exc.line,
                                             path=(exc.path or "")[:500]))
                        recorder.save()
                done_before += path.stat().st_size if path.exists() else 0
                run.progress_done = done_before
            # deactivate=False: one file of a longer exchange; its caller deactivates once all files succeeded.
            importer.finish(all_files_ok=all_ok and deactivate)
        except RunStopped as exc:
            run.refresh_from_db()
            recorder.add(RunItem(outcome="failed", code=exc.code, message=exc.message,
                                 file=str(exc.extra.get("file") or ""), line=exc.extra.get("line"),
                                 path=str(exc.extra.get("path") or "")[:500]))
            run.failed += 1
            recorder.save()
            return finish_run(run, stopped=True, error=exc.message)
        except Exception as exc:  # an unexpected failure still closes the run with its reason
            run.refresh_from_db()
            finish_run(run, error=f"{type(exc).__name__}: {exc}")
            raise
    if not all_ok and not (run.created or run.updated):
        return finish_run(run, error=_("No file of the exchange could be read."))
    return finish_run(run)

