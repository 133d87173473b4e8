"""Benchmark of the EnterpriseData exchange (issue #16): reading 1C's message and writing ours, at flat memory.

    python bench/enterprisedata_bench.py [--sizes 1000,10000] [--db sqlite,postgres]

For each database and size N, on a fresh database (SQLite: a temp RACCORDO_VAR + `raccordo migrate`;
PostgreSQL: a dedicated database `raccordo_bench_ed` at postgres://postgres@127.0.0.1:5432/, created and
dropped here), each measurement runs in its own subprocess, which reports its wall time and its own peak RSS
(resource.getrusage):

* setup    -- (not timed) an EnterpriseData node with version 1.17 agreed, N counterparties with N issued
              invoices made through the services, and 1C's messages: N new counterparties (each with a bank
              account, a phone, an e-mail and an address) + N documents (N/2 bank receipts paying our
              invoices, N/2 sales naming them), written by the format layer as 1C numbers them;
* write    -- (c) `enterprisedata_exchange()` with no message from 1C: Raccordo's message of the N
              counterparties and N invoices (as ЗаказКлиента);
* read     -- (a) the exchange reading 1C's message no. 1 (which confirms ours) into the database;
* re-read  -- (b) 1C's message no. 2, the same body again (1C's messages are cumulative until confirmed):
              everything is recognised unchanged, nothing is written;
* format   -- (--format-sizes) the format layer alone, no database: 1C's message written, streamed, then every
              object read back by the streaming reader;
* floor    -- a plain lxml iterparse of the same message, each object's fields read and the element
              cleared, no database: what any reader must pay.

Printed per row: wall seconds, CPU seconds (the child's own: on a shared machine steadier than the wall
clock; on PostgreSQL the server's share is not in it) and objects/s of each step, and the peak RSS of each
child; flat memory means the RSS columns do not grow with N. Each step's figures are also printed (stderr)
as it ends, so a long run that is cut off keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import os
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
# A database of its own, dropped after each size (RACCORDO_BENCH_ED_DB names another, for a run beside this one).
PG_DB = os.environ.get("RACCORDO_BENCH_ED_DB", "raccordo_bench_ed")
PG_BENCH_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
NODE_CODE = "bp"
OURS, THEIRS = "RC", "BP"


# --------------------------------------------------------------------------- children (one measurement each)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "raccordo.settings")
    import django

    django.setup()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KB on Linux


def _cpu_seconds() -> float:
    """This process's CPU time (user + system): on a machine shared with other work, steadier than the wall
    clock. With SQLite it is all the database's work too; PostgreSQL's server runs in processes of its own."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _guid(kind: int, i: int) -> str:
    return f"5a1c{kind:04x}-0000-4000-8000-{i:012x}"


def child_setup(folder: str, n: int) -> dict:
    """The node, N counterparties with N issued invoices, and 1C's two messages beside the exchange folder."""
    _django()
    import datetime as dt
    from decimal import Decimal

    from django.db import transaction

    from raccordo.exchange.enterprisedata import services as ed
    from raccordo.exchange.enterprisedata.models import EnterpriseDataPeer
    from raccordo.exchange.models import NodeKind
    from raccordo.exchange.services import node_create
    from raccordo.parties import search
    from raccordo.parties.models import OwnCompany
    from raccordo.parties.services import counterparty_create
    from raccordo.sales.services import LineInput, invoice_create, invoice_issue

    node = node_create(user=None, code=NODE_CODE, kind=NodeKind.ENTERPRISEDATA, path=folder)
    ed.peer_setup(user=None, node=node, our_code=OURS, peer_code=THEIRS)
    # The settings handshake is not what is measured: the version is taken as agreed.
    EnterpriseDataPeer.objects.filter(node=node).update(format_version="1.17", peer_versions=["1.17"])
    own = OwnCompany.objects.create(name="Raccordo Trade", full_name="LLC Raccordo Trade", inn="7736207543",
                                    kpp="773601001", is_default=True)
    start = time.perf_counter()
    invoices = []
    # Through the services, 500 at a time in one transaction with their search documents written once per
    # 500 (not measured: at 10,000 one commit and one index refresh per record took most of the setup).
    for first in range(0, n, 500):
        with transaction.atomic(), search.deferred():
            for i in range(first, min(n, first + 500)):
                cp = counterparty_create(user=None, data={"name": f"Customer {i}", "kind": "legal"})
                invoice = invoice_create(user=None, data={"own_company": own, "counterparty_id": cp.pk,
                                                          "date": dt.date(2024, 5, 6)},
                                         lines=[LineInput(description=f"Service {i}", quantity=Decimal("1"),
                                                          price=Decimal("1000"), vat_rate=Decimal("20"))])
                invoice = invoice_issue(user=None, invoice=invoice)
                invoices.append((str(invoice.pk), invoice.number, str(cp.pk), invoice.total))
    made = time.perf_counter() - start
    for message_no in (1, 2):
        _write_1c_message(Path(folder).parent / f"1c-{message_no}.xml", message_no, invoices)
    return {"seconds": made, "rss_mb": _peak_rss_mb()}


def _write_1c_message(path: Path, message_no: int, invoices: list) -> None:
    """1C's message: N counterparties with bank accounts and contacts, then N/2 receipts and N/2 sales."""
    import datetime as dt

    from raccordo.exchange.formats.enterprisedata import catalogs as cat
    from raccordo.exchange.formats.enterprisedata import counterparties as fmt
    from raccordo.exchange.formats.enterprisedata import documents as doc
    from raccordo.exchange.formats.enterprisedata import envelope as env
    version = "1.17"
    ours = cat.OrganizationRec(name="Raccordo Trade", inn="7736207543", kpp="773601001")

    def objects():
        for i in range(len(invoices)):
            rec = fmt.CounterpartyRec(ref=_guid(1, i), name=f"Контрагент 1С {i}", full_name=f"ООО «Контрагент {i}»",
                                      phones=[("work", f"+7495{i % 10_000_000:07d}")], emails=[f"buh{i}@example.ru"],
                                      addresses=[("legal", f"Москва, ул. Тверская, {i}")])
            rec.main_account = fmt.BankAccountRec(ref=_guid(2, i), number=f"40702810{i:012d}",
                                                  bank_name="ПАО Сбербанк", bic="044525225",
                                                  correspondent_account="30101810400000000225")
            yield fmt.counterparty_element(rec, version)
            yield fmt.bank_account_element(rec.main_account, rec, version)
        for i, (ref, number, cp_ref, total) in enumerate(invoices):
            order = doc.DocumentRef(ref=ref, number=number, date=dt.date(2024, 5, 6))
            payer = fmt.CounterpartyRec(ref=cp_ref, name=f"Customer {i}")
            if i % 2 == 0:
                yield doc.payment_element(doc.PaymentRec(
                    ref=_guid(3, i), number=f"{i:06d}", date=dt.date(2024, 5, 10), organization=ours,
                    kind=doc.FROM_BUYER, amount=total, counterparty=payer, purpose=f"Оплата по счету {number}",
                    rows=[(order, total)]), version)
            else:
                yield doc.sale_element(doc.SaleRec(
                    ref=_guid(4, i), number=f"БП-{i}", date=dt.date(2024, 5, 12), organization=ours,
                    counterparty=payer, amount=total, order=order), version)

    header = env.Header(format=env.format_uri(version), sender=THEIRS, recipient=OURS, versions=[version],
                        prefix="БП", message_no=message_no, received_no=1,
                        object_types=[env.ObjectTypeSupport(fmt.COUNTERPARTY)])
    with path.open("wb") as out:
        env.write_message(out, header, objects())


def child_exchange(folder: str, incoming: str) -> dict:
    """One exchange; `incoming` (or "-") is first put where 1C leaves its message."""
    _django()
    from raccordo.exchange.enterprisedata import services as ed
    from raccordo.exchange.models import ExchangeNode

    target = Path(folder) / ed.message_name(THEIRS, OURS)
    if incoming != "-":
        shutil.copyfile(incoming, target)
    node = ExchangeNode.objects.get(code=NODE_CODE)
    start, cpu = time.perf_counter(), _cpu_seconds()
    run = ed.enterprisedata_exchange(node=node)
    elapsed, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    target.unlink(missing_ok=True)
    ours = Path(folder) / ed.message_name(OURS, THEIRS)
    return {"seconds": elapsed, "cpu_s": cpu, "rss_mb": _peak_rss_mb(), "status": run.status, "note": run.message[:300],
            "out_mb": ours.stat().st_size / 1e6, **run.counters()}


def child_floor(path: str) -> dict:
    """Plain lxml: iterparse the message, read every leaf's text, clear each object once read."""
    from lxml import etree

    start = time.perf_counter()
    objects = leaves = 0
    body = None
    for event, el in etree.iterparse(path, events=("start", "end"), resolve_entities=False, no_network=True,
                                     load_dtd=False, huge_tree=False):
        if event == "start":
            if body is None and el.tag.endswith("}Body"):
                body = el
            continue
        if len(el) == 0:
            leaves += el.text is not None
        if body is not None and el.getparent() is body:
            objects += 1
            el.clear()
            while body[0] is not el:
                del body[0]
    return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb(), "objects": objects, "leaves": leaves}


def child_format(path: str, n: int) -> dict:
    """The format layer alone, no database: write 1C's message of N+N objects, streamed."""
    _django()
    from decimal import Decimal

    start = time.perf_counter()
    # The N (invoice id, number, counterparty id, total) tuples are the bench's own input: ~0.4 MB per 1,000.
    _write_1c_message(Path(path), 1, [(_guid(5, i), f"RC-{i}", _guid(6, i), Decimal("1200.00")) for i in range(n)])
    return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb(), "mb": Path(path).stat().st_size / 1e6}


def child_format_read(path: str) -> dict:
    """The format layer alone, no database: every object of a message read back by the streaming reader."""
    _django()
    from raccordo.exchange.formats.enterprisedata import catalogs as cat
    from raccordo.exchange.formats.enterprisedata import counterparties as fmt
    from raccordo.exchange.formats.enterprisedata import documents as doc
    from raccordo.exchange.formats.enterprisedata import envelope as env

    start = time.perf_counter()
    records = 0
    with open(path, "rb") as raw:
        reader = env.MessageReader(raw, file=path)
        for el in reader.objects():
            records += (fmt.read_object(el, "1.17") or cat.read_catalog_object(el, "1.17")
                        or doc.read_document(el, "1.17")) is not None
    return {"seconds": time.perf_counter() - start, "rss_mb": _peak_rss_mb(), "records": records}


# --------------------------------------------------------------------------- the parent


def _run_child(mode: str, args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, *args], env=env, check=True,
                         capture_output=True, text=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # Each step as it ends (a 10,000 run takes long: what was measured is kept even if a later step is cut off).
    print(f"  {time.strftime('%H:%M:%S')} {mode} {' '.join(a for a in args if not a.startswith('/'))}: "
          f"{json.dumps(result, default=str)}", file=sys.stderr, flush=True)
    return result


class FreshDatabase:
    """An empty, migrated database and an exchange folder for one size: its environment for the children."""

    def __init__(self, db: str):
        self.db = db
        self.tmp = Path(tempfile.mkdtemp(prefix="raccordo-edbench-"))
        self.folder = self.tmp / "exchange"
        self.folder.mkdir()

    def __enter__(self) -> dict:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "raccordo.settings", "RACCORDO_VAR": str(self.tmp / "var"),
               "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT / "src")}
        env.pop("DATABASE_URL", None)
        if self.db == "postgres":
            self._pg(f"DROP DATABASE IF EXISTS {PG_DB}")
            self._pg(f"CREATE DATABASE {PG_DB}")
            env["DATABASE_URL"] = PG_BENCH_URL
        subprocess.run([sys.executable, "-m", "django", "migrate", "--skip-checks", "-v", "0"], env=env,
                       check=True, cwd=ROOT)
        return env

    def __exit__(self, *exc) -> None:
        if self.db == "postgres":
            self._pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def _pg(sql: str) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql)


def measure(db: str, n: int) -> dict:
    """All steps for one database and size; asserts what each step must have done."""
    fresh = FreshDatabase(db)
    with fresh as env:
        folder = str(fresh.folder)
        setup = _run_child("setup", [folder, str(n)], env)
        write = _run_child("exchange", [folder, "-"], env)
        first = str(fresh.tmp / "1c-1.xml")
        floor = _run_child("floor", [first], env)
        read = _run_child("exchange", [folder, first], env)
        again = _run_child("exchange", [folder, str(fresh.tmp / "1c-2.xml")], env)
        size_mb = Path(first).stat().st_size / 1e6
    assert write["status"] == "succeeded" and write["failed"] == 0, write
    assert floor["objects"] == 3 * n, floor
    assert read["status"] == "succeeded" and read["failed"] == 0 and read["created"] >= 2 * n, read
    assert again["status"] == "succeeded" and not again["created"] and not again["updated"], again
    return {"db": db, "n": n, "in_mb": size_mb, "setup": setup, "write": write, "floor": floor, "read": read,
            "again": again}


def row(r: dict) -> str:
    n, w, f, a, b = r["n"], r["write"], r["floor"], r["read"], r["again"]
    return (f"| {r['db']} | {n:,} | {r['in_mb']:.1f} | {w['out_mb']:.1f} | {w['seconds']:.1f} | {w['cpu_s']:.1f} "
            f"| {2 * n / w['seconds']:,.0f} | {w['rss_mb']:.0f} | {f['seconds']:.2f} | {f['rss_mb']:.0f} "
            f"| {a['seconds']:.1f} | {a['cpu_s']:.1f} | {3 * n / a['seconds']:,.0f} | {a['rss_mb']:.0f} "
            f"| {b['seconds']:.1f} | {b['cpu_s']:.1f} | {3 * n / b['seconds']:,.0f} | {b['rss_mb']:.0f} |")


# "CPU s" is the child's own CPU time: all of the work on SQLite, the client's share on PostgreSQL.
HEADER = ("| db | N | 1C msg MB | our msg MB | (c) write s | CPU s | objects/s | RSS MB | floor s | floor RSS | "
          "(a) read s | CPU s | objects/s | RSS MB | (b) re-read s | CPU s | objects/s | RSS MB |\n"
          "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--format-sizes", default="", help="also the format layer alone (no database) at these N")
    parser.add_argument("--json", type=Path, help="also write every child's figures here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        mode, rest = args.child[0], args.child[1:]
        sys.path.insert(0, str(ROOT / "src"))
        if mode == "setup":
            result = child_setup(rest[0], int(rest[1]))
        elif mode == "format":
            result = child_format(rest[0], int(rest[1]))
        elif mode == "format-read":
            result = child_format_read(rest[0])
        elif mode == "exchange":
            result = child_exchange(rest[0], rest[1])
        else:
            result = child_floor(rest[0])
        print(json.dumps(result, default=str))
        return

    sys.path.insert(0, str(HERE))
    from import_bench import machine

    print(json.dumps(machine()))
    print(HEADER, flush=True)
    results = []
    for db in [d for d in args.db.split(",") if d]:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            results.append(measure(db, n))
            print(row(results[-1]), flush=True)
    for n in [int(s) for s in args.format_sizes.split(",") if s]:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "DJANGO_SETTINGS_MODULE": "raccordo.settings", "RACCORDO_VAR": tmp,
                   "SECRET_KEY": "bench", "PYTHONPATH": str(ROOT / "src")}
            w = _run_child("format", [str(Path(tmp) / "1c.xml"), str(n)], env)
            r = _run_child("format-read", [str(Path(tmp) / "1c.xml")], env)
        assert r["records"] == 3 * n, r
        results.append({"format": n, "write": w, "read": r})
        print(f"format layer, N={n:,}: {w['mb']:.0f} MB message of {3 * n:,} objects written in {w['seconds']:.1f} s "
              f"(peak RSS {w['rss_mb']:.0f} MB), read back in {r['seconds']:.1f} s "
              f"({3 * n / r['seconds']:,.0f} objects/s; peak RSS {r['rss_mb']:.0f} MB)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
