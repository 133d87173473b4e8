"""raccordo onec_cleanup: remove old 1C exchange session directories and request logs now."""

from django.core.management.base import BaseCommand

from raccordo.exchange.onec.housekeeping import sessions_cleanup


class Command(BaseCommand):
    help = "Remove 1C exchange session directories and request logs older than each node's retention."

    def handle(self, *args, **options):
        result = sessions_cleanup()
        self.stdout.write(f"sessions cleaned: {result['sessions']}, log entries removed: {result['requests']}")
