"""`raccordo restore FOLDER`: bring a backup back into an empty installation (operations.restore)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from raccordo.operations.backups import BackupFailed
from raccordo.operations.restore import backup_restore


class Command(BaseCommand):
    help = "Restore a backup folder (made by `raccordo backup`) into this installation's empty database and var/."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder: Path, **options):
        try:
            manifest = backup_restore(folder=folder)
        except BackupFailed as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Restored the backup of {manifest['created_at']} ({manifest['database']}). "
                          "Run `raccordo migrate` if it comes from an older release.")
