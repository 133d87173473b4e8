"""Read queries for deals, invoices and payments, through the access policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from raccordo.access.policy import visible
from raccordo.catalog.selectors import product_available
from raccordo.core.errors import NotFound
from raccordo.core.filters import CHIP_ON

from .filters import (
    OPEN_INVOICE_STATUSES,
    DealFilter,
    InvoiceFilter,
    PaymentFilter,
    deal_search,
    deals_open,
    invoice_search,
)
from .models import Deal, Funnel, Invoice, InvoiceStatus, Payment, PaymentAllocation, Stage


def funnel_list(*, user) -> QuerySet[Funnel]:
    """The funnels `user` may see."""
    return visible(Funnel.objects.all(), user)


def default_funnel(*, user=None) -> Funnel | None:
    """The funnel new deals go to unless one is chosen: the one marked default, else the first in order.

    With `user`, only among the funnels they may see; without (a service, an import), among all.
    """
    qs = Funnel.objects.all() if user is None else funnel_list(user=user)
    return qs.order_by("-is_default", "order", "name").first()


def stage_list(*, user) -> QuerySet[Stage]:
    """The stages `user` may see, funnel by funnel, in their order."""
    return visible(Stage.objects.select_related("funnel"), user).order_by("funnel__order", "funnel__name", "order")


def deal_list(*, user, search: str = "", filters=None) -> QuerySet[Deal]:
    """Deals `user` may see, searched by title or counterparty and narrowed by `filters` (sales.filters.DealFilter)."""
    qs = visible(Deal.objects.select_related("counterparty", "stage", "funnel", "manager"), user)
    if filters is not None:
        qs = DealFilter(filters, qs, user=user).qs
    return deal_search(qs, search) if search else qs


def deal_get(*, user, pk) -> Deal:
    """One deal visible to `user`, or NotFound."""
    obj = deal_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Deal not found.")
    return obj


def invoice_list(*, user, search: str = "", filters=None) -> QuerySet[Invoice]:
    """Invoices `user` may see, searched by number or counterparty, narrowed by `filters` (InvoiceFilter)."""
    qs = visible(Invoice.objects.select_related("counterparty", "own_company", "deal"), user)
    if filters is not None:
        qs = InvoiceFilter(filters, qs, user=user).qs
    return invoice_search(qs, search) if search else qs


def invoice_get(*, user, pk) -> Invoice:
    """One invoice visible to `user`, with its lines, or NotFound."""
    obj = invoice_list(user=user).prefetch_related("lines__product", "lines__unit").filter(pk=pk).first()
    if obj is None:
        raise NotFound("Invoice not found.")
    return obj


def _owed_per_currency(qs: QuerySet[Invoice], counterparty, deal) -> dict[str, Decimal]:
    """What the invoices of `qs` still owe per currency (of a counterparty or a deal), summed in the database."""
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    if deal is not None:
        qs = qs.filter(deal=deal)
    rows = qs.values("currency").annotate(owed=Sum(F("total") - F("paid_amount"))).order_by("currency")
    return {row["currency"]: row["owed"] for row in rows if row["owed"]}


def receivable_total(*, user, counterparty=None, deal=None) -> dict[str, Decimal]:
    """Outstanding amounts of issued, unpaid invoices per currency (of a counterparty or a deal), in the database."""
    return _owed_per_currency(invoice_list(user=user).filter(status__in=OPEN_INVOICE_STATUSES), counterparty, deal)


def overdue_total(*, user, counterparty=None, deal=None) -> dict[str, Decimal]:
    """Outstanding amounts past their due date, per currency (of a counterparty or a deal)."""
    return _owed_per_currency(invoice_list(user=user, filters={"overdue": CHIP_ON}), counterparty, deal)


def payment_list(*, user, filters=None) -> QuerySet[Payment]:
    """Payments `user` may see, narrowed by `filters` (sales.filters.PaymentFilter)."""
    qs = visible(Payment.objects.select_related("counterparty"), user)
    return PaymentFilter(filters, qs, user=user).qs if filters is not None else qs


def payment_get(*, user, pk) -> Payment:
    """One payment `user` may see (NotFound otherwise, whether it exists or not)."""
    obj = payment_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Payment not found.")
    return obj


def deal_board(*, user, funnel, manager=None, date_from=None, date_to=None, tag=None,
               show_closed: bool = True) -> QuerySet[Deal]:
    """The deals of one funnel for its board, narrowed by manager, creation period and counterparty tag."""
    qs = deal_list(user=user).filter(funnel=funnel)
    if manager is not None:
        qs = qs.filter(manager=manager)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    if tag is not None:
        qs = qs.filter(counterparty__tags=tag)
    if not show_closed:
        qs = deals_open(qs)
    return qs.order_by("-created_at")


def deal_stage_totals(deals: QuerySet[Deal]) -> dict:
    """{stage_id: {"count": n, "amounts": {currency: sum}}} computed in the database on the narrowed deals."""
    totals: dict = {}
    for row in deals.order_by().values("stage_id", "currency").annotate(n=Count("pk"), amount=Sum("amount")):
        entry = totals.setdefault(row["stage_id"], {"count": 0, "amounts": {}})
        entry["count"] += row["n"]
        entry["amounts"][row["currency"]] = row["amount"] or Decimal("0")
    return totals


AGEING_BUCKETS = ("not_due", "d0_30", "d31_60", "d61_90", "d90_plus")


def receivables_ageing(*, user, counterparty=None, responsible=None) -> tuple[list[dict], dict]:
    """What each counterparty owes per currency, split by days past due (not due, 0-30, 31-60, 61-90, 90+).

    Computed with database aggregates on the invoices the user may see. Returns (rows, totals per currency).
    """
    today = timezone.localdate()
    qs = invoice_list(user=user).filter(status__in=OPEN_INVOICE_STATUSES)
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    if responsible is not None:
        qs = qs.filter(responsible=responsible)
    owed = F("total") - F("paid_amount")
    money = DecimalField(max_digits=18, decimal_places=2)

    def bucket(condition: Q) -> Coalesce:
        return Coalesce(Sum(Case(When(condition, then=owed), output_field=money)), Value(Decimal("0")),
                        output_field=money)

    day = dt.timedelta
    annotations = {
        "not_due": bucket(Q(due_date__isnull=True) | Q(due_date__gte=today)),
        "d0_30": bucket(Q(due_date__lt=today, due_date__gte=today - day(days=30))),
        "d31_60": bucket(Q(due_date__lt=today - day(days=30), due_date__gte=today - day(days=60))),
        "d61_90": bucket(Q(due_date__lt=today - day(days=60), due_date__gte=today - day(days=90))),
        "d90_plus": bucket(Q(due_date__lt=today - day(days=90))),
        "overdue": bucket(Q(due_date__lt=today)),
        "owed": Coalesce(Sum(owed, output_field=money), Value(Decimal("0")), output_field=money),
        "invoices": Count("pk"),
        "oldest_due": Min("due_date"),
    }
    rows: list = list(qs.order_by().values("counterparty_id", "counterparty__name", "currency")
                .annotate(**annotations).order_by("-owed", "counterparty__name"))  # type: ignore[misc]  # django-stubs cannot see annotations passed as **kwargs
    totals: dict = {}
    for row in qs.order_by().values("currency").annotate(**annotations).order_by("currency"):
        totals[row["currency"]] = row
    return rows, totals


def overpayment_total(*, user, counterparty=None) -> dict[str, Decimal]:
    """Money received but not allocated to any invoice (overpayments), per currency; never lost."""
    allocated = (PaymentAllocation.objects.filter(payment=OuterRef("pk")).order_by().values("payment")
                 .annotate(s=Sum("amount")).values("s"))
    money = DecimalField(max_digits=18, decimal_places=2)
    qs = payment_list(user=user).filter(reversed_at__isnull=True)   # a reversed payment brought nothing
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    rows = (qs.annotate(allocated=Coalesce(Subquery(allocated, output_field=money), Value(Decimal("0")),
                                           output_field=money))
            .order_by().values("currency").annotate(over=Sum(F("amount") - F("allocated"), output_field=money))
            .order_by("currency"))
    return {row["currency"]: row["over"] for row in rows if row["over"]}


def invoice_stock_shortages(*, invoice: Invoice) -> list[dict]:
    """Lines asking for more of a product than is available (quantity - reserved, all warehouses)."""
    wanted: dict = {}
    names: dict = {}
    for line in invoice.lines.select_related("product").filter(product__isnull=False, product__is_service=False):
        wanted[line.product_id] = wanted.get(line.product_id, Decimal("0")) + line.quantity
        names[line.product_id] = line.product.name  # type: ignore[union-attr]  # the lines are filtered on product__isnull=False
    available = product_available(product_ids=wanted)
    return [{"product_id": pid, "product": names[pid], "wanted": qty, "available": available.get(pid, Decimal("0"))}
            for pid, qty in wanted.items() if qty > available.get(pid, Decimal("0"))]


# Invoices that cannot be e-mailed: a draft has no number yet, a cancelled one is void (what invoice_send refuses).
UNSENDABLE_INVOICE_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)


def invoice_sendable(invoice: Invoice) -> bool:
    """Whether `invoice` may be e-mailed (the rule invoice_send enforces; the send panel shows its form by it)."""
    return invoice.status not in UNSENDABLE_INVOICE_STATUSES


def deal_removal(*, deal: Deal) -> dict:
    """What deleting a deal means, for the confirmation: its lines go with it; its tasks and calls stay,
    without the link; invoices keep it (a deal with invoices is not deleted). Counted on the deal's own rows:
    whoever may delete the deal reaches everything hanging off it. Only non-zero counts are listed."""
    counts = {"lines": deal.lines.count(), "tasks": deal.tasks.count(), "interactions": deal.interactions.count(),
              "invoices": deal.invoices.count()}
    return {k: v for k, v in counts.items() if v}
