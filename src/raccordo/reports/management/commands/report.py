"""`raccordo report kpi --year Y --user NAME [--refresh] [--json]`: the KPI report as that person sees it (thin).

`raccordo report refresh` runs what the worker runs every 5 minutes: recompute the cached figures people
asked for recently.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from raccordo.reports import selectors, services
from raccordo.reports.models import SnapshotKind


class Command(BaseCommand):
    help = "Print a report as one user sees it (through the access policy), or refresh the cached reports."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["kpi", "refresh"])
        parser.add_argument("--year", type=int, default=None, help="the year of the KPI report (default: this one)")
        parser.add_argument("--user", help="whose access the figures are computed with (username)")
        parser.add_argument("--refresh", action="store_true", help="recompute even if cached figures are fresh")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print the whole report as JSON")

    def handle(self, *args, action, year, user, refresh, as_json, **options):
        if action == "refresh":
            counts = services.snapshots_refresh()
            self.stdout.write(", ".join(f"{k} {v}" for k, v in counts.items()))
            return
        if not user:
            raise CommandError("--user is required: the report shows what that person may see.")
        person = get_user_model().objects.filter(username=user, is_active=True).first()
        if person is None:
            raise CommandError(f"no active user {user!r}")
        year = year or timezone.localdate().year
        try:
            figures = services.report_figures(user=person, kind=SnapshotKind.KPI, year=year, refresh=refresh)
        except selectors.ReportYearError as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(_json({**figures.data, "computed_at": figures.computed_at, "cached": figures.cached,
                                     "seconds": round(figures.seconds, 3)}))
            return
        t = figures.data["totals"]
        source = "cached" if figures.cached else "computed"
        at = timezone.localtime(figures.computed_at)
        self.stdout.write(f"KPI {year} for {person.username} ({source} {at:%H:%M}, {figures.seconds:.2f} s)")
        for label, key in (("invoices issued", "invoices"), ("invoiced", "invoiced"), ("received", "received"),
                           ("deals won", "won"), ("won amount", "won_amount"), ("deals lost", "lost"),
                           ("conversion, %", "conversion"), ("average deal", "average_deal"),
                           ("new counterparties", "new_counterparties"), ("interactions", "interactions"),
                           ("tasks done", "tasks_done"), ("receivable", "receivable"), ("overdue", "overdue")):
            value = t[key]
            if isinstance(value, dict):
                value = ", ".join(f"{amount} {currency}" for currency, amount in sorted(value.items())) or "-"
            self.stdout.write(f"  {label:<20} {value if value is not None else '-'}")


def _json(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
