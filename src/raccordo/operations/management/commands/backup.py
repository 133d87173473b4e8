"""`raccordo backup [--to DIR] [--keep N] [--json]`: one backup now (operations.backups)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from raccordo.operations.backups import BackupFailed, backup_make


class Command(BaseCommand):
    help = "Back up the database and the files under var/ into a new folder; keep the newest N backups."

    def add_arguments(self, parser):
        parser.add_argument("--to", type=Path, help="The folder backups go to (default RACCORDO_BACKUP_DIR).")
        parser.add_argument("--keep", type=int, help="How many backups to keep (default RACCORDO_BACKUP_KEEP).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print the backup's record as JSON.")

    def handle(self, *args, to=None, keep=None, as_json=False, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep: at least 1")
        try:
            backup = backup_make(directory=to, keep=keep)
        except BackupFailed as exc:
            raise CommandError(exc.message) from exc
        if as_json:
            self.stdout.write(json.dumps({"path": backup.path, "size": backup.size, "database": backup.database,
                                     "status": backup.status}))
        else:
            self.stdout.write(f"Backup written to {backup.path} ({backup.size:,} bytes).")

