"""Scale benchmark of issue #8: server time of the everyday pages at 100k and 1M counterparties, and a load test.

    python bench/scale_bench.py [--scales 100k,1M] [--db sqlite,postgres] [--only scenarios|load]
                                [--reps 30] [--warmup 3] [--users 50] [--seconds 60] [--smoke] [--no-record]

Datasets come from `raccordo demo --scale N` (per counterparty one contact with a phone and an e-mail and one
interaction; every second one a deal and an invoice; every tenth a task; spread evenly over the demo's
managers). SQLite: a file of its own under var/bench/sqlite-<N>/ (RACCORDO_VAR); PostgreSQL: the database
raccordo_bench_<N> at postgres://postgres@127.0.0.1:5432/, created here. An existing dataset is migrated and
reused (topped up when it has fewer counterparties than asked); a new PostgreSQL one gets VACUUM ANALYZE after
loading, as autovacuum would do shortly after.

scenarios  Each page is requested in-process (django.test.Client, DEBUG off) as a non-admin manager who owns
           a realistic share of the counterparties: warm-up requests, then --reps timed ones; p50/p95 of the
           server time in ms, and the number of SQL queries of one request. Search results are checked to
           contain the record searched for, so a fast wrong answer does not pass.
load       gunicorn with production settings (DEBUG off, a secret key, ALLOWED_HOSTS 127.0.0.1, static files
           through WhiteNoise as `raccordo serve` does) on a free loopback port, and locust (bench/locustfile.py)
           headless with --users users signed in through the login page (API users with personal tokens) doing
           a mix of reads and writes for --seconds; requests/s, p50/p95, errors, and any "database is locked"
           in the server's log.

Results are kept in bench/scale_results.json (one entry per database, size and kind, replaced by a new run)
and rendered into the "Scale (#8)" section of bench/RESULTS.md, with the notes of bench/scale_notes.md.
`--smoke` (make bench-smoke): 2k counterparties on SQLite, few repetitions, a 15 s load test with 10 users;
nothing is recorded. The exit status is non-zero when the harness or the application fails (a page that errs,
a search that does not find its record, a load-test error); never for a missed time target.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from benchlib import (  # noqa: E402
    Target,
    fmt_count,
    fmt_num,
    machine_info,
    parse_count,
    replace_section,
    summarize,
    table,
)

BENCH_VAR = ROOT / "var" / "bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432/"
STORE = HERE / "scale_results.json"
NOTES = HERE / "scale_notes.md"
RESULTS = HERE / "RESULTS.md"
SECTION = "## Scale (#8)"
# Set on the demo managers of the bench databases only, so the load test can sign in whatever password
# the dataset was generated with.
BENCH_PASSWORD = "bench-load-2026"
RACCORDO = [sys.executable, "-m", "raccordo.cli"]

PAGE = Target(100)
API = Target(30)
KPI = Target(1000)
LOAD_P95 = Target(300)
LOAD_RPS = Target(150, unit="req/s", at_least=True)

# key, label, target group; the URL and the check are made in the child from the sample records.
SCENARIOS = [
    ("list", "Counterparty list (default)", "page"),
    ("list_kind", "List filtered: kind = sole trader", "page"),
    ("list_vip", "List filtered: VIP", "page"),
    ("search_name", "Search by name", "page"),
    ("search_inn", "Search by INN", "page"),
    ("search_phone", "Search by phone (other format)", "page"),
    ("search_email", "Search by e-mail", "page"),
    ("global_search", "Top-bar search (all kinds), name", "page"),
    ("card", "Counterparty card", "page"),
    ("board", "Deal board", None),
    ("dashboard", "Dashboard", None),
    ("api", "API list page of 100", "api"),
    ("kpi", "KPI report over a year, computed", "kpi"),
    ("kpi_cached", "KPI report over a year, cached", "kpi"),
]


def target_for(group: str | None, db: str) -> Target | None:
    if group == "page":
        return PAGE
    if group == "api":
        return API
    if group == "kpi" and db == "postgres":
        return KPI
    return None


def db_label(db: str) -> str:
    return {"sqlite": "SQLite", "postgres": "PostgreSQL"}[db]


# =========================================================================== children (run with a dataset's env)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raccordo.settings")
    import django

    django.setup()


def _managers():
    """Active non-admin managers who own counterparties, with how many each owns, most first."""
    from django.db.models import Count

    from raccordo.access.models import Role, User
    from raccordo.parties.models import Counterparty

    owned = dict(Counterparty.objects.values_list("responsible").annotate(n=Count("pk")).order_by())
    users = [u for u in User.objects.filter(role=Role.MANAGER, is_active=True, is_superuser=False)
             if not u.is_administrator and owned.get(u.pk)]
    return sorted(((u, owned[u.pk]) for u in users), key=lambda pair: (-pair[1], pair[0].username))


def child_count(_params: dict) -> dict:
    _django()
    from raccordo.activities.models import Interaction, Task
    from raccordo.parties.models import ContactPerson, Counterparty
    from raccordo.sales.models import Deal, Invoice

    counts = {"counterparties": Counterparty.objects.count(), "contacts": ContactPerson.objects.count(),
              "deals": Deal.objects.count(), "invoices": Invoice.objects.count(),
              "interactions": Interaction.objects.count(), "tasks": Task.objects.count()}
    try:
        from raccordo.parties.models import SearchDocument
    except ImportError:   # an older tree without the search index
        return counts
    return counts | {"search documents": SearchDocument.objects.count()}


def child_analyze(_params: dict) -> dict:
    _django()
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {"vendor": connection.vendor}


def _phone_other_format(e164: str) -> str:
    """+79261234567 -> 8 (926) 123-45-67; +393331234567 -> 333 123 4567 (as people type them)."""
    if e164.startswith("+7") and len(e164) == 12:
        d = e164[2:]
        return f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"
    if e164.startswith("+39"):
        d = e164[3:]
        return f"+39 {d[:3]} {d[3:6]} {d[6:]}"
    return e164


def _sample(manager) -> dict:
    """One counterparty of the manager's with a deal, an INN, a phone and an e-mail: the record searched for."""
    from raccordo.parties.models import Email, Phone
    from raccordo.sales.models import Deal

    deals = Deal.objects.filter(manager=manager, counterparty__responsible=manager, counterparty__country="RU",
                                counterparty__kind="legal").exclude(counterparty__inn="")
    deal = deals.select_related("counterparty").order_by()[:50]
    for d in deal:
        cp = d.counterparty
        phone = Phone.objects.filter(counterparty=cp).values_list("number", flat=True).first()
        email = Email.objects.filter(counterparty=cp).values_list("address", flat=True).first()
        if phone and email:
            return {"id": str(cp.pk), "name": cp.name, "inn": cp.inn, "phone": phone, "email": email}
    raise RuntimeError(f"no counterparty of {manager.username} with a deal, an INN, a phone and an e-mail")


def child_scenarios(params: dict) -> dict:
    _django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from raccordo.access.models import Role, TokenScope, User
    from raccordo.access.services import api_token_create, api_token_revoke
    from raccordo.parties.models import Counterparty

    reps, warmup, budget = params["reps"], params["warmup"], params["budget"]
    min_reps = min(reps, params.get("min_reps", 5))
    managers = _managers()
    if not managers:
        raise RuntimeError("no active non-admin manager owns counterparties in this dataset")
    total = Counterparty.objects.count()
    # The manager whose share is closest to the average share: a typical workload, not the biggest one.
    mean = sum(n for _u, n in managers) / len(managers)
    manager, owned = min(managers, key=lambda pair: (abs(pair[1] - mean), pair[0].username))
    sample = _sample(manager)

    client = Client()
    client.force_login(manager)
    token, plain = api_token_create(user=manager, name="scale bench", scope=TokenScope.READ, expires_in_days=1)
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_ACCEPT="application/json")
    try:   # the garbage collector tuned as wsgi.py tunes a serving process
        from raccordo.core.runtime import tune_gc_for_serving
    except ImportError:   # an older tree
        pass
    else:
        tune_gc_for_serving()

    card_link = re.compile(rb"/counterparties/[0-9a-f-]{36}/")
    sample_link = f"/counterparties/{sample['id']}/".encode()
    year = timezone.localdate().year

    def has_cards(r):
        return None if card_link.search(r.content) else "no counterparty in the page"

    def has_sample(r):
        return None if sample_link in r.content else f"the searched counterparty {sample['name']} is not in the page"

    def api_page(r):
        rows = r.json().get("results")
        want = min(100, owned)
        return None if rows is not None and len(rows) == want else f"{len(rows or [])} rows, expected {want}"

    def q(term):
        from urllib.parse import urlencode

        return urlencode({"q": term})

    cases = {
        "list": ("/counterparties/", has_cards),
        "list_kind": ("/counterparties/?kind=sole_trader", has_cards),
        "list_vip": ("/counterparties/?vip=1", None),
        "search_name": ("/counterparties/?" + q(sample["name"]), has_cards),
        "search_inn": ("/counterparties/?" + q(sample["inn"]), has_sample),
        "search_phone": ("/counterparties/?" + q(_phone_other_format(sample["phone"])), has_sample),
        "search_email": ("/counterparties/?" + q(sample["email"]), has_sample),
        "global_search": ("/search/?" + q(sample["name"]), has_cards),
        "card": (f"/counterparties/{sample['id']}/", None),
        "board": ("/deals/board/", None),
        "dashboard": ("/", None),
        "api": ("/api/v1/counterparties/?page_size=100", api_page),
    }
    try:
        cases["kpi"] = cases["kpi_cached"] = (reverse("reports:kpi") + f"?year={year}", None)
    except NoReverseMatch:
        pass
    # The report keeps its figures for REPORT_CACHE_SECONDS (the worker refreshes them): "computed" measures the
    # work itself with the cache off, "cached" what a person usually waits for.
    overrides = {"kpi": {"REPORT_CACHE_SECONDS": 0}}

    only = set(params.get("only") or [])
    results = []
    for key, label, _group in SCENARIOS:
        if only and key not in only:
            continue
        entry = {"key": key, "label": label}
        results.append(entry)
        if key not in cases:
            entry.update(status="not available", error="the URL name reports:kpi does not exist")
            continue
        url, check = cases[key]
        entry["url"] = url
        c = api_client if key == "api" else client
        as_user = manager.username
        settings_override = override_settings(**overrides.get(key, {}))
        settings_override.enable()
        try:
            r = c.get(url)
            if key.startswith("kpi") and r.status_code == 403:
                # The KPI report is the head of sales' page; measure it as the head (not an administrator).
                head = User.objects.filter(role=Role.HEAD, is_active=True, is_superuser=False).order_by(
                    "username").first()
                if head is None:
                    raise RuntimeError("403 for the manager and there is no head of sales")
                c = Client()
                c.force_login(head)
                as_user = head.username
                r = c.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"HTTP {r.status_code}")
            for _ in range(max(0, warmup - 1)):
                c.get(url)
            times = []
            started = time.perf_counter()
            while len(times) < reps:
                t0 = time.perf_counter()
                r = c.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    raise RuntimeError(f"HTTP {r.status_code} on repetition {len(times)}")
                if len(times) >= min_reps and time.perf_counter() - started > budget:
                    break
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(url)
            problem = check(r) if check else None
            s = summarize(times)
            entry.update(status="failed" if problem else "ok", error=problem, n=s.n, p50=s.p50, p95=s.p95,
                         mean=s.mean, max=s.max, queries=len(ctx.captured_queries), user=as_user,
                         bytes=len(r.content))
        except Exception as exc:  # noqa: BLE001 - every failure is reported, the other scenarios still run
            entry.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:500], user=as_user)
        finally:
            settings_override.disable()
        print(f"  {label:<36} " + (f"p50 {fmt_num(entry.get('p50')):>7} ms  p95 {fmt_num(entry.get('p95')):>7} ms"
                                   f"  n={entry.get('n')}  queries={entry.get('queries')}"
                                   if entry["status"] == "ok" else f"{entry['status'].upper()}: {entry.get('error')}"),
              file=sys.stderr, flush=True)
    api_token_revoke(user=manager, token=token)
    return {"manager": manager.username, "owned": owned, "total": total, "managers": len(managers),
            "sample": {k: v for k, v in sample.items() if k != "id"}, "scenarios": results,
            "vendor": connection.vendor, "server_version": _server_version(connection)}


def _server_version(connection) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0].split()[0]
    import sqlite3

    return sqlite3.sqlite_version


def child_load_prep(params: dict) -> dict:
    """Sign-in data for the load test: every manager's password set to BENCH_PASSWORD, a read token each, and
    a sample of their counterparties (ids, names, INNs, phones, e-mails) to open and search for."""
    _django()
    from django.db import connection

    from raccordo.access.models import ApiToken, TokenScope
    from raccordo.access.services import api_token_create, api_token_revoke
    from raccordo.parties.models import Counterparty, Email, Phone

    accounts = []
    for manager, owned in _managers():
        manager.set_password(BENCH_PASSWORD)
        manager.save(update_fields=["password"])
        for old in ApiToken.objects.filter(user=manager, name="load test", revoked_at__isnull=True):
            api_token_revoke(user=manager, token=old)
        _token, plain = api_token_create(user=manager, name="load test", scope=TokenScope.READ, expires_in_days=1)
        rows = list(Counterparty.objects.filter(responsible=manager).order_by()
                    .values("pk", "name", "inn")[:params.get("records", 200)])
        ids = [r["pk"] for r in rows]
        phones = dict(Phone.objects.filter(counterparty_id__in=ids).values_list("counterparty_id", "number"))
        emails = dict(Email.objects.filter(counterparty_id__in=ids).values_list("counterparty_id", "address"))
        records = [{"id": str(r["pk"]), "name": r["name"], "inn": r["inn"],
                    "phone": _phone_other_format(phones[r["pk"]]) if r["pk"] in phones else "",
                    "email": emails.get(r["pk"], "")} for r in rows]
        accounts.append({"username": manager.username, "password": BENCH_PASSWORD, "token": plain,
                         "owned": owned, "records": records})
    if not accounts:
        raise RuntimeError("no active non-admin manager owns counterparties in this dataset")
    return {"accounts": accounts, "server_version": _server_version(connection), "vendor": connection.vendor}


CHILDREN = {"count": child_count, "analyze": child_analyze, "scenarios": child_scenarios,
            "load-prep": child_load_prep}


# =========================================================================== the parent


class HarnessError(Exception):
    """Something the bench could not do (a dataset, a server, a child process): the run fails."""


@dataclass
class Dataset:
    db: str    # "sqlite" | "postgres"
    n: int

    @property
    def label(self) -> str:
        return fmt_count(self.n).lower()

    @property
    def key(self) -> str:
        return f"{self.db}/{self.n}"

    @property
    def title(self) -> str:
        return f"{db_label(self.db)}, {fmt_count(self.n)} counterparties"

    @property
    def var_dir(self) -> Path:
        return BENCH_VAR / f"{'sqlite' if self.db == 'sqlite' else 'pg'}-{self.label}"

    @property
    def pg_name(self) -> str:
        return f"raccordo_bench_{self.label}"

    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "RACCORDO_TEST_DB_NAME", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
                            "REDIS_URL", "RACCORDO_HOME", "DJANGO_SETTINGS_MODULE")}
        self.var_dir.mkdir(parents=True, exist_ok=True)
        env["RACCORDO_VAR"] = str(self.var_dir)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH", "")]))
        if self.db == "postgres":
            env["DATABASE_URL"] = PG_SERVER + self.pg_name
        return env


def say(msg: str) -> None:
    print(msg, flush=True)


def run_child(ds: Dataset, name: str, params: dict | None = None, timeout: float = 7200) -> dict:
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    try:
        cmd = [sys.executable, __file__, "--child", name, "--child-params", json.dumps(params or {}),
               "--child-out", str(out)]
        proc = subprocess.run(cmd, env=ds.env(), cwd=ROOT, timeout=timeout)
        if proc.returncode != 0:
            raise HarnessError(f"{name} on {ds.title} failed (exit {proc.returncode}); see the output above")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def run_cli(ds: Dataset, args: list[str], *, quiet: bool = False) -> None:
    proc = subprocess.run([*RACCORDO, *args], env=ds.env(), cwd=ROOT,
                          stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None,
                          text=True)
    if proc.returncode != 0:
        raise HarnessError(f"`raccordo {' '.join(args)}` on {ds.title} failed (exit {proc.returncode})"
                           + (f":\n{proc.stdout[-2000:]}" if quiet else ""))


def ensure_pg_database(name: str) -> None:
    import psycopg

    try:
        with psycopg.connect(PG_SERVER + "postgres", autocommit=True, connect_timeout=5) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                say(f"  creating database {name}")
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise HarnessError(f"PostgreSQL is unreachable at {PG_SERVER}: {exc}") from exc


def drop_dataset(ds: Dataset) -> None:
    """Delete a dataset so it is generated again (after the generator changed)."""
    if ds.db == "postgres":
        import psycopg

        with psycopg.connect(PG_SERVER + "postgres", autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{ds.pg_name}" WITH (FORCE)')
    else:
        for suffix in ("", "-wal", "-shm"):
            (ds.var_dir / f"raccordo.sqlite3{suffix}").unlink(missing_ok=True)


def prepare(ds: Dataset, *, fresh: bool = False) -> dict:
    """Migrate the dataset's database and make sure it holds at least `n` counterparties."""
    say(f"\n== {ds.title}: dataset ({ds.var_dir.relative_to(ROOT)}"
        + (f", database {ds.pg_name})" if ds.db == "postgres" else ")"))
    if fresh:
        say("  --fresh: deleting it first")
        drop_dataset(ds)
    if ds.db == "postgres":
        ensure_pg_database(ds.pg_name)
    started = time.perf_counter()
    problems: list[str] = []
    run_cli(ds, ["migrate", "--noinput", "-v", "0"], quiet=True)
    counts = run_child(ds, "count")
    have = counts["counterparties"]
    generated = None
    if have < ds.n:
        say(f"  {have:,} counterparties, generating {ds.n - have:,} more (raccordo demo --scale)")
        t0 = time.perf_counter()
        run_cli(ds, ["demo", "--scale", str(ds.n - have)])
        generated = time.perf_counter() - t0
        counts = run_child(ds, "count")
    elif have > ds.n * 1.05:
        say(f"  note: the dataset has {have:,} counterparties, more than the {ds.n:,} asked for")
    docs = counts.get("search documents")
    if docs is not None and docs < counts["counterparties"] + counts["contacts"]:
        # A dataset generated before the search index existed (or by a seeder that did not fill it).
        say(f"  {docs:,} search documents for {counts['counterparties'] + counts['contacts']:,} records: "
            "raccordo search rebuild")
        try:
            run_cli(ds, ["search", "rebuild"])
        except HarnessError as exc:
            # Measure anyway: the searches will fail their checks and say so.
            problems.append(str(exc))
            say(f"  FAILED: {exc}")
        counts = run_child(ds, "count")
    if ds.db == "postgres":
        # What autovacuum does soon after a bulk load; cheap when nothing changed since the last time.
        run_child(ds, "analyze")
    say(f"  ready in {time.perf_counter() - started:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return {"counts": counts, "generated_s": generated, "problems": problems}


# --------------------------------------------------------------------------- scenarios


def run_scenarios(ds: Dataset, counts: dict, args) -> dict:
    say(f"-- {ds.title}: server time per request ({args.warmup} warm-up, {args.reps} timed)")
    machine = machine_info()   # what the machine is doing as the run starts
    t0 = time.perf_counter()
    data = run_child(ds, "scenarios", {"reps": args.reps, "warmup": args.warmup, "budget": args.budget,
                                       "min_reps": args.min_reps, "only": args.scenario})
    data.update(db=ds.db, n=ds.n, counts=counts, reps=args.reps, warmup=args.warmup, machine=machine,
                seconds=round(time.perf_counter() - t0, 1))
    say("\n" + scenario_table(data) + "\n")
    return data


def scenario_table(run: dict) -> str:
    groups = {key: group for key, _label, group in SCENARIOS}
    rows = []
    for s in run["scenarios"]:
        target = target_for(groups.get(s["key"]), run["db"])
        label = s["label"] + (f" (as {s['user']})" if s.get("user") and s["user"] != run.get("manager") else "")
        if s["status"] == "ok":
            rows.append([label, fmt_num(s["p50"]), fmt_num(s["p95"]), s["n"], s["queries"],
                         target.label() if target else "—", target.judge(s["p95"]) if target else ""])
        else:
            rows.append([label, "", "", "", "", target.label() if target else "—",
                         f"**{s['status']}**: {s.get('error') or ''}".replace("|", "/")])
    return table(["scenario", "p50 ms", "p95 ms", "n", "queries", "target p95", "result"], rows, align="lrrrrll")


# --------------------------------------------------------------------------- load test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _gunicorn_has(flag: str) -> bool:
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise HarnessError("gunicorn is not installed: pip install -e '.[bench]' (make bench does)")
    return flag in proc.stdout


def _tree_cpu(proc) -> float:
    """CPU seconds of a process and its children so far (0 for those that are gone)."""
    import psutil

    total = 0.0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def run_load(ds: Dataset, counts: dict, args) -> dict:
    import psutil

    say(f"-- {ds.title}: load test ({args.users} users, {args.mix} mix, {args.seconds:.0f} s measured, "
        f"gunicorn {args.workers} workers x {args.threads} threads)")
    work = BENCH_VAR / "load" / f"{ds.db}-{ds.label}"
    work.mkdir(parents=True, exist_ok=True)
    prep = run_child(ds, "load-prep", {"records": 200})
    data_file = work / "accounts.json"
    data_file.write_text(json.dumps({"accounts": prep["accounts"]}))
    data_file.chmod(0o600)
    out_file = work / "measured.json"
    out_file.unlink(missing_ok=True)
    server_log = work / "gunicorn.log"
    locust_log = work / "locust.log"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = ds.env() | {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
                      "LOG_LEVEL": "WARNING"}
    (ds.var_dir / "static").mkdir(parents=True, exist_ok=True)
    server_cmd = [sys.executable, "-m", "gunicorn", "raccordo.wsgi:application", "--bind", f"127.0.0.1:{port}",
                  "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
                  "--timeout", "120", "--graceful-timeout", "10", "--error-logfile", "-"]
    if _gunicorn_has("--no-control-socket"):
        # Newer gunicorns open a control socket in ~/.gunicorn; a bench server needs none.
        server_cmd.append("--no-control-socket")
    problems: list[str] = []
    result: dict = {"db": ds.db, "n": ds.n, "counts": counts, "users": args.users, "seconds": args.seconds,
                    "mix": args.mix,
                    "workers": args.workers, "threads": args.threads, "think": [args.think_min, args.think_max],
                    "server_version": prep["server_version"], "accounts": len(prep["accounts"]),
                    "machine": machine_info()}
    with open(server_log, "w") as log:
        server = subprocess.Popen(server_cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                  process_group=0)
    try:
        deadline = time.monotonic() + 120
        status, body = 0, b""
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise HarnessError(f"gunicorn exited (code {server.returncode}); see {server_log}")
            try:
                status, body = _http_get(base + "/login/", timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        if status != 200:
            raise HarnessError(f"gunicorn did not answer /login/ with 200 within 120 s (last: {status})")
        static = re.search(rb'(/static/[^"\']+\.css)', body)
        if static is None or _http_get(base + static.group(1).decode())[0] != 200:
            problems.append("static files are not served")
        result["static"] = static.group(1).decode() if static else None

        bound = int(args.seconds + 60 + 5 * args.users)   # sign-ins (about 1 s of CPU each) + measuring + margin
        locust_env = env | {"BENCH_LOAD_DATA": str(data_file), "BENCH_LOAD_OUT": str(out_file),
                            "BENCH_USERS": str(args.users), "BENCH_MEASURE_SECONDS": str(args.seconds),
                            "BENCH_THINK_MIN": str(args.think_min), "BENCH_THINK_MAX": str(args.think_max),
                            "BENCH_MIX": args.mix}
        locust_cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                      "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{bound}s",
                      "--host", base, "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"]
        server_ps = psutil.Process(server.pid)
        cpu_server0, wall0 = _tree_cpu(server_ps), time.monotonic()
        sys_cpu0 = psutil.cpu_times()
        with open(locust_log, "w") as log:
            locust = subprocess.Popen(locust_cmd, env=locust_env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                      process_group=0)
            locust_ps = psutil.Process(locust.pid)
            cpu_locust = 0.0
            try:
                while locust.poll() is None:
                    cpu_locust = max(cpu_locust, _tree_cpu(locust_ps))
                    if time.monotonic() - wall0 > bound + 60:
                        os.killpg(locust.pid, signal.SIGKILL)
                        raise HarnessError(f"locust did not stop within {bound + 60} s; see {locust_log}")
                    if server.poll() is not None:
                        os.killpg(locust.pid, signal.SIGTERM)
                        raise HarnessError(f"gunicorn exited during the load test; see {server_log}")
                    time.sleep(1)
            finally:
                if locust.poll() is None:
                    os.killpg(locust.pid, signal.SIGKILL)
        wall = time.monotonic() - wall0
        cpu_server = _tree_cpu(server_ps) - cpu_server0
        sys_cpu1 = psutil.cpu_times()
        busy = (sum(sys_cpu1) - sys_cpu1.idle - getattr(sys_cpu1, "iowait", 0)) - \
               (sum(sys_cpu0) - sys_cpu0.idle - getattr(sys_cpu0, "iowait", 0))
        cores = psutil.cpu_count() or 1
        result["cpu"] = {"gunicorn": round(100 * cpu_server / wall / cores, 1),
                         "locust": round(100 * cpu_locust / wall / cores, 1),
                         "machine": round(100 * busy / wall / cores, 1)}
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

    if not out_file.exists():
        raise HarnessError(f"locust wrote no measurements; see {locust_log}")
    measured = json.loads(out_file.read_text())
    log_text = server_log.read_text(errors="replace")
    result["server_log"] = {"database is locked": log_text.count("database is locked"),
                            "tracebacks": log_text.count("Traceback (most recent call last)")}
    result.update(analyze_load(measured))
    if not measured["measured"]:
        problems.append(f"the measurement never started: {measured['ready']} of {measured['users']} users ready")
    if measured["signin_failures"]:
        problems.append(f"sign-in failures: {measured['signin_failures']}")
    if result["errors"]:
        problems.append(f"{result['errors']} failed requests")
    if result["server_log"]["database is locked"]:
        problems.append(f"\"database is locked\" {result['server_log']['database is locked']} times in the server log")
    if result["server_log"]["tracebacks"]:
        problems.append(f"{result['server_log']['tracebacks']} tracebacks in the server log ({server_log})")
    result["problems"] = problems
    say("\n" + load_table([result]) + "\n\n" + load_detail_table(result) + "\n")
    for p in problems:
        say(f"  PROBLEM: {p}")
    for text, n in sorted(result["failure_messages"].items(), key=lambda kv: -kv[1])[:10]:
        say(f"  {n} x {text}")
    return result


def analyze_load(measured: dict) -> dict:
    per_name = {}
    all_times = []
    errors = 0
    for name, rows in measured["times"].items():
        times = [t for t, _ok in rows]
        bad = sum(1 for _t, ok in rows if not ok)
        errors += bad
        all_times += times
        s = summarize(times)
        per_name[name] = {"count": len(times), "errors": bad, "p50": s.p50, "p95": s.p95, "max": s.max}
    window = (measured["end"] - measured["start"]) if measured["measured"] else 0
    if all_times and window > 0:
        s = summarize(all_times)
        overall = {"requests": len(all_times), "rps": len(all_times) / window, "p50": s.p50, "p95": s.p95,
                   "max": s.max}
    else:
        overall = {"requests": 0, "rps": 0.0, "p50": None, "p95": None, "max": None}
    return {**overall, "window": window, "errors": errors, "per_name": per_name,
            "failure_messages": measured["failures"]}


def load_table(runs: list[dict]) -> str:
    rows = []
    for r in runs:
        pg = r["db"] == "postgres" and r.get("mix", "usual") == "usual"
        verdict = [LOAD_P95.judge(r["p95"]) if pg else "", LOAD_RPS.judge(r["rps"]) if pg else ""]
        mix = " (write-heavy)" if r.get("mix", "usual") != "usual" else ""
        rows.append([db_label(r["db"]) + mix, fmt_count(r["n"]), r["users"], fmt_num(r["window"]), f"{r['requests']:,}",
                     fmt_num(r["rps"]), fmt_num(r["p50"]), fmt_num(r["p95"]), r["errors"],
                     r["server_log"]["database is locked"],
                     f"{r['cpu']['gunicorn']:.0f} / {r['cpu']['locust']:.0f} / {r['cpu']['machine']:.0f}"
                     if r.get("cpu") else "", *verdict])
    return table(["database", "counterparties", "users", "measured s", "requests", "req/s", "p50 ms", "p95 ms",
                  "errors", "db locked", "CPU % server / locust / all", "p95 <= 300 ms", ">= 150 req/s"],
                 rows, align="llrrrrrrrrrll")


def load_detail_table(run: dict) -> str:
    rows = [[name, f"{d['count']:,}", fmt_num(d["p50"]), fmt_num(d["p95"]), fmt_num(d["max"]), d["errors"]]
            for name, d in sorted(run["per_name"].items(), key=lambda kv: -kv[1]["count"])]
    return table(["request", "count", "p50 ms", "p95 ms", "max ms", "errors"], rows)


# --------------------------------------------------------------------------- results


def load_store(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"scenarios": {}, "load": {}}


def summary_table(store: dict) -> str:
    """Each target of the issue against the largest dataset measured on each database."""
    def largest(kind: str, db: str, mix: str = "usual"):
        runs = [r for r in store[kind].values() if r["db"] == db and r.get("mix", "usual") == mix]
        return max(runs, key=lambda r: r["n"]) if runs else None

    groups = {key: group for key, _label, group in SCENARIOS}
    labels = {key: label for key, label, _group in SCENARIOS}

    def worst(run, group):
        if run is None:
            return "not measured"
        cases = [s for s in run["scenarios"] if groups.get(s["key"]) == group]
        if not cases:
            return "not measured"
        missing = [s for s in cases if s["status"] != "ok"]
        if any(s["status"] == "not available" for s in missing) and len(missing) == len(cases):
            return f"not available ({fmt_count(run['n'])})"
        target = target_for(group, run["db"]) or {"kpi": KPI}.get(group)
        ok = [s for s in cases if s["status"] == "ok"]
        text = ""
        if ok:
            w = max(ok, key=lambda s: s["p95"])
            verdict = target.judge(w["p95"]) if target_for(group, run["db"]) else "report only"
            text = f"{verdict}: {'worst ' if len(ok) > 1 else ''}{fmt_num(w['p95'])} ms" + (
                f" ({labels[w['key']]})" if len(ok) > 1 else "")
        if missing:
            text += ("; " if text else "") + ", ".join(f"{labels[s['key']]}: {s['status']}" for s in missing)
        return f"{text} [{fmt_count(run['n'])}]"

    def load_cell(run, what):
        if run is None:
            return "not measured"
        scale = f" [{fmt_count(run['n'])}, {run['users']} users]"
        if what == "p95":
            return (LOAD_P95.judge(run["p95"]) if run["db"] == "postgres" else "report only") + \
                f": {fmt_num(run['p95'])} ms" + scale
        if what == "rps":
            return (LOAD_RPS.judge(run["rps"]) if run["db"] == "postgres" else "report only") + \
                f": {fmt_num(run['rps'])} req/s" + scale
        text = ""
        for r in filter(None, [run, largest("load", run["db"], "writes")]):
            locked = r["server_log"]["database is locked"]
            text += ("; write-heavy mix: " if r is not run else "") + \
                ("met" if not r["errors"] and not locked else "missed") + \
                f": {r['errors']} errors, {locked} \"database is locked\" [{fmt_count(r['n'])}, {r['users']} users]"
        return text

    rows = []
    sc = {db: largest("scenarios", db) for db in ("sqlite", "postgres")}
    ld = {db: largest("load", db) for db in ("sqlite", "postgres")}
    rows.append(["list / filter / search / card: p95 <= 100 ms", worst(sc["sqlite"], "page"),
                 worst(sc["postgres"], "page")])
    rows.append(["API list page of 100: <= 30 ms (p95)", worst(sc["sqlite"], "api"), worst(sc["postgres"], "api")])
    rows.append(["KPI report over a year: <= 1 s on PostgreSQL", worst(sc["sqlite"], "kpi"),
                 worst(sc["postgres"], "kpi")])
    rows.append(["50 users: p95 <= 300 ms (PostgreSQL)", load_cell(ld["sqlite"], "p95"), load_cell(ld["postgres"], "p95")])
    rows.append(["50 users: >= 150 req/s (PostgreSQL)", load_cell(ld["sqlite"], "rps"), load_cell(ld["postgres"], "rps")])
    rows.append(["no errors; SQLite: no \"database is locked\"", load_cell(ld["sqlite"], "errors"),
                 load_cell(ld["postgres"], "errors")])
    return table(["target (issue #8, at 1M counterparties)", "SQLite", "PostgreSQL"], rows, align="lll")


def conditions(mach: dict) -> str:
    """When and under what load a run was made, as one phrase."""
    text = f"Run {mach.get('date', '?')}, load average {mach.get('load', '?')}"
    if mach.get("cpu_pressure") is not None:
        text += f", CPU pressure {mach['cpu_pressure']:.0f} %"
    cal = mach.get("calibration")
    if cal:
        text += f", calibration {fmt_num(cal['best_ms'])} ms best / {fmt_num(cal['mean_ms'])} ms mean"
    return text


def render_section(store: dict) -> str:
    m = store.get("machine") or machine_info()
    runs = sorted(store["scenarios"].values(), key=lambda r: (r["db"] != "sqlite", r["n"]))
    loads = sorted(store["load"].values(), key=lambda r: (r["db"] != "sqlite", r["n"]))
    pg_versions = sorted({r["server_version"] for r in [*runs, *loads] if r["db"] == "postgres"})
    out = [SECTION, "",
           "Written by `bench/scale_bench.py` (`make bench`; `make bench-smoke` is the one-minute CI version and "
           "records nothing) from `bench/scale_results.json`; each dataset's latest run is shown.", "",
           "    python bench/scale_bench.py --scales 100k,1M --db sqlite,postgres", "",
           "Datasets: `raccordo demo --scale N` — per counterparty one contact person with a phone and an e-mail "
           "and one interaction; every second one a deal with a line and an invoice with a line (paid ones with a "
           "payment); every tenth a task; spread evenly over the demo's four managers (a quarter each). SQLite: "
           "`var/bench/sqlite-<N>/raccordo.sqlite3` with the settings' WAL and busy timeout, planner statistics "
           "as the seeder and the migrations leave them; PostgreSQL: database `raccordo_bench_<N>`, default "
           "server configuration, VACUUM ANALYZE by the bench before measuring. Existing datasets are migrated "
           "and reused.", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; {m['os']}; Python {m['python']}, "
           f"SQLite {m['sqlite']}, PostgreSQL {', '.join(pg_versions) or '—'}. The cores are shared with other "
           "work, so each run says what it ran beside: the load average and the CPU pressure (Linux PSI: the "
           "share of the last minute some task waited for a CPU) at its start, and a calibration (two million "
           "Python additions, five times: the best run is the core's speed, the mean what a process got).", ""]
    out += ["### Targets", "", summary_table(store), ""]
    if runs:
        out += ["### Server time per request", "",
                "In-process (`django.test.Client`, DEBUG off, the garbage collector tuned as `wsgi.py` tunes a serving "
                "process: `raccordo.core.runtime`), signed in as a non-admin manager with the access "
                "policy applied (the KPI report as the head of sales if the manager gets 403): warm-up requests, "
                "then the timed ones (n; fewer when a scenario exceeds its time budget). p50/p95 in ms; queries: "
                "SQL statements of one request.", ""]
        for r in runs:
            mach = r.get("machine", {})
            out += [f"#### {db_label(r['db'])}, {fmt_count(r['n'])} counterparties", "",
                    f"{conditions(mach)}; as `{r['manager']}`, who "
                    f"owns {r['owned']:,} of {r['total']:,} counterparties ({100 * r['owned'] / r['total']:.0f} %); "
                    f"{r['warmup']} warm-up, {r['reps']} timed; "
                    + ", ".join(f"{v:,} {k}" for k, v in r["counts"].items() if k != "counterparties") + ".", "",
                    scenario_table(r), ""]
    if loads:
        out += ["### Load test", "",
                "gunicorn (gthread) with production settings on a loopback port; locust (`bench/locustfile.py`, "
                "FastHttpUser) on the same machine. Users sign in through the login page (nine in ten, as the "
                "demo's managers) or read through the API with a personal token (one in ten); measuring starts "
                "when all are signed in. Think time between requests "
                f"{loads[-1]['think'][0]}–{loads[-1]['think'][1]} s. Mix of a web user (weights): card 20, list 12, "
                "search (name / INN / phone / e-mail) 10, dashboard 8, filtered list 5, top-bar search 5, log a "
                "call 5, board 4, tasks 4, sorted list 3, deals 3, invoices 3, create a task 3, edit a note 2 "
                "(form + save); API user: page of 100 (and 30 % the next page) 10, one counterparty 5, deals page "
                "3, search 2; the write-heavy mix (`--mix writes`, the SQLite lock check) runs the three writes ten "
                "times as often (about half of the requests). Times are client-side (queueing included). CPU: "
                "share of all cores used by the server's processes, by locust and by the whole machine (including "
                "PostgreSQL and anything else running) during the run.", "",
                load_table(loads), ""]
        for r in loads:
            mach = r.get("machine", {})
            mix = ", write-heavy mix" if r.get("mix", "usual") != "usual" else ""
            out += [f"#### {db_label(r['db'])}, {fmt_count(r['n'])}{mix}: per request", "",
                    f"{conditions(mach)}; gunicorn {r['workers']} "
                    f"workers x {r['threads']} threads; {r['accounts']} manager accounts.", "",
                    load_detail_table(r), ""]
            if r.get("failure_messages"):
                out += ["Failures: " + "; ".join(f"{n} × {t}" for t, n in
                                                 sorted(r["failure_messages"].items(), key=lambda kv: -kv[1])[:5]), ""]
    if NOTES.exists():
        out += [NOTES.read_text().rstrip(), ""]
    return "\n".join(out)


def record(store_path: Path, results_path: Path | None, store: dict) -> None:
    store["machine"] = machine_info()
    store_path.write_text(json.dumps(store, indent=1, ensure_ascii=False) + "\n")
    if results_path is not None:
        text = results_path.read_text() if results_path.exists() else "# Benchmark results\n"
        results_path.write_text(replace_section(text, SECTION, render_section(store)))
        say(f"Recorded in {results_path.relative_to(ROOT)} and {store_path.relative_to(ROOT)}.")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="100k,1M", help="counterparties per dataset, e.g. 2k,100k,1M")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--only", choices=["scenarios", "load"], help="run only the scenarios or only the load test")
    parser.add_argument("--scenario", action="append", help="run only this scenario key (repeatable)")
    parser.add_argument("--load-scales", help="datasets for the load test (default: all of --scales)")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--min-reps", type=int, default=5, help="timed repetitions even past the time budget")
    parser.add_argument("--budget", type=float, default=60, help="seconds of timed repetitions per scenario")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds of the load test")
    parser.add_argument("--think-min", type=float, default=0.05)
    parser.add_argument("--think-max", type=float, default=0.25)
    parser.add_argument("--mix", choices=["usual", "writes"], default="usual",
                        help="load-test mix: usual (about one request in nine writes) or writes (about half)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--smoke", action="store_true",
                        help="2k on SQLite, 5 repetitions, 15 s load test with 10 users; records nothing")
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md / scale_results.json")
    parser.add_argument("--fresh", action="store_true", help="delete the datasets and generate them again")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the RESULTS.md section from scale_results.json (e.g. after editing the notes)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-params", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        result = CHILDREN[args.child](json.loads(args.child_params or "{}"))
        Path(args.child_out).write_text(json.dumps(result, default=str))
        return 0

    if args.render:
        record(STORE, RESULTS, load_store(STORE))
        return 0
    if args.smoke:
        args.scales, args.db, args.reps, args.warmup, args.min_reps, args.budget = "2k", "sqlite", 5, 1, 3, 5
        args.users, args.seconds, args.spawn_rate = min(args.users, 10), min(args.seconds, 15), 10
        args.no_record = True
    scales = [parse_count(s) for s in args.scales.split(",") if s.strip()]
    load_scales = [parse_count(s) for s in args.load_scales.split(",")] if args.load_scales else scales
    dbs = [d.strip() for d in args.db.split(",") if d.strip()]
    for d in dbs:
        if d not in ("sqlite", "postgres"):
            parser.error(f"unknown database {d!r}: use sqlite and/or postgres")

    store = load_store(STORE) if not args.no_record else {"scenarios": {}, "load": {}}
    problems: list[str] = []
    started = time.perf_counter()
    m = machine_info()
    say(f"Scale bench: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB, load {m['load']}")
    for n in sorted(set(scales) | set(load_scales)):
        for db in dbs:
            ds = Dataset(db=db, n=n)
            try:
                prepared = prepare(ds, fresh=args.fresh)
                problems += [f"{ds.title}: {p}" for p in prepared["problems"]]
                if args.only != "load" and n in scales:
                    run = run_scenarios(ds, prepared["counts"], args)
                    store["scenarios"][ds.key] = run
                    problems += [f"{ds.title}: {s['label']}: {s['status']}: {s.get('error')}"
                                 for s in run["scenarios"] if s["status"] == "failed"]
                if args.only != "scenarios" and n in load_scales:
                    load = run_load(ds, prepared["counts"], args)
                    store["load"][ds.key + ("" if args.mix == "usual" else f"/{args.mix}")] = load
                    problems += [f"{ds.title}: load test: {p}" for p in load["problems"]]
            except HarnessError as exc:
                problems.append(f"{ds.title}: {exc}")
                say(f"  FAILED: {exc}")
            if not args.no_record:
                record(STORE, RESULTS, store)

    say("\n" + summary_table(store if not args.no_record else store) + "\n")
    say(f"Done in {time.perf_counter() - started:.0f} s.")
    if problems:
        say("\nThe harness or the application failed (time targets are not judged here):")
        for p in problems:
            say(f"  - {p}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
