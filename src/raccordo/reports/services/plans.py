"""Sales plans: set by a manager's head or an administrator (access.policy.reports), journaled."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from raccordo.access.policy import require_plan_for
from raccordo.access.records import record_create, record_delete, record_update

from ..models import SalesPlan

PLAN_FIELDS = ("manager", "period_kind", "period_start", "amount", "currency", "deals")


@transaction.atomic
def plan_set(*, user, manager, kind: str, start: dt.date, amount: Decimal, currency: str,
             deals: int | None = None) -> SalesPlan:
    """Set `manager`'s plan for the month or quarter starting on `start`: the one plan of that period is
    created or changed (never a second one)."""
    require_plan_for(user, manager)
    data = {"amount": amount, "currency": currency, "deals": deals}
    plan = SalesPlan.objects.select_for_update().filter(manager=manager, period_kind=kind, period_start=start).first()
    if plan is None:
        return record_create(SalesPlan, user=user, fields=PLAN_FIELDS, data={
            "manager": manager, "period_kind": kind, "period_start": start, **data})
    return record_update(plan, user=user, data=data, fields=PLAN_FIELDS)


@transaction.atomic
def plan_delete(*, user, plan: SalesPlan) -> None:
    """Remove a plan (the period then has none for that manager)."""
    require_plan_for(user, plan.manager)
    record_delete(plan, user=user)
