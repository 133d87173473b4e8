"""What accounting says about one counterparty, for the card's accounting panel (issue #16).

Every figure is read through `access.policy.visible`, so a manager sees only what the records they may
see add up to. Where a record came from is read from the change journal: a record whose creation was
journaled by an EnterpriseData node's run came from 1C (the run writes under that node's code), anything
else was made in Raccordo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Sum

from raccordo.access.policy import visible
from raccordo.core.models import ChangeJournal, Operation
from raccordo.exchange.models import ExchangeNode, NodeKind
from raccordo.sales.models import (
    AccountingShipment,
    Contract,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
)

ZERO = Decimal("0")
BOOKED_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID, InvoiceStatus.PAID)


@dataclass
class Owed:
    """One currency's account: invoiced, paid (of which from 1C), still owed."""

    currency: str
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    paid_from_1c: Decimal = ZERO

    @property
    def owed(self) -> Decimal:
        return self.invoiced - self.paid


@dataclass
class AccountingCard:
    """The accounting panel of a counterparty card; `configured` False: no EnterpriseData node is set up."""

    configured: bool
    contracts: list[tuple[Contract, bool]] = field(default_factory=list)   # (contract, came from 1C)
    owed: list[Owed] = field(default_factory=list)
    last_payment: Payment | None = None
    last_payment_from_1c: bool = False
    shipped: list[Invoice] = field(default_factory=list)                     # invoices 1C reported shipped
    not_invoiced: list[AccountingShipment] = field(default_factory=list)     # 1C's sales naming no invoice


def accounting_node_codes() -> list[str]:
    """The codes of the EnterpriseData nodes set up (active, with their 1C codes); empty: none."""
    return list(ExchangeNode.objects.filter(kind=NodeKind.ENTERPRISEDATA, is_active=True,
                                            enterprisedata__isnull=False).values_list("code", flat=True))


def from_accounting(model, ids, codes) -> set:
    """The ids among `ids` (a list or a query of ids) whose creation a run of one of the nodes `codes` journaled."""
    if not codes or (isinstance(ids, list) and not ids):
        return set()
    content_type = ContentType.objects.get_for_model(model)
    return set(ChangeJournal.objects.filter(content_type=content_type, object_id__in=ids,
                                            operation=Operation.CREATE, node__in=codes)
               .values_list("object_id", flat=True))


def _owed(user, counterparty, codes) -> list[Owed]:
    invoices = visible(Invoice.objects.filter(counterparty=counterparty, status__in=BOOKED_STATUSES), user)
    rows = {row["currency"]: Owed(row["currency"], row["invoiced"] or ZERO, row["paid"] or ZERO)
            for row in invoices.values("currency").annotate(invoiced=Sum("total"), paid=Sum("paid_amount"))
            .order_by("currency")}
    payments = visible(Payment.objects.filter(counterparty=counterparty), user)
    from_1c = from_accounting(Payment, payments.values_list("pk", flat=True), codes)
    shares = (visible(PaymentAllocation.objects.filter(payment__in=from_1c, invoice__in=invoices), user)
              .values(currency=F("invoice__currency")).annotate(amount=Sum("amount")).order_by("currency"))
    for row in shares:
        if row["currency"] in rows:
            rows[row["currency"]].paid_from_1c = row["amount"] or ZERO
    return list(rows.values())


def accounting_card(*, user, counterparty) -> AccountingCard:
    """What accounting says about `counterparty`, as far as `user` may see it (the caller checked the card)."""
    codes = accounting_node_codes()
    if not codes:
        return AccountingCard(configured=False)
    contracts = list(visible(Contract.objects.filter(counterparty=counterparty), user).order_by("-date", "number"))
    contracts_1c = from_accounting(Contract, [c.pk for c in contracts], codes)
    last = visible(Payment.objects.filter(counterparty=counterparty), user).order_by("-date", "-created_at").first()
    shipped = visible(Invoice.objects.filter(counterparty=counterparty).exclude(shipment_number=""), user)
    return AccountingCard(
        configured=True,
        contracts=[(c, c.pk in contracts_1c) for c in contracts],
        owed=_owed(user, counterparty, codes),
        last_payment=last,
        last_payment_from_1c=last is not None and bool(from_accounting(Payment, [last.pk], codes)),
        shipped=list(shipped.order_by("-shipped_on", "-number")[:20]),
        not_invoiced=list(visible(AccountingShipment.objects.filter(counterparty=counterparty), user)[:50]),
    )
