"""Analytics pages at scale (issue #21): ABC/XYZ matrices, cohorts, the forecast and the funnel conversion at 100k
counterparties, 1M payments and 200k deals.

    python bench/analytics_bench.py [--db sqlite|postgres] [--clients 100000] [--payments 1000000]
                                    [--deals 200000] [--reps 5] [--no-record]

The dataset is generated once with bulk inserts (no services, no signals: only rows the pages read) into
var/bench/analytics-sqlite-N/ (SQLite) or the database raccordo_bench_analytics_N (PostgreSQL) and reused by later
runs: 20 managers own the counterparties evenly; the payments are spread over the last 14 months (so some fall
outside the twelve-month window) and one in ten is tied to a paid invoice with one to three product lines, so the
products' page splits allocations over lines. The deals (added to an existing dataset when it has none) go through
the default funnel "Sales" (New, Qualified, Proposal, Negotiation, Won, Lost): created over the last 14 months for
the counterparties' managers, the older ones mostly won or lost, the others open with an expected close date, each
with the stage visits the funnel page reads (the open stages it went through, then the one it stands on); every
manager has a revenue plan for this month, so the forecast compares it with the payments received.

Each page is requested in-process (django.test.Client, DEBUG off) as an administrator (every row) and as one
manager (her 1/20th): "computed" with the snapshot deleted first (the page computes and stores it), "cached"
while the snapshot is fresh; the median of --reps requests. Targets: 1 s cached, 5 s computed. The figures are
written to the "Analytics (#21)" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

from benchlib import fmt_count, machine_info, replace_section, table  # noqa: E402

SECTION = "## Analytics (#21)"
PG = "postgres://postgres@127.0.0.1:5432/raccordo_bench_analytics"
BATCH = 5000
MANAGERS = 20
DEAL_BATCH = 20_000
# The default funnel, as `raccordo demo` makes it (demo.data.SALES_STAGES): name, kind, probability.
SALES_STAGES = [("New", "open", 10), ("Qualified", "open", 25), ("Proposal", "open", 50),
                ("Negotiation", "open", 75), ("Won", "won", 100), ("Lost", "lost", 0)]


PAGES = ("clients", "products", "cohorts", "cell", "forecast", "funnel")
PAGE_NAMES = {"cohorts": "Cohorts of new clients", "cell": "ABC/XYZ: clients of cell AY",
              "forecast": "Sales forecast", "funnel": "Funnel conversion (this year)"}


def setup(db: str, n_clients: int) -> None:
    if db == "postgres":
        os.environ["DATABASE_URL"] = f"{PG}_{n_clients}"
        import psycopg

        with psycopg.connect(PG.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            name = f"raccordo_bench_analytics_{n_clients}"
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
    else:
        os.environ.pop("DATABASE_URL", None)
        var = ROOT / "var" / "bench" / f"analytics-sqlite-{n_clients}"
        var.mkdir(parents=True, exist_ok=True)
        os.environ["RACCORDO_VAR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raccordo.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def _bulk(model, rows) -> None:
    model.objects.bulk_create(rows, batch_size=BATCH)


def _managers():
    from raccordo.access.models import User

    users = []
    for i in range(MANAGERS):
        user, _ = User.objects.get_or_create(username=f"abc-manager-{i:02d}",
                                             defaults={"role": "manager", "first_name": f"Manager {i}"})
        users.append(user)
    admin, _ = User.objects.get_or_create(username="abc-admin", defaults={"role": "admin", "is_superuser": True,
                                                                          "is_staff": True})
    return users, admin


def generate(n_clients: int, n_payments: int) -> dict:
    """Counterparties, payments, invoices with lines and allocations; nothing when they are already there."""
    from django.utils import timezone

    from raccordo.catalog.models import Product
    from raccordo.parties.models import Counterparty, OwnCompany
    from raccordo.sales.models import Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentAllocation

    users, admin = _managers()
    have = Payment.objects.count()
    if have >= n_payments:
        return {"generated_s": None, "users": users, "admin": admin}
    started = time.perf_counter()
    rng = random.Random(21)
    own = OwnCompany.objects.first() or OwnCompany.objects.create(name="Bench company")
    products = [Product(name=f"Bench product {i}", article=f"B-{i:04d}") for i in range(300)]
    _bulk(Product, products)
    clients = [Counterparty(name=f"Bench client {i}", full_name=f"LLC Bench client {i}",
                            responsible=users[i % MANAGERS]) for i in range(n_clients)]
    _bulk(Counterparty, clients)
    print(f"  {len(clients):,} counterparties in {time.perf_counter() - started:.0f} s", flush=True)
    today = timezone.localdate()
    per_client = n_payments // n_clients
    payments, invoices, lines, allocations = [], [], [], []
    for i, client in enumerate(clients):
        base = rng.choice([1000, 5000, 20000, 100000])
        for _k in range(per_client):
            day = today - dt.timedelta(days=rng.randint(0, 430))
            amount = Decimal(base + rng.randint(-base // 3, base // 3))
            pay = Payment(counterparty=client, date=day, amount=amount, currency="RUB")
            payments.append(pay)
            if rng.random() < 0.1:
                inv = Invoice(own_company=own, counterparty=client, date=day, currency="RUB",
                              status=InvoiceStatus.PAID, subtotal=amount, total=amount, paid_amount=amount,
                              responsible=client.responsible)
                invoices.append(inv)
                for position in range(rng.randint(1, 3)):
                    lines.append(InvoiceLine(invoice=inv, product=rng.choice(products), description="goods",
                                             quantity=1, price=amount, amount=amount, position=position))
                allocations.append(PaymentAllocation(payment=pay, invoice=inv, amount=amount))
        if len(payments) >= 50_000 or i == len(clients) - 1:
            for model, rows in ((Payment, payments), (Invoice, invoices), (InvoiceLine, lines),
                                (PaymentAllocation, allocations)):
                _bulk(model, rows)
            payments, invoices, lines, allocations = [], [], [], []
            print(f"  {i + 1:,} clients' payments, {time.perf_counter() - started:.0f} s", flush=True)
    return {"generated_s": time.perf_counter() - started, "users": users, "admin": admin}


def _sales_funnel():
    """The default funnel with its stages (made once, like `raccordo demo` makes it)."""
    from raccordo.sales.models import Funnel, Stage

    funnel = Funnel.objects.filter(is_default=True).first()
    if funnel is None:
        funnel = Funnel.objects.create(name="Sales", order=0, is_default=True)
        for position, (name, kind, probability) in enumerate(SALES_STAGES):
            Stage.objects.create(funnel=funnel, name=name, order=position, kind=kind, probability=probability)
    return funnel, list(funnel.stages.order_by("order"))


def _plans(users) -> None:
    """A revenue plan for this month per manager (what the forecast's "against the plan" part reads)."""
    from django.utils import timezone

    from raccordo.reports.models import SalesPlan

    month = timezone.localdate().replace(day=1)
    for user in users:
        SalesPlan.objects.get_or_create(manager=user, period_kind="month", period_start=month,
                                        defaults={"amount": Decimal("5000000"), "currency": "RUB"})


def generate_deals(n_deals: int, users) -> float | None:
    """`n_deals` deals of the default funnel with their stage visits, over the bench's counterparties, written
    with the bulk writer of `demo --scale` (COPY on PostgreSQL); nothing when the dataset has deals already, so
    an existing dataset of payments only gets its deals added. The seconds it took, or None."""
    from django.db import transaction
    from django.utils import timezone

    from raccordo.core.ids import new_id
    from raccordo.demo.table_writer import TableWriter
    from raccordo.parties.models import Counterparty
    from raccordo.sales.models import Deal, DealStageVisit, StageKind

    _plans(users)
    if Deal.objects.exists():
        return None
    started = time.perf_counter()
    rng = random.Random(2121)
    funnel, stages = _sales_funnel()
    open_stages = [s for s in stages if s.kind == StageKind.OPEN]
    won_stage = next(s for s in stages if s.kind == StageKind.WON)
    lost_stage = next(s for s in stages if s.kind == StageKind.LOST)
    clients = list(Counterparty.objects.order_by("created_at", "id").values_list("id", "responsible_id"))
    deals = TableWriter(Deal, ["id", "created_at", "updated_at", "title", "counterparty", "manager", "funnel",
                               "stage", "amount", "currency", "expected_close", "closed_at", "lost_reason"])
    visits = TableWriter(DealStageVisit, ["id", "created_at", "updated_at", "deal", "funnel", "stage", "manager",
                                          "entered_at", "left_at"])
    now = timezone.now()
    today = timezone.localdate()
    for i in range(n_deals):
        client, manager = clients[i % len(clients)]
        created = now - dt.timedelta(days=rng.randint(0, 425), minutes=rng.randint(0, 24 * 60))
        age = (now - created).days
        # The older a deal, the likelier it was decided: most of a year-old pipeline is won or lost.
        if rng.random() < min(0.9, age / 120):
            won = rng.random() < 0.55
            stage = won_stage if won else lost_stage
            closed_at = min(now, created + dt.timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600)))
            # Won: through the open stages, one in ten straight from an early one; lost: gave up somewhere.
            path = (open_stages if rng.random() < 0.9 else open_stages[:rng.randint(1, 2)]) if won else \
                open_stages[:rng.randint(1, len(open_stages))]
            expected = closed_at.date()
        else:
            stage = rng.choice(open_stages)
            closed_at = None
            path = [s for s in open_stages if s.order < stage.order]
            expected = today + dt.timedelta(days=rng.randint(-10, 90))
        deal_id = new_id()
        amount = Decimal(rng.choice([10_000, 50_000, 200_000, 1_000_000]) * rng.randint(50, 150) // 100)
        deals.add((deal_id, created, now, f"Bench deal {i}", client, manager, funnel.pk, stage.pk, amount, "RUB",
                   expected, closed_at, "price" if stage.kind == StageKind.LOST else ""))
        # The stays at even intervals from creation to closing (or to now for an open deal), the last one open.
        way = [*path, stage]
        end = closed_at or now
        times = [created + (end - created) * k / len(way) for k in range(len(way))]
        if closed_at is not None:
            times[-1] = closed_at
        for k, (visited, entered) in enumerate(zip(way, times, strict=True)):
            visits.add((new_id(), now, now, deal_id, funnel.pk, visited.pk, manager, entered,
                        times[k + 1] if k + 1 < len(times) else None))
        if len(deals.pending) >= DEAL_BATCH or i == n_deals - 1:
            with transaction.atomic():
                deals.flush()
                visits.flush()
            print(f"  {i + 1:,} deals ({visits.written:,} stage visits), {time.perf_counter() - started:.0f} s",
                  flush=True)
    return time.perf_counter() - started


def fresh_statistics() -> float:
    """Planner statistics as a live database has them (the nightly task on SQLite, autovacuum on PostgreSQL):
    bulk-inserted rows have none, and without them both databases plan the access filter's joins and the
    cohorts' grouping for a table of one row (a PostgreSQL cohorts page ran for minutes)."""
    from django.db import connection

    from raccordo.core.planner import refresh_statistics

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        refresh_statistics()
    return time.perf_counter() - started


def measure(user, subject: str, reps: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    from raccordo.reports.analytics.views import KINDS
    from raccordo.reports.models import ReportSnapshot, SnapshotKind

    client = Client()
    client.force_login(user)
    if subject == "cell":
        # Not cached: the list of one cell is computed on every request.
        url, kind = reverse("reports:abc_cell", args=["clients", "AY"]), None
    elif subject == "cohorts":
        url, kind = reverse("reports:cohorts"), SnapshotKind.COHORTS
    elif subject == "forecast":
        url, kind = reverse("reports:forecast"), SnapshotKind.FORECAST
    elif subject == "funnel":
        # The page as it opens: the default funnel, this year, every manager the reader may see.
        url, kind = reverse("reports:funnel"), SnapshotKind.FUNNEL
    else:
        url, kind = reverse("reports:abc", args=[subject]), KINDS[subject]
    cold, warm = [], []
    for _ in range(reps):
        if kind is not None:
            ReportSnapshot.objects.filter(kind=kind).delete()
        t0 = time.perf_counter()
        response = client.get(url)
        cold.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code
        for _ in range(3):
            t0 = time.perf_counter()
            assert client.get(url).status_code == 200
            warm.append(time.perf_counter() - t0)
    return {"computed": statistics.median(cold), "cached": statistics.median(warm)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=PAGES, default=None,
                        help="Measure these pages only (the others' rows for this database are kept).")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    setup(args.db, args.clients)
    from raccordo.sales.models import Deal, DealStageVisit, Invoice, Payment

    world = generate(args.clients, args.payments)
    world["deals_s"] = generate_deals(args.deals, world["users"])
    statistics_s = fresh_statistics()
    print(f"  planner statistics refreshed in {statistics_s:.0f} s", flush=True)
    counts = {"payments": Payment.objects.count(), "invoices": Invoice.objects.count(),
              "deals": Deal.objects.count(), "visits": DealStageVisit.objects.count()}
    print(f"  dataset: {counts}", flush=True)
    rows = []
    for who, user in (("administrator (all rows)", world["admin"]), ("one manager (1/20)", world["users"][0])):
        for subject in args.only or PAGES:
            got = measure(user, subject, args.reps)
            page = PAGE_NAMES.get(subject, f"ABC/XYZ of {subject}")
            cached = "(not cached)" if subject == "cell" else f"{got['cached']:.3f}"
            within = got["computed"] <= 5 and (subject == "cell" or got["cached"] <= 1)
            rows.append([args.db, page, who, f"{got['computed']:.2f}", cached, "yes" if within else "NO"])
            print("  " + " | ".join(rows[-1]), flush=True)
    if not args.no_record:
        record(rows, args, counts, world["generated_s"], world["deals_s"])
    return 0


def record(rows, args, counts, generated_s, deals_s=None) -> None:
    """Write this database's rows into the "Analytics (#21)" section of RESULTS.md, keeping the other
    database's rows and run line (the databases are measured one run each) and the notes after the table."""
    path = HERE / "RESULTS.md"
    mach = machine_info()
    text = path.read_text() if path.exists() else ""
    runs, kept, notes = _previous(text, args.db)
    if args.only:
        # Measured some pages only: this database's other rows stay as they were.
        measured = {r[1] for r in rows}
        kept += [r for r in _previous(text, "")[1] if r[0] == args.db and r[1] not in measured]
    runs[args.db] = (f"`python bench/analytics_bench.py --db {args.db}`: {fmt_count(args.clients)} counterparties, "
                     f"{counts['payments']:,} payments, {counts['invoices']:,} invoices with lines "
                     f"(generated with bulk inserts{f' in {generated_s:.0f} s' if generated_s else ''}), "
                     f"{counts['deals']:,} deals with {counts['visits']:,} stage visits "
                     f"(bulk{f', added in {deals_s:.0f} s' if deals_s else ''}), "
                     f"planner statistics refreshed first. Median of {args.reps} requests, seconds, in-process "
                     f"(DEBUG off). Targets: computed <= 5 s, cached <= 1 s. Machine: {mach.get('cpu', '?')}, "
                     f"shared with other work.")
    ordered = [runs[db] for db in ("sqlite", "postgres") if db in runs]
    all_rows = sorted([*kept, *rows], key=lambda r: (r[0] != "sqlite", r[2] != "administrator (all rows)"))
    body = (f"{SECTION}\n\n" + "\n\n".join(ordered) + "\n\n"
            + table(["Database", "Page", "As", "Computed, s", "Cached, s", "Within targets"], all_rows)
            + (f"\n\n{notes}" if notes else ""))
    path.write_text(replace_section(text, SECTION, body))


def _previous(text: str, db: str) -> tuple[dict, list, str]:
    """From the section as it stands: the other databases' run lines and table rows, and the notes after
    the table (anything but the run lines and the table)."""
    lines = text.splitlines()
    if SECTION not in lines:
        return {}, [], ""
    start = lines.index(SECTION) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    runs, kept, notes, seen_table = {}, [], [], False
    for line in lines[start:end]:
        if line.startswith("`python bench/analytics_bench.py --db "):
            other = line.split("--db ", 1)[1].split("`", 1)[0]
            if other != db:
                runs[other] = line
        elif line.startswith("|"):
            seen_table = True
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] not in ("Database", db) and not set(cells[0]) <= {"-", ":"}:
                kept.append(cells)
        elif seen_table:
            notes.append(line)
    return runs, kept, "\n".join(notes).strip()


if __name__ == "__main__":
    sys.exit(main())
