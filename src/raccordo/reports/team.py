"""The team dashboard: each person a head leads, with what needs her attention (issue #17, findings top 5).

Per person of `access.policy.team_members` (her department and the departments below; everyone for an
administrator): the open pipeline (count and amount per currency), overdue tasks, open deals with no next
step planned, and overdue invoices (count and amount owed per currency). Every figure is one grouped
aggregate over a `visible(...)` queryset, so the page costs the same few queries for 3 people or 300, and a
head never counts a record she may not see (a VIP client of another department, say).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Sum
from django.utils import timezone

from raccordo.access.policy import oversees_team, team_members, visible
from raccordo.activities.filters import OPEN_TASK_STATUSES
from raccordo.activities.models import Task
from raccordo.sales.filters import OPEN_INVOICE_STATUSES, deals_open, deals_without_next_step
from raccordo.sales.models import Deal, Invoice

MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass
class TeamRow:
    """One person's figures on the team dashboard; money is a {currency: amount} map, never summed across."""

    person: object
    open_deals: int = 0
    pipeline: dict[str, Decimal] = field(default_factory=dict)
    overdue_tasks: int = 0
    no_next_step: int = 0
    overdue_invoices: int = 0
    overdue_amount: dict[str, Decimal] = field(default_factory=dict)

    @property
    def quiet(self) -> bool:
        """Nothing open and nothing late: such rows go last."""
        return not (self.open_deals or self.overdue_tasks or self.overdue_invoices)


def _add(target: dict[str, Decimal], currency: str, amount) -> None:
    if amount:
        target[currency] = target.get(currency, Decimal("0")) + amount


def team_overview(*, user) -> list[TeamRow]:
    """The team dashboard's rows for `user`: empty unless the user leads other people's work (a head, an admin)."""
    if not oversees_team(user):
        return []
    people = list(team_members(user).order_by("last_name", "first_name", "username"))
    rows = {p.pk: TeamRow(person=p) for p in people}
    ids = list(rows)
    deals = visible(Deal.objects.filter(manager__in=ids), user, "view").order_by()
    for r in deals_open(deals).values("manager_id", "currency").annotate(n=Count("pk"), total=Sum("amount")):
        rows[r["manager_id"]].open_deals += r["n"]
        _add(rows[r["manager_id"]].pipeline, r["currency"], r["total"])
    for bare in deals_without_next_step(deals).values("manager_id").annotate(n=Count("pk")):
        rows[bare["manager_id"]].no_next_step = bare["n"]
    tasks = visible(Task.objects.filter(assignee__in=ids, status__in=OPEN_TASK_STATUSES,
                                        due_at__lt=timezone.now()), user).order_by()
    for late in tasks.values("assignee_id").annotate(n=Count("pk")):
        rows[late["assignee_id"]].overdue_tasks = late["n"]
    invoices = visible(Invoice.objects.filter(responsible__in=ids, status__in=OPEN_INVOICE_STATUSES,
                                              due_date__lt=timezone.localdate()), user).order_by()
    owed = Sum(F("total") - F("paid_amount"), output_field=MONEY)
    for unpaid in invoices.values("responsible_id", "currency").annotate(n=Count("pk"), owed=owed):
        rows[unpaid["responsible_id"]].overdue_invoices += unpaid["n"]
        _add(rows[unpaid["responsible_id"]].overdue_amount, unpaid["currency"], unpaid["owed"])
    # The people with something open or late first, in name order; the quiet ones after them.
    return sorted(rows.values(), key=lambda row: row.quiet)
