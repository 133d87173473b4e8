"""`raccordo restore FOLDER`: a backup (operations.backups) brought back into an empty installation.

Empty means the configured database has no tables: a fresh SQLite file under a new RACCORDO_VAR, or a newly
created PostgreSQL database. Restoring over data is refused (a restore never merges: ids, journal sequence
numbers and the exchange's bindings would clash), and so is a backup of the other database kind. Every file
is checked against the manifest's SHA-256 first, so a damaged backup stops before anything is written.
After the restore, `raccordo migrate` brings a backup of an older release up to this one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection

from .backups import FORMAT, BackupFailed, _sha256, run_tool


def read_manifest(folder: Path) -> dict:
    """The backup's manifest, with every file it lists checked against its size and checksum."""
    path = folder / "manifest.json"
    if not path.is_file():
        raise BackupFailed(f"{folder} is not a Raccordo backup: manifest.json is missing", code="operations.not_backup")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupFailed(f"{path}: backup format {manifest.get('format')} is not known to this release",
                           code="operations.format")
    for name, facts in manifest["files"].items():
        file = folder / name
        if not file.is_file() or file.stat().st_size != facts["size"] or _sha256(file) != facts["sha256"]:
            raise BackupFailed(f"{file} is missing or damaged (its checksum differs from the manifest's)",
                               code="operations.damaged")
    return manifest


def require_empty_database() -> None:
    tables = connection.introspection.table_names()
    if tables:
        raise BackupFailed(f"the database is not empty ({len(tables)} tables): restore into a new, empty database "
                           "(a new RACCORDO_VAR for SQLite, a newly created PostgreSQL database)",
                           code="operations.not_empty")


def load_database(folder: Path, manifest: dict) -> None:
    if manifest["database"] != connection.vendor:
        raise BackupFailed(f"the backup holds a {manifest['database']} database, this installation uses "
                           f"{connection.vendor}", code="operations.vendor")
    require_empty_database()
    if connection.vendor == "sqlite":
        connection.close()
        source = sqlite3.connect(str(folder / "database.sqlite3"))
        target = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        run_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  "--dbname", str(settings.DATABASES["default"]["NAME"]), str(folder / "database.pgdump")])


def unpack_files(folder: Path) -> None:
    """The backup's files into var/; the installation's own generated secret key is kept aside, not lost."""
    var = Path(settings.VAR_DIR)
    with tarfile.open(folder / "files.tar.gz", "r:gz") as tar:
        if "secret_key" in tar.getnames() and (var / "secret_key").exists():
            shutil.copy2(var / "secret_key", var / "secret_key.before-restore")
        tar.extractall(var, filter="data")   # "data": no absolute paths, no escaping var/, no devices


def backup_restore(*, folder: Path) -> dict:
    """Restore the backup in `folder` into this (empty) installation; returns the backup's manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    load_database(folder, manifest)
    unpack_files(folder)
    return manifest
