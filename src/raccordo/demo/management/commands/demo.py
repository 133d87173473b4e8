"""`raccordo demo [--scale N] [--seed S]`: a believable demo company, or N bulk counterparties for benchmarks."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from raccordo.demo.management.boxes import demo_logins_box
from raccordo.demo.seeding import seed_bulk, seed_demo
from raccordo.demo.words import LANGUAGES
from raccordo.parties.models import Counterparty


class Command(BaseCommand):
    help = ("Create a demo company (staff, own companies, catalog, ~40 counterparties, deals, invoices, payments, "
            "tasks, interactions) through the services; with --scale N, bulk-create N counterparties with "
            "contacts, deals, invoices and interactions for benchmarks.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=None, metavar="N",
                            help="Bulk-create N counterparties (plus ~N contacts, N/2 deals, N/2 invoices, "
                                 "N interactions) instead of the small demo.")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed: the same seed gives the same data.")
        parser.add_argument("--batch", type=int, default=5000, help="Rows per batch and transaction with --scale.")
        parser.add_argument("--force", action="store_true",
                            help="Add the small demo even though the database already has counterparties.")
        parser.add_argument("--language", choices=LANGUAGES, default=None,
                            help="Language of the demo's names: stages, units, catalog, tasks "
                                 "(default: RACCORDO_DEMO_LANGUAGE, else LANGUAGE_CODE).")

    def handle(self, *args, scale, seed, batch, force, verbosity, language=None, **options):
        log = self.stdout.write if verbosity >= 1 else (lambda msg: None)
        started = time.perf_counter()
        if scale is not None:
            if scale < 1:
                raise CommandError("--scale must be a positive number of counterparties.")
            log(f"Bulk demo: {scale:,} counterparties (seed {seed}, batches of {batch:,})")
            ref, result = seed_bulk(n=scale, seed=seed, batch=batch, language=language, log=log)
            for name, count in result.counts.items():
                log(f"  {name:<14} {count:>12,}")
            total = sum(result.counts.values())
            log(self.style.SUCCESS(f"Done: {total:,} rows in {result.seconds:.1f} s "
                                   f"({total / max(result.seconds, 1e-9):,.0f} rows/s)."))
            self._print_logins(ref)
            return
        if Counterparty.objects.exists() and not force:
            raise CommandError("The database already has counterparties; the demo is meant for an empty one. "
                               "Use --force to add it anyway, or --scale N to add bulk data.")
        log(f"Demo company (seed {seed}):")
        result = seed_demo(seed=seed, language=language, log=log)
        log(self.style.SUCCESS(f"Demo company created in {time.perf_counter() - started:.1f} s: "
                               f"{Counterparty.objects.count()} counterparties, invoices "
                               + ", ".join(f"{k} {v}" for k, v in sorted(result.invoices.items())) + "."))
        self._print_logins(result.reference)

    def _print_logins(self, ref) -> None:
        if ref.created_users:
            self.stdout.write(demo_logins_box(ref.created_users, ref.passwords))
