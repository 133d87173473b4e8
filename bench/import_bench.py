"""Benchmark of the CommerceML catalog import, against a floor measured in the same run.

    python bench/import_bench.py [--sizes 10000,100000] [--db sqlite,postgres] [--keep DIR]

For each size, bench/gen_cml.py writes import.xml + offers.xml (N products, 3 prices and 5 stock rows
each). For each database and size, on a fresh database (SQLite: a temp RACCORDO_VAR + `raccordo migrate`;
PostgreSQL: a dedicated database `raccordo_bench` at postgres://postgres@127.0.0.1:5432/, created and
dropped here), each measurement runs in its own subprocess, which reports its wall time and its own
peak RSS (resource.getrusage):

* floor    -- a plain lxml iterparse of the same files plus executemany INSERTs of the same rows
              (products, prices, stock levels) in 5,000-row transactions: what any importer must pay;
* import   -- `exchange_import()` of both files into the empty database;
* re-import -- the same files again (nothing changed: everything is recognised as unchanged).

Printed per row: products/s of the import, its ratio to the floor's time, peak RSS of the import and
re-import children, and the re-import time as a share of the import's. `--profile N` instead runs
one cProfile'd import of N products on SQLite and prints the top functions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH_URL = "postgres://postgres@127.0.0.1:5432/raccordo_bench"


# --------------------------------------------------------------------------- children (one measurement each)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raccordo.settings")
    import django

    django.setup()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KB on Linux


def child_import(files: list[str]) -> dict:
    _django()
    from raccordo.exchange.services import exchange_import

    start = time.perf_counter()
    run = exchange_import(paths=files)
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "rss_mb": _peak_rss_mb(), "status": run.status, **run.counters()}


def child_floor(files: list[str]) -> dict:
    """Parse with bare lxml and insert the same rows with executemany: a lower bound for the importer."""
    _django()
    import datetime as dt
    import uuid
    from decimal import Decimal

    from django.db import connection, transaction
    from lxml import etree

    from raccordo.catalog.models import Price, PriceType, Product, StockLevel, Warehouse
    from raccordo.core.ids import new_id

    def ln(tag: str) -> str:
        return tag.rpartition("}")[2]

    def table_insert(model, names):
        fields = [model._meta.get_field(n) for n in names]
        sql = (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} "
               f"({', '.join(connection.ops.quote_name(f.column) for f in fields)}) "
               f"VALUES ({', '.join(['%s'] * len(fields))})")
        return sql, fields

    def prep(fields, values):
        return [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]

    now = dt.datetime.now(dt.UTC)
    start = time.perf_counter()
    base = ("id", "created_at", "updated_at")
    product_sql, product_fields = table_insert(Product, (*base, "article", "barcode", "name", "full_name",
                                                         "vat_rate", "is_service", "is_active", "description",
                                                         "properties"))
    price_sql, price_fields = table_insert(Price, (*base, "product", "price_type", "value"))
    stock_sql, stock_fields = table_insert(StockLevel, (*base, "product", "warehouse", "quantity", "reserved"))
    products: dict[str, uuid.UUID] = {}
    price_types: dict[str, uuid.UUID] = {}
    warehouses: dict[str, uuid.UUID] = {}
    rows: list = []
    batch = 5000

    def flush(sql):
        if rows:
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(sql, rows)
            rows.clear()

    for path in files:
        for _event, el in etree.iterparse(path, events=("end",), resolve_entities=False, no_network=True,
                                          load_dtd=False, huge_tree=False):
            name = ln(el.tag)
            if name == "Товар" and ln(el.getparent().tag) == "Товары":
                kids = {ln(k.tag): k for k in el}
                pid = new_id()
                products[kids["Ид"].text] = pid
                props = {p[0].text: p[1].text for p in kids["ЗначенияСвойств"]}
                rows.append(prep(product_fields, (pid, now, now, kids["Артикул"].text, kids["Штрихкод"].text,
                                                  kids["Наименование"].text, kids["Наименование"].text,
                                                  Decimal("20"), False, True, kids["Описание"].text, props)))
                if len(rows) >= batch:
                    flush(product_sql)
            elif name == "ТипЦены":
                flush(product_sql)
                price_types[el[0].text] = PriceType.objects.create(name=el[1].text, currency="RUB").pk
            elif name == "Склад" and ln(el.getparent().tag) == "Склады":
                warehouses[el[0].text] = Warehouse.objects.create(name=el[1].text).pk
            elif name == "Предложение":
                pid = products[el[0].text]
                for child in el:
                    cname = ln(child.tag)
                    if cname == "Цены":
                        for price in child:
                            kids = {ln(k.tag): k for k in price}
                            rows.append(prep(price_fields, (new_id(), now, now, pid,
                                                            price_types[kids["ИдТипаЦены"].text],
                                                            Decimal(kids["ЦенаЗаЕдиницу"].text))))
                    elif cname == "Склад":
                        rows.append(prep(stock_fields, (new_id(), now, now, pid, warehouses[child.get("ИдСклада")],
                                                        Decimal(child.get("КоличествоНаСкладе")), Decimal(0))))
                if len(rows) >= batch:   # prices and stock rows are mixed: written table by table
                    _flush_mixed(rows, price_sql, stock_sql, len(price_fields), connection, transaction)
            else:
                continue
            el.clear(keep_tail=True)
            parent = el.getparent()
            while el.getprevious() is not None:
                del parent[0]
        flush(product_sql)
        _flush_mixed(rows, price_sql, stock_sql, len(price_fields), connection, transaction)
    elapsed = time.perf_counter() - start
    assert Price.objects.count() == 3 * len(products) and StockLevel.objects.count() == 5 * len(products)
    return {"seconds": elapsed, "rss_mb": _peak_rss_mb(), "products": len(products)}


def _flush_mixed(rows, price_sql, stock_sql, price_width, connection, transaction) -> None:
    if not rows:
        return
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(price_sql, [r for r in rows if len(r) == price_width])
        cur.executemany(stock_sql, [r for r in rows if len(r) != price_width])
    rows.clear()


def child_profile(files: list[str]) -> None:
    import cProfile
    import pstats

    _django()
    from raccordo.exchange.services import exchange_import

    prof = cProfile.Profile()
    prof.enable()
    exchange_import(paths=files)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(35)
    prof = cProfile.Profile()
    prof.enable()
    exchange_import(paths=files)
    prof.disable()
    print("=== re-import ===")
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


# --------------------------------------------------------------------------- the parent


def _run_child(mode: str, files: list[Path], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, *map(str, files)], env=env, check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _migrate(env: dict) -> None:
    subprocess.run([sys.executable, "-m", "django", "migrate", "--skip-checks", "-v", "0"], env=env, check=True,
                   cwd=ROOT)


class FreshDatabase:
    """An empty, migrated database for one measurement: its environment for the children."""

    def __init__(self, db: str):
        self.db = db
        self.tmp = Path(tempfile.mkdtemp(prefix="raccordo-bench-"))

    def __enter__(self) -> dict:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "raccordo.settings", "RACCORDO_VAR": str(self.tmp),
               "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT / "src")}
        env.pop("DATABASE_URL", None)
        if self.db == "postgres":
            self._pg("DROP DATABASE IF EXISTS raccordo_bench")
            self._pg("CREATE DATABASE raccordo_bench")
            env["DATABASE_URL"] = PG_BENCH_URL
        _migrate(env)
        return env

    def __exit__(self, *exc) -> None:
        if self.db == "postgres":
            self._pg("DROP DATABASE IF EXISTS raccordo_bench WITH (FORCE)")
        shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _pg(sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    import sqlite3

    info = {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem / 1024 / 1024, 1),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL) as conn:
            info["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:  # the SQLite half still runs without a server
        info["postgres"] = f"unavailable ({exc.__class__.__name__})"
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--keep", type=Path, help="where generated files are kept (reused when present)")
    parser.add_argument("--profile", type=int, help="cProfile one SQLite import of this many products")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        mode, files = args.child[0], args.child[1:]
        sys.path.insert(0, str(ROOT / "src"))
        if mode == "profile":
            child_profile(files)
            return
        result = {"import": child_import, "floor": child_floor}[mode](files)
        print(json.dumps(result))
        return

    sys.path.insert(0, str(HERE))
    from gen_cml import generate

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="raccordo-cml-"))
    sizes = [args.profile] if args.profile else [int(s) for s in args.sizes.split(",")]
    files: dict[int, list[Path]] = {}
    for n in sizes:
        outdir = data_dir / str(n)
        if not (outdir / "offers.xml").exists():
            generate(n, outdir)
        files[n] = [outdir / "import.xml", outdir / "offers.xml"]

    if args.profile:
        with FreshDatabase("sqlite") as env:
            subprocess.run([sys.executable, __file__, "--child", "profile", *map(str, files[args.profile])],
                           env=env, check=True, cwd=ROOT)
        return

    print(json.dumps(machine()))
    header = (f"{'db':8} {'products':>9} {'MB':>6} {'floor s':>8} {'import s':>9} {'prod/s':>8} {'x floor':>8} "
              f"{'RSS MB':>7} {'re-imp s':>9} {'re-imp %':>9} {'re RSS':>7} {'floor RSS':>9}")
    print(header, flush=True)
    for db in args.db.split(","):
        for n in sizes:
            size_mb = sum(f.stat().st_size for f in files[n]) / 1e6
            with FreshDatabase(db) as env:
                floor = _run_child("floor", files[n], env)
            with FreshDatabase(db) as env:
                first = _run_child("import", files[n], env)
                again = _run_child("import", files[n], env)
            assert first["created"] >= n and first["failed"] == 0, first
            assert again["unchanged"] >= n and not again["created"] and not again["updated"], again
            print(f"{db:8} {n:>9} {size_mb:>6.0f} {floor['seconds']:>8.1f} {first['seconds']:>9.1f} "
                  f"{n / first['seconds']:>8.0f} {first['seconds'] / floor['seconds']:>8.2f} "
                  f"{first['rss_mb']:>7.0f} {again['seconds']:>9.1f} "
                  f"{100 * again['seconds'] / first['seconds']:>8.0f}% {again['rss_mb']:>7.0f} "
                  f"{floor['rss_mb']:>9.0f}", flush=True)
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
