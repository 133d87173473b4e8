"""The source files a run keeps so it can be retried, and their nightly removal.

Kept files live under ``VAR_DIR/runs/<run id>/``: the upload of a tabular import (moved there), a copy of
files imported from elsewhere (hard-linked when on the same file system). Files that are under the var
directory already (1C's uploads, kept per exchange session for the node's retention) are read where they
are. ``run_files_cleanup`` (a nightly periodic task) removes a run's directory ``EXCHANGE_RUN_FILES_KEEP_DAYS``
after the run (30 by default), or once the run is gone; a retry after that says the file is gone.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from raccordo.core.ids import parse_uuid

from .models import Run, RunStatus
from .onec.models import OneCFile

RUNS_DIR = "runs"


def keep_days() -> int:
    """Days a run's kept files stay after the run (EXCHANGE_RUN_FILES_KEEP_DAYS, 30 by default)."""
    return int(getattr(settings, "EXCHANGE_RUN_FILES_KEEP_DAYS", 30))


def path_inside(directory: Path, path: Path) -> bool:
    """Whether `path`, once links and `..` are resolved, lies inside `directory` (a name from outside must not
    reach past the exchange's own folders)."""
    return path.resolve().is_relative_to(directory.resolve())


def runs_root() -> Path:
    """The directory under which each run keeps its files."""
    return Path(settings.VAR_DIR) / RUNS_DIR


def run_dir(run: Run) -> Path:
    """The directory of one run's kept files."""
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
