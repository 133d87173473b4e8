"""`raccordo import counterparties|contacts|products FILE`: a CSV / XLSX file through the tabular import (thin)."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from raccordo.core.context import change_context
from raccordo.core.models import Origin
from raccordo.exchange import tabular

from .exchange import Progress


class Command(BaseCommand):
    help = "Import counterparties, contact persons or products from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=tabular.KINDS)
        parser.add_argument("file")
        parser.add_argument("--mapping", nargs="*", default=[], metavar="COLUMN=FIELD",
                            help="column header = field (default: guessed from the headers)")
        parser.add_argument("--on-duplicate", choices=tabular.OnDuplicate.CHOICES, default=tabular.OnDuplicate.SKIP,
                            help="a row that duplicates a record (INN+KPP, e-mail, phone, article): skip it, merge "
                                 "it into that record, or create it anyway")
        parser.add_argument("--dry-run", action="store_true", help="write nothing; report what would happen")
        parser.add_argument("--json", action="store_true", help="print the run's counters as JSON")
        parser.add_argument("--no-keep", action="store_true",
                            help="do not keep a copy of the file with the run (it cannot be retried then)")

    def handle(self, *args, **opts):
        mapping = {}
        for pair in opts["mapping"]:
            column, sep, name = pair.partition("=")
            if not sep:
                raise CommandError(f"--mapping takes COLUMN=FIELD, not {pair!r}")
            mapping[column.strip()] = name.strip()
        if mapping and (problems := tabular.check_mapping(mapping, opts["kind"])):
            raise CommandError(" ".join(problems))
        progress = Progress(sys.stderr)
        started = time.monotonic()
        with change_context(origin=Origin.CLI):
            run = tabular.tabular_import(path=opts["file"], kind=opts["kind"], mapping=mapping or None,
                                         on_duplicate=opts["on_duplicate"], dry_run=opts["dry_run"],
                                         progress=progress, keep=not (opts["no_keep"] or opts["dry_run"]))
        progress.close()
        elapsed = time.monotonic() - started
        if opts["json"]:
            self.stdout.write(json.dumps({"run": str(run.pk), "kind": run.kind, "status": run.status,
                                          **run.counters(), "seconds": round(elapsed, 3)}, ensure_ascii=False))
        else:
            prefix = "dry run (nothing written)" if opts["dry_run"] else f"run {run.pk}"
            self.stdout.write(f"{prefix}: {run.get_status_display()} in {elapsed:.1f} s — "
                              + ", ".join(f"{k} {v}" for k, v in run.counters().items() if k != "deactivated"))
            for item in run.items.exclude(outcome__in=("created", "updated", "unchanged")).order_by("id")[:20]:
                where = ":".join(str(x) for x in (item.file, item.line) if x)
                column = f" [{item.path}]" if item.path else ""
                self.stdout.write(f"  {item.outcome:<9} {where}{column} {item.message}")
        if run.status == "failed":
            raise CommandError(run.message or "the import failed")
