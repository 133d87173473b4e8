"""The small demo's deals along both funnels, and invoices in every status with their payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from raccordo.parties.models import Counterparty
from raccordo.sales import services as sales
from raccordo.sales.models import Deal, Invoice, Stage, StageKind

from .. import data
from ..words import say
from .state import DemoState

# Target statuses of the demo's invoices, in the order they are made; "overdue" is issued with its due
# date past.
INVOICE_PLAN = (["paid"] * 8 + ["partly_paid"] * 4 + ["overdue"] * 4 + ["issued"] * 5 + ["draft"] * 4
                + ["cancelled"] * 1)


def _lines(demo: DemoState, cp: Counterparty, *, count: int) -> list[sales.LineInput]:
    """Up to `count` products at the client's price type, in quantities that suit their unit."""
    ref, rnd = demo.ref, demo.rnd
    price_type = cp.price_type or ref.price_types["wholesale"]
    lines = []
    for product in rnd.sample(ref.products, k=count):
        price = ref.prices.get((product.pk, price_type.pk))
        if price is None:
            continue
        unit = product.unit.name if product.unit else "pcs"
        quantity = {"m": rnd.choice([50, 100, 250, 600]), "kg": rnd.choice([2, 5, 10]),
                    "service": 1}.get(unit, rnd.choice([1, 2, 4, 10, 20, 50]))
        if product.article.startswith(("BLR", "WH-", "PMP-BST")):
            quantity = rnd.choice([1, 2, 3])
        lines.append(sales.LineInput(product=product, quantity=Decimal(quantity), price=price,
                                     discount_percent=Decimal(rnd.choice([0, 0, 0, 3, 5, 7]))))
    return lines


def create_deals(demo: DemoState) -> None:
    """Deals in every stage of the sales funnel, and one per stage of the projects funnel."""
    ref, rnd = demo.ref, demo.rnd
    plan = [("New", 6), ("Qualified", 5), ("Proposal", 6), ("Negotiation", 5), ("Won", 9), ("Lost", 4)]
    companies = [c for c in demo.counterparties if c.kind != "individual"]
    order = list(range(len(demo.counterparties)))
    rnd.shuffle(order)
    n = 0
    for stage_name, count in plan:
        stage = ref.stages.get(say(stage_name, ref.language)) or list(ref.stages.values())[0]
        for _ in range(count):
            cp = companies[order[n % len(order)] % len(companies)]
            n += 1
            _deal(demo, cp, ref.funnel, stage, ref.stages)
    if ref.project_funnel is not None:
        for stage in list(ref.project_stages.values()):
            cp = companies[order[n % len(order)] % len(companies)]
            n += 1
            _deal(demo, cp, ref.project_funnel, stage, ref.project_stages)


def _deal(demo: DemoState, cp: Counterparty, funnel, stage: Stage, stages: dict[str, Stage]) -> Deal:
    """A deal opened in the funnel's first stage and moved on to `stage`, as a manager would, on past days: its
    stage visits (and its closing) fall between its creation and today, so the funnel page has days to count."""
    rnd = demo.rnd
    italian = cp.country == "IT"
    title = rnd.choice(data.DEAL_TITLES_IT if italian else data.DEAL_TITLES_RU)
    currency = (cp.price_type.currency if cp.price_type else "RUB")
    contacts = demo.contacts.get(cp.pk) or [None]
    created = demo.days_ago(3, 58)
    first = min(stages.values(), key=lambda s: s.order)
    # The random draws in the order they always were (the same seed gives the same company); the writes after.
    fields = {"title": f"{title} — {cp.name}", "counterparty": cp, "contact": contacts[0], "funnel": funnel,
              "stage": first, "currency": currency,
              "expected_close": demo.today + dt.timedelta(days=rnd.randint(-5, 45)) if stage.kind == StageKind.OPEN
              else None}
    lines = _lines(demo, cp, count=rnd.randint(1, 4))
    reason = rnd.choice(data.LOST_REASONS) if stage.pk != first.pk and stage.kind == StageKind.LOST else ""
    opened = demo.at(created)
    deal = sales.deal_create(user=cp.responsible, data=fields, lines=lines, now=opened)
    if stage.pk != first.pk:
        # A later stage a while later: a third of the way to today for an open deal, half of it for a closed one.
        moved = opened + (demo.now - opened) / (3 if stage.kind == StageKind.OPEN else 2)
        deal = sales.deal_move(user=cp.responsible, deal=deal, stage=stage, lost_reason=reason, now=moved)
    demo.deals.append(deal)
    demo.backdate.append((Deal, deal.pk, opened))
    return deal


def create_invoices(demo: DemoState) -> dict[str, int]:
    """Invoices along `INVOICE_PLAN` (won deals first), then an advance no invoice has taken; returns how
    many invoices of each target status were made."""
    won = [d for d in demo.deals if d.stage.kind == StageKind.WON]
    negotiating = [d for d in demo.deals if d.stage.kind == StageKind.OPEN and d.stage.order >= 2]
    companies = [c for c in demo.counterparties if c.kind != "individual"]
    counts: dict[str, int] = {}
    for k, target in enumerate(INVOICE_PLAN):
        deal = None
        if target in ("paid", "partly_paid", "overdue") and won:
            deal = won.pop(0)  # one invoice per won deal; the rest are invoices without a deal
        elif target == "draft" and negotiating:
            deal = negotiating[k % len(negotiating)]
        cp = deal.counterparty if deal else companies[(k * 7) % len(companies)]
        _invoice(demo, k, target, cp, deal)
        counts[target] = counts.get(target, 0) + 1
    # An advance payment that no invoice has taken yet: shows up as an overpayment.
    cp = companies[3]
    sales.payment_record(user=cp.responsible, data={
        "counterparty": cp, "date": demo.today - dt.timedelta(days=2), "amount": Decimal("150000.00"),
        "currency": "RUB", "number": "п/п 812", "comment": "Аванс по договору"}, auto_allocate=False)
    return counts


def _invoice_dates(demo: DemoState, target: str) -> tuple[dt.date, dt.date]:
    """The invoice's date and due date: overdue ones weeks old and past due, new ones from this week."""
    rnd = demo.rnd
    if target == "overdue":
        date = demo.days_ago(20, 50)
        return date, date + dt.timedelta(days=rnd.choice([5, 10, 14]))
    if target in ("issued", "draft"):
        date = demo.days_ago(0, 6)
        return date, date + dt.timedelta(days=rnd.choice([10, 14, 30]))
    date = demo.days_ago(8, 58)
    return date, date + dt.timedelta(days=rnd.choice([5, 10, 14]))


def _invoice(demo: DemoState, k: int, target: str, cp: Counterparty, deal: Deal | None) -> None:
    """The `k`-th invoice, for `deal`'s lines (or a few products), brought to its `target` status."""
    ref, rnd = demo.ref, demo.rnd
    italian = cp.country == "IT"
    own = ref.own_it if italian else ref.own_ru
    price_type = cp.price_type or ref.price_types["wholesale"]
    date, due = _invoice_dates(demo, target)
    if deal is not None and deal.lines.exists():
        lines = [sales.LineInput(product=ln.product, description=ln.description, quantity=ln.quantity,
                                 price=ln.price, discount_percent=ln.discount_percent, vat_rate=ln.vat_rate)
                 for ln in deal.lines.all()]
    else:
        lines = _lines(demo, cp, count=rnd.randint(1, 3))
    user = cp.responsible
    invoice = sales.invoice_create(user=user, data={
        "own_company": own, "counterparty": cp, "deal": deal, "date": date, "due_date": due,
        "currency": price_type.currency, "vat_included": price_type.vat_included,
        "comment": "" if rnd.random() < 0.7 else "Отгрузка после оплаты" if not italian else
        "Consegna franco cantiere"}, lines=lines)
    demo.backdate.append((Invoice, invoice.pk, demo.at(date)))
    if target != "draft":
        invoice = sales.invoice_issue(user=user, invoice=invoice)
    if target == "cancelled":
        sales.invoice_cancel(user=user, invoice=invoice, reason="Il cliente ha rinunciato all'ordine" if italian
                             else "Клиент отказался от заказа")
    elif target in ("paid", "partly_paid"):
        _settle(demo, invoice, target, date, k)


def _settle(demo: DemoState, invoice: Invoice, target: str, date: dt.date, k: int) -> None:
    """Pay the invoice in full (some in two instalments) or a share of it, days after its date."""
    rnd = demo.rnd
    pay_day = min(demo.today, date + dt.timedelta(days=rnd.randint(1, 12)))
    share = Decimal("1") if target == "paid" else Decimal(rnd.choice(["0.3", "0.5", "0.7"]))
    if target == "paid" and rnd.random() < 0.3:
        # Paid in two instalments.
        first = (invoice.total * Decimal("0.5")).quantize(Decimal("0.01"))
        _pay(invoice, first, pay_day, k)
        _pay(invoice, invoice.total - first, min(demo.today, pay_day + dt.timedelta(days=4)), k + 100)
    else:
        _pay(invoice, (invoice.total * share).quantize(Decimal("0.01")), pay_day, k)


def _pay(invoice: Invoice, amount: Decimal, day: dt.date, k: int) -> None:
    """A payment by the invoice's client, allocated to the invoice."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    sales.payment_record(user=invoice.counterparty.responsible, data={
        "counterparty": invoice.counterparty, "date": day, "amount": amount, "currency": invoice.currency,
        "number": f"{'п/п ' if invoice.currency == 'RUB' else 'BON-'}{300 + k}",
        "comment": f"Оплата по счёту {invoice.number}" if invoice.currency == "RUB"
        else f"Pagamento fattura {invoice.number}"}, allocations=[(invoice, amount)])
