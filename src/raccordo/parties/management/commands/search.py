"""`raccordo search rebuild`: rewrite the search documents of every counterparty and contact person;
`raccordo search find TERM --user U`: what that user's search finds, for checking from a terminal."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from raccordo.parties import search
from raccordo.parties.models import SearchDocument
from raccordo.parties.selectors import contact_list, counterparty_list


class Command(BaseCommand):
    help = ("Search index of counterparties and contact persons (name, INN, phone, e-mail). "
            "`search rebuild` rewrites it from the records (after a restore or a bulk load); "
            "`search find TERM --user USERNAME` shows what that user's search finds.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="Rewrite every search document and rebuild the index.")
        rebuild.add_argument("--batch", type=int, default=5000, help="Counterparties per batch.")
        find = sub.add_parser("find", help="Search as a user would.")
        find.add_argument("term")
        find.add_argument("--user", required=True, help="Username: the results go through their access rights.")
        find.add_argument("--limit", type=int, default=20)

    def handle(self, *args, action, verbosity, **options):
        if action == "rebuild":
            self._rebuild(options["batch"], verbosity)
        else:
            self._find(options["term"], options["user"], options["limit"])

    def _rebuild(self, batch: int, verbosity: int) -> None:
        if batch < 1:
            raise CommandError("--batch must be a positive number.")
        log = self.stdout.write if verbosity >= 1 else (lambda msg: None)
        started = time.perf_counter()
        result = search.index_rebuild(batch=batch, log=log)
        self.stdout.write(self.style.SUCCESS(
            f"Search index rebuilt: {result.counterparties:,} counterparties, {result.documents:,} documents "
            f"in {time.perf_counter() - started:.1f} s."))

    def _find(self, term: str, username: str, limit: int) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user “{username}”.")
        if not SearchDocument.objects.exists():
            self.stderr.write("The search index is empty: run `raccordo search rebuild`.")
        for label, rows in (("Counterparties", counterparty_list(user=user, search=term).order_by("name", "pk")),
                            ("Contacts", contact_list(user=user, search=term).order_by("last_name", "pk"))):
            found = list(rows[:limit])
            self.stdout.write(f"{label}: {len(found)}{'+' if len(found) == limit else ''}")
            for obj in found:
                self.stdout.write(f"  {obj.pk}  {obj}")
