"""Importing a set of CommerceML files (one exchange) through the engine: the service every transport calls
(the 1C endpoint, a folder task, the command line, a retry). Node administration is in `nodes`."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import IO, cast

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.core.context import change_context
from raccordo.core.models import Origin

from .engine import RunRecorder, RunStopped, finish_run, start_run
from .formats.commerceml import reader as cml_reader
from .formats.commerceml import records as cml
from .formats.commerceml.records import CommerceMLError, DocumentRec
from .importers.catalog import CatalogImporter
from .importers.documents import DocumentImporter
from .models import ExchangeNode, RecordPolicy, Run, RunItem
from .nodes import local_node, node_create  # noqa: F401 - node_create: named here by callers and tests
from .sources import keep_sources

DRY_RUN = "dry-run"


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
        # a file-like reader: read() and seek() are all the reader asks
        cml_reader.check(cast(IO[bytes], _CountingReader(raw, lambda n: None, path.name)))



def exchange_import(*, paths: Sequence[str | os.PathLike], node: ExchangeNode | None = None, user=None,
                    on_record_error: str = RecordPolicy.SKIP, batch_size: int = 1000,
                    progress: Callable[[Run], None] | None = None, run: Run | None = None,
                    deactivate: bool = True, dry_run: bool = False, only: Collection[str] | None = None,
                    keep: bool = False) -> Run:
    """Import a set of CommerceML files (one exchange) into Raccordo; return the finished run.

    Files are imported in the order given (1C sends import, then offers, prices, rests). A file
    that cannot be read at all (malformed, hostile) is rejected before anything of it is written;
    a full catalog deactivates absent products only when every file of the set succeeded.

    dry_run=True does all of it — reading, validation, matching, writing batch by batch — inside a
    transaction that is rolled back at the end: the database ends as it was, and the run (kind
    "dry-run") lists what would be created and updated, with the changes, and what would be rejected.

    only: the peer's ids of the records to take (a retry of the failed ones, see `runs.run_retry`);
    definitions (price types, warehouses, units) are read as always, nothing is deactivated.
    keep=True keeps a copy of the files with the run (see `sources.keep_sources`) so it can be retried;
    the paths read are in `run.params["paths"]` either way.
    """
    node = node or local_node()
    files = [Path(p) for p in paths]
    if run is None:
        run = start_run(node=node, kind=DRY_RUN if dry_run else "import", files=[f.name for f in files], user=user,
                        on_record_error=on_record_error)
    else:   # a run opened beforehand (the 1C endpoint shows it while a worker imports)
        run.files = [f.name for f in files]
    # Pictures (`Картинка`) are read beside the files as they were given, not beside a kept copy.
    originals = list(files)
    if keep:
        files = keep_sources(run, files)
    roots = {kept: original.parent for kept, original in zip(files, originals, strict=True)}
    run.params = {**(run.params or {}), "paths": [str(f.resolve()) for f in files]}
    if only is not None:
        run.params["only"] = sorted(only)
    run.progress_total = sum(f.stat().st_size for f in files if f.exists())
    run.save(update_fields=["files", "progress_total", "params"])
    recorder = RunRecorder(run, dry_run=dry_run)
    if not dry_run:
        return _import_files(files, node, run, recorder, progress, deactivate, batch_size, only, roots)
    try:
        with transaction.atomic():
            _import_files(files, node, run, recorder, progress, deactivate, batch_size, only, roots)
            transaction.set_rollback(True)
    finally:
        # Whatever happened inside, the rollback took the run's items and counters: write them again.
        recorder.persist()
    return run


def _taken(rec, only: Collection[str]) -> bool:
    """Whether a record passes an `only` filter: records of the peer's ids in it (an offer also by its
    product's id); definitions without which they cannot be read always pass."""
    if isinstance(rec, cml.ProductRec | cml.Group | cml.Property | DocumentRec):
        return rec.id in only
    if isinstance(rec, cml.OfferRec):
        return rec.id in only or (rec.product_id or "") in only
    if isinstance(rec, cml.ErrorRec):
        return (rec.element_id or "") in only
    return True


def _import_files(files: list[Path], node: ExchangeNode, run: Run, recorder: RunRecorder,
                  progress: Callable[[Run], None] | None, deactivate: bool, batch_size: int,
                  only: Collection[str] | None = None, roots: dict[Path, Path] | None = None) -> Run:
    importer = CatalogImporter(node=node, recorder=recorder, batch_size=batch_size)
    documents = DocumentImporter(node=node, recorder=recorder)
    all_ok = True
    done_before = 0
    # Every journal entry of the run carries its id, so the run page can link the records it wrote.
    with change_context(origin=Origin.EXCHANGE, node=node.code, request_id=f"run-{run.pk}"):
        try:
            for path in files:
                importer.file = documents.file = path.name
                importer.root = (roots or {}).get(path, path.parent)
                all_ok = _import_file(path, importer, documents, run, recorder, progress, only) and all_ok
                done_before += path.stat().st_size if path.exists() else 0
                run.progress_done = done_before
            # deactivate=False: one file of a longer exchange; its caller deactivates once all files succeeded.
            # A retry of some records (`only`) has not seen the whole catalog: it deactivates nothing.
            importer.finish(all_files_ok=all_ok and deactivate and only is None)
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


def _import_file(path: Path, importer: CatalogImporter, documents: DocumentImporter, run: Run,
                 recorder: RunRecorder, progress: Callable[[Run], None] | None,
                 only: Collection[str] | None) -> bool:
    """Feed one file's records to the importers; False when the file could not be read (recorded on the run)."""
    try:
        if not path.is_file():
            raise CommerceMLError(_("No such file."), "exchange.file.missing", file=path.name)
        _check_file(path)

        def advance(n: int) -> None:
            run.progress_done += n
            if progress is not None:
                progress(run)

        with path.open("rb") as raw:
            # a file-like reader: read() is all the reader asks
            for rec in cml_reader.read(cast(IO[bytes], _CountingReader(raw, advance, path.name))):
                if only is not None and not _taken(rec, only):
                    continue
                if isinstance(rec, DocumentRec):
                    importer.flush()   # a document may name products of the same file
                    documents.feed(rec)
                else:
                    importer.feed(rec)
        importer.flush()
    except CommerceMLError as exc:
        with transaction.atomic():
            run.failed += 1
            recorder.add(RunItem(outcome="failed", object_type="file", code=exc.code[:64],
                                 message=exc.message, file=exc.file or path.name, line=exc.line,
                                 path=(exc.path or "")[:500]))
            recorder.save()
        return False
    return True
