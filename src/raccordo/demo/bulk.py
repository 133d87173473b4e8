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
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from raccordo.access.models import User
from raccordo.activities.models import Interaction, Task
from raccordo.core.ids import new_id
from raccordo.core.signals import records_written
from raccordo.parties.models import ContactPerson, Counterparty, Email, OwnCompany, Phone
from raccordo.sales.models import (
    Deal,
    DealLine,
    DealStageVisit,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Stage,
    StageKind,
)
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
from .table_writer import TableWriter
from .words import say

BATCH = 5000
ZERO = Decimal("0")
CENT = Decimal("0.01")
# The business is spread over the last two years (clients arrive, deals close, invoices are paid month by
# month), so a KPI report over the current or the previous year has a year of figures to add up.
SPAN_DAYS = 730
# Statuses of an invoice by its age: recent ones are still being paid, old ones mostly settled.
RECENT_INVOICE_STATUS = [("draft", 10), ("issued", 30), ("partly_paid", 15), ("paid", 40), ("cancelled", 5)]
OLD_INVOICE_STATUS = [("draft", 1), ("issued", 5), ("partly_paid", 4), ("paid", 82), ("cancelled", 8)]


@dataclass
class ScaleResult:
    """How many rows each table received, and how long it took."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _weighted(rnd: random.Random, choices: list[tuple[object, int]]) -> object:
    return rnd.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def _table_writers() -> dict[str, TableWriter]:
    """One writer per table the bulk rows go to, with the columns each row tuple fills, in order."""
    return {
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
        "stage_visit": TableWriter(DealStageVisit, [
            "id", "created_at", "updated_at", "deal", "funnel", "stage", "manager", "entered_at", "left_at"]),
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


@dataclass
class _ScalePlan:
    """What every bulk counterparty is drawn from, fixed for the whole run, and the writers its rows go to."""

    ref: Reference
    rnd: random.Random
    writers: dict[str, TableWriter]
    managers: list[User]
    now: dt.datetime
    today: dt.date
    stage_weights: list[tuple[Stage, int]]
    # The funnel's open stages in their order: the way a bulk deal went to the stage it stands on.
    open_stages: list[Stage]
    # Per product: (id, name, unit id, vat rate, RUB price, EUR price)
    catalog: list[tuple]
    kinds: list[tuple[str, list[str]]]

    @classmethod
    def build(cls, *, ref: Reference, rnd: random.Random) -> _ScalePlan:
        """The plan of a run: today's date, the stages' weights and the goods to sell, from `ref`."""
        stages = list(ref.stages.values())
        open_share = 70 // max(1, sum(x.kind == "open" for x in stages))
        stage_weights = [(s, {"won": 20, "lost": 10}.get(s.kind, open_share)) for s in stages]
        goods = [p for p in ref.products if not p.is_service] or ref.products
        wholesale, eur = ref.price_types["wholesale"], ref.price_types["eur"]
        catalog = [(p.pk, p.name, p.unit_id, p.vat_rate, ref.prices.get((p.pk, wholesale.pk), Decimal("100")),
                    ref.prices.get((p.pk, eur.pk), Decimal("10"))) for p in goods]
        kinds = [("call", data.CALL_SUBJECTS), ("email", data.EMAIL_SUBJECTS), ("meeting", data.MEETING_SUBJECTS),
                 ("note", data.NOTE_SUBJECTS)]
        open_stages = sorted((s for s in stages if s.kind == StageKind.OPEN), key=lambda s: s.order)
        return cls(ref=ref, rnd=rnd, writers=_table_writers(), managers=ref.managers, now=timezone.now(),
                   today=timezone.localdate(), stage_weights=stage_weights, open_stages=open_stages, catalog=catalog,
                   kinds=kinds)


def seed_scale(*, n: int, ref: Reference, rnd: random.Random, batch: int = BATCH,
               log: Callable[[str], None] | None = None) -> ScaleResult:
    """Bulk-create `n` counterparties and, per counterparty: a contact with a phone and an e-mail, an
    interaction; every second one a deal with a line and an invoice with a line (paid ones with a payment);
    every tenth one a task. Counterparties are spread evenly over the active managers."""
    log = log or (lambda msg: None)
    started = time.perf_counter()
    if not ref.managers:
        raise ValueError("No active manager to make responsible for the counterparties.")
    plan = _ScalePlan.build(ref=ref, rnd=rnd)
    start = Counterparty.objects.count()
    for chunk_start in range(0, n, batch):
        chunk_end = min(n, chunk_start + batch)
        _write_batch(plan, range(start + chunk_start, start + chunk_end))
        elapsed = time.perf_counter() - started
        log(f"  {chunk_end:>10,} / {n:,} counterparties   {elapsed:7.1f} s   {chunk_end / elapsed:8,.0f}/s")
    return ScaleResult(counts={name: writer.written for name, writer in plan.writers.items()},
                       seconds=time.perf_counter() - started)


def _write_batch(plan: _ScalePlan, numbers: range) -> None:
    """The rows of the counterparties numbered `numbers` and their search documents, in one transaction."""
    with transaction.atomic():
        for g in numbers:
            _client_rows(g, plan)
        batch_ids = [row[0] for row in plan.writers["counterparty"].pending]
        for writer in plan.writers.values():
            writer.flush()
        # Bulk rows send no model signals: the batch tells whoever keeps derived data (the search index), in the
        # same transaction, as every bulk write path does.
        records_written.send(sender=Counterparty, pks=batch_ids)


@dataclass
class _Client:
    """One bulk counterparty as its related rows need it, with the person its contact is made of."""

    id: uuid.UUID
    name: str
    slug: str
    manager: User
    first: str
    last: str
    middle: str
    position: str
    phone: str
    currency: str
    own: OwnCompany
    price_col: int   # which catalog column holds the client's price: 4 roubles, 5 euros


def _since(born: dt.datetime, now: dt.datetime, rnd: random.Random) -> dt.datetime:
    """A moment between the client's arrival and now."""
    return born + (now - born) * rnd.random()


def _client_rows(g: int, plan: _ScalePlan) -> None:
    """The rows of one counterparty number `g` (global, so a second run continues the sequence)."""
    rnd, now, managers = plan.rnd, plan.now, plan.managers
    manager = managers[g % len(managers)]
    # The client's number among its manager's clients: deals and tasks follow it, so every manager gets some
    # (with g itself, an even number of managers would leave half of them without any deal).
    k = g // len(managers)
    born = now - dt.timedelta(days=rnd.randint(0, SPAN_DAYS), minutes=rnd.randint(0, 600))
    # A bijection of g onto 7 digits: tax ids look random but never repeat (up to 10 million).
    serial = (g * 7_654_321 + 1_234_567) % 10_000_000
    italian = rnd.random() < 0.2
    cp_id = new_id()
    if italian:
        client = _italian_client(g, cp_id, serial, manager, born, plan)
    else:
        client = _russian_client(g, cp_id, serial, manager, born, plan)
    contact_id = new_id()
    w = plan.writers
    w["contact"].add((contact_id, born, born, cp_id, client.last, client.first, client.middle, client.position,
                      "buyer", True, ""))
    w["phone"].add((new_id(), born, born, cp_id, contact_id, True, client.phone, "", "mobile"))
    w["email"].add((new_id(), born, born, cp_id, contact_id, True,
                    f"{latin_slug(client.first)}.{latin_slug(client.last)}@{client.slug or 'mail'}{g}.example"))
    deal_id = _deal_and_invoice(g, client, contact_id, born, plan) if k % 2 == 0 else None
    _interaction(client, contact_id, deal_id, born, plan)
    if k % 10 == 0:
        _task(client, deal_id, born, plan)


def _italian_client(g: int, cp_id: uuid.UUID, serial: int, manager: User, born: dt.datetime,
                    plan: _ScalePlan) -> _Client:
    """An Italian installer with a partita IVA, buying in euros from the Italian company."""
    rnd = plan.rnd
    root, suffix = rnd.choice(data.IT_ROOTS), rnd.choice(data.IT_SUFFIXES)
    name = f"{root}{suffix.lower() if rnd.random() < 0.5 else ' ' + suffix}"
    # A partita IVA's first seven digits may not all be zero (the one g whose serial is 0).
    piva = partita_iva_from_body(f"{serial or 1:07d}", 1 + g % 100)
    slug = latin_slug(name)
    plan.writers["counterparty"].add((
        cp_id, born, born, "legal", name, f"{name} {rnd.choice(data.IT_FORMS)}", "IT", manager.pk, "", "", "",
        piva, piva, False, True, "installers", plan.ref.price_types["eur"].pk, f"https://www.{slug}.example", ""))
    first = rnd.choice(data.IT_FEMALE + data.IT_MALE)
    last, middle = rnd.choice(data.IT_SURNAMES), ""
    return _Client(id=cp_id, name=name, slug=slug, manager=manager, first=first, last=last, middle=middle,
                   position=rnd.choice(data.IT_POSITIONS), phone=it_mobile(g), currency="EUR", own=plan.ref.own_it,
                   price_col=5)


def _russian_client(g: int, cp_id: uuid.UUID, serial: int, manager: User, born: dt.datetime,
                    plan: _ScalePlan) -> _Client:
    """A Russian wholesaler (an LLC, mostly) or a sole trader, buying in roubles from the Russian company."""
    rnd = plan.rnd
    region = RU_REGIONS[g % len(RU_REGIONS)]
    root, suffix = rnd.choice(data.RU_ROOTS), rnd.choice(data.RU_SUFFIXES)
    name = f"{root}{suffix.lower()}" if rnd.random() < 0.6 else f"{root}-{suffix}"
    slug = latin_slug(name)
    if rnd.random() < 0.85:
        inn = inn10_from_body(f"{region}{serial:07d}")
        plan.writers["counterparty"].add((
            cp_id, born, born, "legal", name, f"ООО «{name}»", "RU", manager.pk, inn, kpp_for(inn),
            ogrn_from(year=2005 + g % 18, region=region, serial=serial), "", "", g % 97 == 0, True,
            "wholesale", None, f"https://{slug}.example", ""))
    else:
        # A sole trader is known by his own name; the e-mail domain keeps the trading name's slug.
        last_m = rnd.choice(data.RU_SURNAMES)
        first_m, middle_m = rnd.choice(data.RU_MALE)
        name = f"ИП {last_m} {first_m[0]}.{middle_m[0]}."
        inn = inn12_from_body(f"{region}0{serial:07d}")
        plan.writers["counterparty"].add((
            cp_id, born, born, "sole_trader", name, f"ИП {last_m} {first_m} {middle_m}", "RU", manager.pk, inn, "",
            ogrnip_from(year=2010 + g % 14, region=region, serial=serial), "", "", False, True, "installers",
            None, "", ""))
    female = rnd.random() < 0.45
    first, middle = rnd.choice(data.RU_FEMALE if female else data.RU_MALE)
    last = rnd.choice(data.RU_SURNAMES) + ("а" if female else "")
    return _Client(id=cp_id, name=name, slug=slug, manager=manager, first=first, last=last, middle=middle,
                   position=rnd.choice(data.RU_POSITIONS), phone=ru_mobile(g), currency="RUB", own=plan.ref.own_ru,
                   price_col=4)


def _deal_and_invoice(g: int, client: _Client, contact_id: uuid.UUID, born: dt.datetime,
                      plan: _ScalePlan) -> uuid.UUID:
    """A deal with one line, its invoice (and payment, if paid); returns the deal's id."""
    rnd, now, today, stage_weights = plan.rnd, plan.now, plan.today, plan.stage_weights
    stage = _weighted(rnd, stage_weights)
    product = rnd.choice(plan.catalog)
    quantity = Decimal(rnd.choice([1, 2, 5, 10, 20, 50]))
    price = product[client.price_col]
    totals = line_totals(quantity=quantity, price=price, vat_rate=product[3], vat_included=True)
    created = _since(born, now, rnd)
    if stage.kind == StageKind.OPEN and (now - created).days > 120 and rnd.random() < 0.85:
        # A deal opened months ago has mostly been decided by now.
        stage = _weighted(rnd, [(s, w_) for s, w_ in stage_weights if s.kind != StageKind.OPEN])
    closed = stage.kind != StageKind.OPEN
    closed_at = min(now, created + dt.timedelta(days=rnd.randint(1, 30), minutes=rnd.randint(0, 600)))
    deal_id = new_id()
    plan.writers["deal"].add((
        deal_id, created, now, f"{product[1]} — {client.name}"[:255], client.id, contact_id, client.manager.pk,
        plan.ref.funnel.pk, stage.pk, totals.amount, client.currency,
        None if closed else today + dt.timedelta(days=rnd.randint(-5, 60)), None,
        closed_at if closed else None,
        rnd.choice(data.LOST_REASONS) if stage.kind == StageKind.LOST else "", ""))
    _stage_visits(plan, deal_id, client.manager.pk, stage, created, closed_at if closed else None)
    plan.writers["deal_line"].add((new_id(), now, now, deal_id, product[0], product[1], quantity, product[2], price,
                                   ZERO, product[3], totals.amount, totals.vat, 1))
    won = stage.kind == StageKind.WON
    issued_at = closed_at if won else created + dt.timedelta(days=rnd.randint(0, 10))
    _invoice(g, client, deal_id if won else None, issued_at, product, quantity, plan)
    return deal_id


def _stage_visits(plan: _ScalePlan, deal_id: uuid.UUID, manager_id, stage: Stage, created: dt.datetime,
                  closed_at: dt.datetime | None) -> None:
    """The stays of a bulk deal on its way to `stage`: the open stages before it (a lost deal gave up half-way),
    at even intervals from its creation to its closing (or to now), the last one still open. No random draw: the
    same seed gives the same rows as before visits were written."""
    if stage.kind == StageKind.OPEN:
        path = [s for s in plan.open_stages if s.order < stage.order]
    elif stage.kind == StageKind.WON:
        path = list(plan.open_stages)
    else:
        path = plan.open_stages[:len(plan.open_stages) // 2 + 1]
    stages = [*path, stage]
    if closed_at is None:
        times = [created + (plan.now - created) * i / len(stages) for i in range(len(stages))]
    else:
        times = [created + (closed_at - created) * i / len(path) for i in range(len(path))] + [closed_at]
    writer, now = plan.writers["stage_visit"], plan.now
    for i, (visited, entered) in enumerate(zip(stages, times, strict=True)):
        left = times[i + 1] if i + 1 < len(times) else None
        writer.add((new_id(), now, now, deal_id, plan.ref.funnel.pk, visited.pk, manager_id, entered, left))


def _invoice(g: int, client: _Client, deal_id: uuid.UUID | None, issued_at: dt.datetime, product: tuple,
             quantity: Decimal, plan: _ScalePlan) -> None:
    """The invoice of a deal's goods, its status by its age; a paid share comes with its payment."""
    rnd, now, today, currency = plan.rnd, plan.now, plan.today, client.currency
    price = product[client.price_col]
    date = min(today, timezone.localdate(min(issued_at, now)))
    status = _weighted(rnd, RECENT_INVOICE_STATUS if (today - date).days <= 60 else OLD_INVOICE_STATUS)
    vat_included = currency == "RUB"
    inv_totals = line_totals(quantity=quantity, price=price, vat_rate=product[3], vat_included=vat_included)
    subtotal, vat, total = inv_totals.net, inv_totals.vat, inv_totals.net + inv_totals.vat
    paid = ZERO
    if status == "paid":
        paid = total
    elif status == "partly_paid":
        paid = (total * Decimal(rnd.choice(["0.3", "0.5", "0.7"]))).quantize(CENT)
    invoice_id = new_id()
    number = "" if status == "draft" else f"{client.own.invoice_prefix}{date.year}-B{g:07d}"
    plan.writers["invoice"].add((
        invoice_id, now, now, client.own.pk, client.id, deal_id, number, date,
        date + dt.timedelta(days=rnd.choice([5, 10, 14, 30])), currency, vat_included, ZERO, status, subtotal,
        vat, total, paid, "", client.manager.pk))
    plan.writers["invoice_line"].add((new_id(), now, now, invoice_id, product[0], product[1], quantity, product[2],
                                      price, ZERO, product[3], inv_totals.amount, inv_totals.vat, 1))
    if paid > ZERO:
        payment_id = new_id()
        pay_date = min(today, date + dt.timedelta(days=rnd.randint(1, 20)))
        plan.writers["payment"].add((payment_id, now, now, client.id, pay_date, paid, currency,
                                     f"{g % 9000 + 100}", ""))
        plan.writers["allocation"].add((new_id(), now, now, payment_id, invoice_id, paid))


def _interaction(client: _Client, contact_id: uuid.UUID, deal_id: uuid.UUID | None, born: dt.datetime,
                 plan: _ScalePlan) -> None:
    """One call, e-mail, meeting or note with the client's contact, some time since the client arrived."""
    rnd = plan.rnd
    kind, subjects = plan.kinds[_weighted(rnd, [(0, 5), (1, 3), (2, 1), (3, 1)])]
    occurred = _since(born, plan.now, rnd)
    plan.writers["interaction"].add((
        new_id(), occurred, occurred, kind, "out", client.id, contact_id, deal_id, rnd.choice(subjects), "", occurred,
        rnd.randint(30, 900) if kind == "call" else None, rnd.choice(data.OUTCOMES), client.manager.pk))


def _task(client: _Client, deal_id: uuid.UUID | None, born: dt.datetime, plan: _ScalePlan) -> None:
    """A task of the client's manager, due between the client's arrival and a fortnight from now."""
    rnd, now, manager = plan.rnd, plan.now, client.manager
    due = born + (now + dt.timedelta(days=14) - born) * rnd.random()
    # Tasks long past their date are nearly all done; the last fortnight's are still being worked on.
    done = due < now and rnd.random() < (0.97 if (now - due).days > 14 else 0.6)
    completed = min(now, due + dt.timedelta(hours=rnd.randint(-48, 24))) if done else None
    created = min(now, max(born, due - dt.timedelta(days=3)))
    plan.writers["task"].add((new_id(), created, created, say(rnd.choice(data.TASK_TITLES), plan.ref.language), "", manager.pk, manager.pk,
                              client.id, deal_id, due, "normal", "done" if done else "open", completed))


def total_rows(result: ScaleResult) -> int:
    """All rows a bulk run wrote, over every table."""
    return sum(result.counts.values())


__all__: Iterable[str] = ["BATCH", "ScaleResult", "seed_scale", "total_rows"]
