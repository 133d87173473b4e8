"""`demo --scale N`: N counterparties with their contacts, deals, invoices, payments and interactions, fast.

No per-row service call and no per-row validation: values are built valid (tax ids with computed check
digits, E.164 phones from known-valid prefixes, invoice totals from the same pricing functions the
services use) and written with one prepared INSERT per table and batch (`executemany`; `COPY` on
PostgreSQL), a transaction per batch, so memory stays flat up to millions of rows on SQLite and PostgreSQL.

Bulk rows are benchmark data: they are not written to the change journal (outbound exchange would
otherwise try to send a million made-up companies to accounting).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone

from raccordo.activities.models import Interaction, Task
from raccordo.core.ids import new_id
from raccordo.parties import search
from raccordo.parties.models import ContactPerson, Counterparty, Email, Phone
from raccordo.sales.models import Deal, DealLine, Invoice, InvoiceLine, Payment, PaymentAllocation, StageKind
from raccordo.sales.pricing import line_totals

from . import data
from .generators import (
    RU_REGIONS,
    inn10_from_body,
    inn12_from_body,
    it_mobile,
    kpp_for,
    latin_slug,
    ogrn_from,
    ogrnip_from,
    partita_iva_from_body,
    ru_mobile,
)
from .reference import Reference

BATCH = 5000
ZERO = Decimal("0")
CENT = Decimal("0.01")
# The business is spread over the last two years (clients arrive, deals close, invoices are paid month by
# month), so a KPI report over the current or the previous year has a year of figures to add up.
SPAN_DAYS = 730
# Statuses of an invoice by its age: recent ones are still being paid, old ones mostly settled.
RECENT_INVOICE_STATUS = [("draft", 10), ("issued", 30), ("partly_paid", 15), ("paid", 40), ("cancelled", 5)]
OLD_INVOICE_STATUS = [("draft", 1), ("issued", 5), ("partly_paid", 4), ("paid", 82), ("cancelled", 8)]


class TableWriter:
    """One prepared INSERT for a model's columns; rows are tuples in `columns` order, in Python values.

    Values are converted with each field's own `get_db_prep_save`, but only for the field types whose
    database form differs from the Python one (UUIDs, dates, decimals), to keep the per-value cost low.
    Concrete fields not named in `columns` get their model default (the same for every row), so a field
    added to a model later does not break the bulk seeding.
    """

    def __init__(self, model: type[models.Model], columns: list[str]):
        self.model = model
        fields = [model._meta.get_field(name) for name in columns]
        named = {f.name for f in fields}
        others = [f for f in model._meta.concrete_fields if f.name not in named]
        self.converters: list[Callable | None] = []
        for f in fields:
            target = f.target_field if f.is_relation else f
            if isinstance(target, models.UUIDField | models.DateTimeField | models.DateField | models.DecimalField
                          | models.JSONField):
                self.converters.append(lambda v, f=f: f.get_db_prep_save(v, connection))
            else:
                self.converters.append(None)
        self.defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
        quote = connection.ops.quote_name
        cols = ", ".join(quote(f.column) for f in [*fields, *others])
        marks = ", ".join(["%s"] * (len(fields) + len(others)))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({cols}) VALUES ({marks})"
        # PostgreSQL: COPY is several times faster than INSERTs, even pipelined ones.
        self.copy_sql = f"COPY {quote(model._meta.db_table)} ({cols}) FROM STDIN"
        self.pending: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        self.pending.append(row)

    def flush(self) -> None:
        if not self.pending:
            return
        convs, defaults = self.converters, self.defaults
        rows = [tuple(v if c is None or v is None else c(v) for c, v in zip(convs, row, strict=True)) + defaults
                for row in self.pending]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, rows)
        self.written += len(rows)
        self.pending = []


@dataclass
class ScaleResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _weighted(rnd: random.Random, choices: list[tuple[object, int]]) -> object:
    return rnd.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def seed_scale(*, n: int, ref: Reference, rnd: random.Random, batch: int = BATCH,
               log: Callable[[str], None] | None = None) -> ScaleResult:
    """Bulk-create `n` counterparties and, per counterparty: a contact with a phone and an e-mail, an
    interaction; every second one a deal with a line and an invoice with a line (paid ones with a payment);
    every tenth one a task. Counterparties are spread evenly over the active managers."""
    log = log or (lambda msg: None)
    started = time.perf_counter()
    managers = ref.managers
    if not managers:
        raise ValueError("No active manager to make responsible for the counterparties.")
    today = timezone.localdate()
    now = timezone.now()
    start = Counterparty.objects.count()

    w = {
        "counterparty": TableWriter(Counterparty, [
            "id", "created_at", "updated_at", "kind", "name", "full_name", "country", "responsible", "inn", "kpp",
            "ogrn", "vat_number", "tax_code", "is_vip", "is_active", "segment", "price_type", "website", "notes"]),
        "contact": TableWriter(ContactPerson, [
            "id", "created_at", "updated_at", "counterparty", "last_name", "first_name", "middle_name", "position",
            "role", "is_active", "notes"]),
        "phone": TableWriter(Phone, ["id", "created_at", "updated_at", "counterparty", "contact", "is_primary",
                                     "number", "extension", "kind"]),
        "email": TableWriter(Email, ["id", "created_at", "updated_at", "counterparty", "contact", "is_primary",
                                     "address"]),
        "deal": TableWriter(Deal, [
            "id", "created_at", "updated_at", "title", "counterparty", "contact", "manager", "funnel", "stage",
            "amount", "currency", "expected_close", "probability", "closed_at", "lost_reason", "description"]),
        "deal_line": TableWriter(DealLine, [
            "id", "created_at", "updated_at", "deal", "product", "description", "quantity", "unit", "price",
            "discount_percent", "vat_rate", "amount", "vat_amount", "position"]),
        "invoice": TableWriter(Invoice, [
            "id", "created_at", "updated_at", "own_company", "counterparty", "deal", "number", "date", "due_date",
            "currency", "vat_included", "discount_percent", "status", "subtotal", "vat_amount", "total",
            "paid_amount", "comment", "responsible"]),
        "invoice_line": TableWriter(InvoiceLine, [
            "id", "created_at", "updated_at", "invoice", "product", "description", "quantity", "unit", "price",
            "discount_percent", "vat_rate", "amount", "vat_amount", "position"]),
        "payment": TableWriter(Payment, ["id", "created_at", "updated_at", "counterparty", "date", "amount",
                                         "currency", "number", "comment"]),
        "allocation": TableWriter(PaymentAllocation, ["id", "created_at", "updated_at", "payment", "invoice",
                                                      "amount"]),
        "interaction": TableWriter(Interaction, [
            "id", "created_at", "updated_at", "kind", "direction", "counterparty", "contact", "deal", "subject",
            "body", "occurred_at", "duration_seconds", "outcome", "author"]),
        "task": TableWriter(Task, [
            "id", "created_at", "updated_at", "title", "description", "assignee", "author", "counterparty", "deal",
            "due_at", "priority", "status", "completed_at"]),
    }

    stages = list(ref.stages.values())
    stage_weights = [(s, {"won": 20, "lost": 10}.get(s.kind, 70 // max(1, sum(x.kind == "open" for x in stages))))
                     for s in stages]
    goods = [p for p in ref.products if not p.is_service] or ref.products
    wholesale, eur = ref.price_types["wholesale"], ref.price_types["eur"]
    # Per product: (id, name, unit id, vat rate, RUB price, EUR price)
    catalog = [(p.pk, p.name, p.unit_id, p.vat_rate, ref.prices.get((p.pk, wholesale.pk), Decimal("100")),
                ref.prices.get((p.pk, eur.pk), Decimal("10"))) for p in goods]
    invoice_status = RECENT_INVOICE_STATUS
    kinds = [("call", data.CALL_SUBJECTS), ("email", data.EMAIL_SUBJECTS), ("meeting", data.MEETING_SUBJECTS),
             ("note", data.NOTE_SUBJECTS)]
    year = today.year

    def flush_all() -> None:
        for writer in w.values():
            writer.flush()

    done = 0
    for chunk_start in range(0, n, batch):
        chunk_end = min(n, chunk_start + batch)
        with transaction.atomic():
            for i in range(chunk_start, chunk_end):
                g = start + i
                _one(g, rnd=rnd, w=w, ref=ref, managers=managers, now=now, today=today, year=year,
                     stage_weights=stage_weights, catalog=catalog, invoice_status=invoice_status, kinds=kinds)
            batch_ids = [row[0] for row in w["counterparty"].pending]
            flush_all()
            # The batch's search documents, in the same transaction (bulk rows send no signals).
            search.index_refresh(counterparty_ids=batch_ids)
        done = chunk_end
        elapsed = time.perf_counter() - started
        log(f"  {done:>10,} / {n:,} counterparties   {elapsed:7.1f} s   {done / elapsed:8,.0f}/s")

    result = ScaleResult(counts={name: writer.written for name, writer in w.items()},
                         seconds=time.perf_counter() - started)
    return result


def _one(g: int, *, rnd: random.Random, w: dict[str, TableWriter], ref: Reference, managers, now, today, year,
         stage_weights, catalog, invoice_status, kinds) -> None:
    """The rows of one counterparty number `g` (global, so a second run continues the sequence)."""
    manager = managers[g % len(managers)]
    # The client's number among its manager's clients: deals and tasks follow it, so every manager gets some
    # (with g itself, an even number of managers would leave half of them without any deal).
    k = g // len(managers)
    born = now - dt.timedelta(days=rnd.randint(0, SPAN_DAYS), minutes=rnd.randint(0, 600))

    def since_born() -> dt.datetime:
        """A moment between the client's arrival and now."""
        return born + (now - born) * rnd.random()
    # A bijection of g onto 7 digits: tax ids look random but never repeat (up to 10 million).
    serial = (g * 7_654_321 + 1_234_567) % 10_000_000
    italian = rnd.random() < 0.2
    cp_id = new_id()
    if italian:
        root, suffix = rnd.choice(data.IT_ROOTS), rnd.choice(data.IT_SUFFIXES)
        name = f"{root}{suffix.lower() if rnd.random() < 0.5 else ' ' + suffix}"
        # A partita IVA's first seven digits may not all be zero (the one g whose serial is 0).
        piva = partita_iva_from_body(f"{serial or 1:07d}", 1 + g % 100)
        slug = latin_slug(name)
        w["counterparty"].add((
            cp_id, born, born, "legal", name, f"{name} {rnd.choice(data.IT_FORMS)}", "IT", manager.pk, "", "", "",
            piva, piva, False, True, "installers", ref.price_types["eur"].pk, f"https://www.{slug}.example", ""))
        first = rnd.choice(data.IT_FEMALE + data.IT_MALE)
        last, middle = rnd.choice(data.IT_SURNAMES), ""
        position = rnd.choice(data.IT_POSITIONS)
        phone = it_mobile(g)
        currency, own, price_col = "EUR", ref.own_it, 5
    else:
        region = RU_REGIONS[g % len(RU_REGIONS)]
        root, suffix = rnd.choice(data.RU_ROOTS), rnd.choice(data.RU_SUFFIXES)
        name = f"{root}{suffix.lower()}" if rnd.random() < 0.6 else f"{root}-{suffix}"
        slug = latin_slug(name)
        if rnd.random() < 0.85:
            inn = inn10_from_body(f"{region}{serial:07d}")
            w["counterparty"].add((
                cp_id, born, born, "legal", name, f"ООО «{name}»", "RU", manager.pk, inn, kpp_for(inn),
                ogrn_from(year=2005 + g % 18, region=region, serial=serial), "", "", g % 97 == 0, True,
                "wholesale", None, f"https://{slug}.example", ""))
        else:
            last_m = rnd.choice(data.RU_SURNAMES)
            first_m, middle_m = rnd.choice(data.RU_MALE)
            name = f"ИП {last_m} {first_m[0]}.{middle_m[0]}."
            inn = inn12_from_body(f"{region}0{serial:07d}")
            w["counterparty"].add((
                cp_id, born, born, "sole_trader", name, f"ИП {last_m} {first_m} {middle_m}", "RU", manager.pk, inn, "",
                ogrnip_from(year=2010 + g % 14, region=region, serial=serial), "", "", False, True, "installers",
                None, "", ""))
        female = rnd.random() < 0.45
        first, middle = rnd.choice(data.RU_FEMALE if female else data.RU_MALE)
        last = rnd.choice(data.RU_SURNAMES) + ("а" if female else "")
        position = rnd.choice(data.RU_POSITIONS)
        phone = ru_mobile(g)
        currency, own, price_col = "RUB", ref.own_ru, 4

    contact_id = new_id()
    w["contact"].add((contact_id, born, born, cp_id, last, first, middle, position, "buyer", True, ""))
    w["phone"].add((new_id(), born, born, cp_id, contact_id, True, phone, "", "mobile"))
    w["email"].add((new_id(), born, born, cp_id, contact_id, True,
                    f"{latin_slug(first)}.{latin_slug(last)}@{slug or 'mail'}{g}.example"))

    deal_id = None
    if k % 2 == 0:
        stage = _weighted(rnd, stage_weights)
        product = rnd.choice(catalog)
        quantity = Decimal(rnd.choice([1, 2, 5, 10, 20, 50]))
        price = product[price_col]
        totals = line_totals(quantity=quantity, price=price, vat_rate=product[3], vat_included=True)
        created = since_born()
        if stage.kind == StageKind.OPEN and (now - created).days > 120 and rnd.random() < 0.85:
            # A deal opened months ago has mostly been decided by now.
            stage = _weighted(rnd, [(s, w_) for s, w_ in stage_weights if s.kind != StageKind.OPEN])
        closed = stage.kind != StageKind.OPEN
        closed_at = min(now, created + dt.timedelta(days=rnd.randint(1, 30), minutes=rnd.randint(0, 600)))
        deal_id = new_id()
        w["deal"].add((
            deal_id, created, now, f"{product[1]} — {name}"[:255], cp_id, contact_id, manager.pk, ref.funnel.pk,
            stage.pk, totals.amount, currency,
            None if closed else today + dt.timedelta(days=rnd.randint(-5, 60)), None,
            closed_at if closed else None,
            rnd.choice(data.LOST_REASONS) if stage.kind == StageKind.LOST else "", ""))
        w["deal_line"].add((new_id(), now, now, deal_id, product[0], product[1], quantity, product[2], price, ZERO,
                            product[3], totals.amount, totals.vat, 1))

        issued_at = closed_at if stage.kind == StageKind.WON else created + dt.timedelta(days=rnd.randint(0, 10))
        date = min(today, timezone.localdate(min(issued_at, now)))
        status = _weighted(rnd, invoice_status if (today - date).days <= 60 else OLD_INVOICE_STATUS)
        vat_included = currency == "RUB"
        inv_totals = line_totals(quantity=quantity, price=price, vat_rate=product[3], vat_included=vat_included)
        subtotal, vat, total = inv_totals.net, inv_totals.vat, inv_totals.net + inv_totals.vat
        paid = ZERO
        if status == "paid":
            paid = total
        elif status == "partly_paid":
            paid = (total * Decimal(rnd.choice(["0.3", "0.5", "0.7"]))).quantize(CENT)
        invoice_id = new_id()
        number = "" if status == "draft" else f"{own.invoice_prefix}{date.year}-B{g:07d}"
        w["invoice"].add((
            invoice_id, now, now, own.pk, cp_id, deal_id if stage.kind == StageKind.WON else None, number, date,
            date + dt.timedelta(days=rnd.choice([5, 10, 14, 30])), currency, vat_included, ZERO, status, subtotal,
            vat, total, paid, "", manager.pk))
        w["invoice_line"].add((new_id(), now, now, invoice_id, product[0], product[1], quantity, product[2], price,
                               ZERO, product[3], inv_totals.amount, inv_totals.vat, 1))
        if paid > ZERO:
            payment_id = new_id()
            pay_date = min(today, date + dt.timedelta(days=rnd.randint(1, 20)))
            w["payment"].add((payment_id, now, now, cp_id, pay_date, paid, currency, f"{g % 9000 + 100}", ""))
            w["allocation"].add((new_id(), now, now, payment_id, invoice_id, paid))

    kind, subjects = kinds[_weighted(rnd, [(0, 5), (1, 3), (2, 1), (3, 1)])]
    occurred = since_born()
    w["interaction"].add((
        new_id(), occurred, occurred, kind, "out", cp_id, contact_id, deal_id, rnd.choice(subjects), "", occurred,
        rnd.randint(30, 900) if kind == "call" else None, rnd.choice(data.OUTCOMES), manager.pk))

    if k % 10 == 0:
        due = born + (now + dt.timedelta(days=14) - born) * rnd.random()
        # Tasks long past their date are nearly all done; the last fortnight's are still being worked on.
        done = due < now and rnd.random() < (0.97 if (now - due).days > 14 else 0.6)
        completed = min(now, due + dt.timedelta(hours=rnd.randint(-48, 24))) if done else None
        created = min(now, max(born, due - dt.timedelta(days=3)))
        w["task"].add((new_id(), created, created, rnd.choice(data.TASK_TITLES), "", manager.pk, manager.pk, cp_id,
                       deal_id, due, "normal", "done" if done else "open", completed))


def total_rows(result: ScaleResult) -> int:
    return sum(result.counts.values())


__all__: Iterable[str] = ["BATCH", "ScaleResult", "TableWriter", "seed_scale", "total_rows"]
