"""`raccordo backup`: the database and the files under var/ copied to a folder of their own, with rotation.

A backup is one folder `raccordo-<UTC time>` in RACCORDO_BACKUP_DIR holding
  database.sqlite3   SQLite's online backup API: a consistent copy while the server goes on writing, or
  database.pgdump    `pg_dump --format=custom` (one snapshot, consistent too), for `pg_restore`
  files.tar.gz       uploads (media/), the exchange's kept files (exchange/, runs/) and the generated secret key
  manifest.json      what is in it: database kind, applied migrations, each file's size and SHA-256
It is written under a `.partial-` name and renamed when complete, so a folder with the final name is a whole
backup; rotation keeps the newest RACCORDO_BACKUP_KEEP of them and never touches anything else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from raccordo.core.errors import ApplicationError

from . import services
from .models import Backup, BackupStatus

log = logging.getLogger(__name__)

PREFIX = "raccordo-"
FORMAT = 1
# What under var/ belongs in a backup: uploaded files, the 1C exchange's files, the kept files of runs, and the
# generated secret key (without it the encrypted passwords of a restored installation could not be read).
VAR_PARTS = ("media", "exchange", "runs", "secret_key")


class BackupFailed(ApplicationError):
    """A backup or a restore could not be made; the message says what failed."""


def pg_environment() -> dict[str, str]:
    """The libpq variables for pg_dump/pg_restore, from the configured database (no password on a command line)."""
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": str(db["NAME"])}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[var] = str(db[key])
    return env


def run_tool(cmd: list[str]) -> None:
    """Run pg_dump/pg_restore; its error output becomes the failure's message."""
    try:
        done = subprocess.run(cmd, env=pg_environment(), capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupFailed(f"{cmd[0]} is not installed (Debian: apt-get install postgresql-client)",
                           code="operations.tool_missing") from exc
    if done.returncode != 0:
        raise BackupFailed(f"{cmd[0]} failed: {done.stderr.strip()[-2000:]}", code="operations.tool_failed")


def dump_database(folder: Path) -> str:
    """Copy the database into `folder`; returns the file's name."""
    if connection.vendor == "sqlite":
        target = folder / "database.sqlite3"
        source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return target.name
    if connection.vendor == "postgresql":
        target = folder / "database.pgdump"
        run_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)])
        return target.name
    raise BackupFailed(f"backups of a {connection.vendor} database are not supported", code="operations.vendor")


def pack_files(folder: Path) -> str:
    """The files under var/ that belong in a backup, as one compressed tar."""
    var = Path(settings.VAR_DIR)
    target = folder / "files.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for part in VAR_PARTS:
            if (var / part).exists():
                tar.add(var / part, arcname=part)
    return target.name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, names: list[str], started: dt.datetime) -> None:
    applied = sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())
    manifest = {
        "format": FORMAT, "created_at": started.isoformat(), "database": connection.vendor, "host": socket.gethostname(),
        "migrations": applied,
        "files": {name: {"size": (folder / name).stat().st_size, "sha256": _sha256(folder / name)} for name in names},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` complete backups in `directory`; returns what was deleted."""
    backups = sorted((p for p in directory.iterdir() if p.is_dir() and p.name.startswith(PREFIX)
                      and (p / "manifest.json").exists()), key=lambda p: p.name, reverse=True)
    for old in backups[keep:]:
        shutil.rmtree(old)
    return backups[keep:]


def _write(directory: Path, started: dt.datetime) -> Path:
    name = PREFIX + started.strftime("%Y%m%d-%H%M%S-%f")
    partial = directory / f".partial-{name}"
    partial.mkdir(mode=0o700)
    try:
        names = [dump_database(partial), pack_files(partial)]
        write_manifest(partial, names, started)
        final = directory / name
        partial.rename(final)
        return final
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def backup_make(*, directory: Path | None = None, keep: int | None = None, nightly: bool = False) -> Backup:
    """Make one backup in `directory` (RACCORDO_BACKUP_DIR), keep the newest `keep`, and record how it went.

    A failure is recorded (and logged) too, then raised: the system page shows the last backup failed.
    """
    directory = Path(directory or settings.BACKUP_DIR)
    keep = keep or settings.BACKUP_KEEP
    started = timezone.now()
    record = {"user": None, "started_at": started, "database": connection.vendor, "host": socket.gethostname(),
              "nightly": nightly}
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = _write(directory, started)
        removed = rotate(directory, keep)
    except (OSError, sqlite3.Error, BackupFailed) as exc:
        log.exception("backup into %s failed", directory)
        services.backup_record(**record, status=BackupStatus.FAILED, path=str(directory), size=0, message=str(exc))
        if isinstance(exc, BackupFailed):
            raise
        raise BackupFailed(f"backup into {directory} failed: {exc}", code="operations.backup_failed") from exc
    size = sum(p.stat().st_size for p in folder.iterdir())
    message = f"{len(removed)} older backup(s) removed" if removed else ""
    return services.backup_record(**record, status=BackupStatus.SUCCEEDED, path=str(folder), size=size,
                                  message=message)
