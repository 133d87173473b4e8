"""Sales plans and plan vs actual, through the policy.

Actual revenue is the money received: payments (not reversed) dated in the plan's period from the clients the
manager is responsible for, in the plan's currency (a payment has no manager of its own; the KPI report counts
it the same way). Actual deals are the deals the manager won in the period. Every figure is one grouped
query per plan period over querysets narrowed by `visible` for each of `viewers` (the person looking; for a
scheduled report also the person it is computed as).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from raccordo.access.policy import plan_managers, visible
from raccordo.core.errors import NotFound
from raccordo.sales.models import Deal, Payment, StageKind

from ..models import SalesPlan
from ..periods import day_start, plan_period_end, plan_period_label

ZERO = Decimal("0")
MONEY = DecimalField(max_digits=18, decimal_places=2)


def narrowed(queryset: QuerySet, viewers) -> QuerySet:
    """`queryset` narrowed to what every one of `viewers` may see."""
    for viewer in viewers:
        queryset = visible(queryset, viewer)
    return queryset


@dataclass
class PlanRow:
    """One manager's plan and what was done in its period; money in the plan's currency, received as a map
    of every currency when there is no plan."""

    manager: object
    kind: str
    start: dt.date
    plan: SalesPlan | None = None
    received: dict[str, Decimal] = field(default_factory=dict)
    won: int = 0

    @property
    def period_label(self) -> str:
        return plan_period_label(self.kind, self.start)

    @property
    def actual(self) -> Decimal:
        """Revenue in the plan's currency (0 without a plan: there is nothing to compare with)."""
        return self.received.get(self.plan.currency, ZERO) if self.plan else ZERO

    @property
    def percent(self) -> Decimal | None:
        """How much of the revenue plan is done, in per cent (None for no plan or a plan of zero)."""
        if self.plan is None or not self.plan.amount:
            return None
        return (self.actual * 100 / self.plan.amount).quantize(Decimal("0.1"))

    @property
    def deals_percent(self) -> Decimal | None:
        if self.plan is None or not self.plan.deals:
            return None
        return (Decimal(self.won) * 100 / self.plan.deals).quantize(Decimal("0.1"))


def plan_list(*, user, viewers=None) -> QuerySet[SalesPlan]:
    """The sales plans `user` may see (their own, their team's, all for administrators)."""
    return narrowed(SalesPlan.objects.select_related("manager"), viewers or [user])


def plan_get(*, user, pk) -> SalesPlan:
    plan = plan_list(user=user).filter(pk=pk).first()
    if plan is None:
        raise NotFound("No such sales plan.", code="reports.plan_not_found")
    return plan


def actuals(*, viewers, kind: str, start: dt.date, until: dt.date | None = None,
            managers=None) -> tuple[dict, dict]:
    """({manager id: {currency: received}}, {manager id: deals won}) in the plan period starting on `start`
    (up to `until` when given), as `viewers` may see them; limited to `managers` (ids) when given."""
    end = plan_period_end(kind, start)
    if until is not None:
        end = min(end, until)
    payments = narrowed(Payment.objects.filter(date__gte=start, date__lte=end, reversed_at__isnull=True), viewers)
    deals = narrowed(Deal.objects.filter(stage__kind=StageKind.WON, closed_at__gte=day_start(start),
                                         closed_at__lt=day_start(end + dt.timedelta(days=1))), viewers)
    if managers is not None:
        payments = payments.filter(counterparty__responsible__in=managers)
        deals = deals.filter(manager__in=managers)
    received: dict = defaultdict(dict)
    for row in (payments.order_by().values(person=F("counterparty__responsible"), cur=F("currency"))
                .annotate(total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY))):
        received[row["person"]][row["cur"]] = Decimal(str(row["total"])).quantize(Decimal("0.01"))
    won = {row["manager"]: row["n"] for row in deals.order_by().values("manager").annotate(n=Count("pk"))}
    return dict(received), won


def plan_rows(*, viewers, plans, until: dt.date | None = None) -> list[PlanRow]:
    """Plan vs actual for each of `plans` (already narrowed), as `viewers` may see the actual figures."""
    by_period: dict = defaultdict(list)
    for plan in plans:
        by_period[(plan.period_kind, plan.period_start)].append(plan)
    rows = []
    for (kind, start), group in sorted(by_period.items(), key=lambda item: item[0][1]):
        received, won = actuals(viewers=viewers, kind=kind, start=start, until=until,
                                managers=[p.manager_id for p in group])
        for plan in sorted(group, key=lambda p: str(p.manager).lower()):
            rows.append(PlanRow(manager=plan.manager, kind=kind, start=start, plan=plan,
                                received=received.get(plan.manager_id, {}), won=won.get(plan.manager_id, 0)))
    return rows


def plan_table(*, user, kind: str, start: dt.date) -> list[PlanRow]:
    """The plans page for one period: a row for each person whose plan `user` sets (with or without a plan
    yet), and for every other plan of the period `user` may see; actual figures as `user` may see them."""
    plans = {p.manager_id: p for p in plan_list(user=user).filter(period_kind=kind, period_start=start)}
    people = {p.pk: p for p in plan_managers(user).order_by("last_name", "first_name", "username")}
    for plan in plans.values():
        people.setdefault(plan.manager_id, plan.manager)
    received, won = actuals(viewers=[user], kind=kind, start=start, managers=list(people))
    rows = [PlanRow(manager=person, kind=kind, start=start, plan=plans.get(pk), received=received.get(pk, {}),
                    won=won.get(pk, 0)) for pk, person in people.items()]
    rows.sort(key=lambda r: (r.plan is None, str(r.manager).lower()))
    return rows
