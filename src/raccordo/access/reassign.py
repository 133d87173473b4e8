"""A head hands clients or deals of her team to another of her people, one or many at a time (issue #17).

Each record changes through `record_update`, so each change is checked and journaled like any edit: the head
must be allowed to change the record, and `policy.require_assignable` refuses a new person outside her reach and
a record taken from someone outside it (a client she reaches only by a share stays where it is). The whole
batch is one transaction: one refused record leaves every record as it was. `clients_reassign` (in
`access.services`) is the other hand-over: everything of a person who leaves.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.activities.filters import OPEN_TASK_STATUSES
from raccordo.activities.models import Task
from raccordo.core.errors import ApplicationError
from raccordo.parties.models import Counterparty
from raccordo.sales.filters import deals_open
from raccordo.sales.models import Deal

from .records import record_update


def _check_target(to_user) -> None:
    if to_user is None:
        raise ApplicationError(_("Choose who takes them over."), code="access.reassign.no_target")


@transaction.atomic
def counterparties_reassign(*, user, counterparties: Iterable[Counterparty], to_user,
                            with_open_work: bool = False) -> dict[str, int]:
    """Make `to_user` responsible for `counterparties`, each change journaled.

    With `with_open_work`, the client's open deals and open tasks that were its previous responsible's follow
    it to `to_user` (a colleague's deal or task on the same client stays with the colleague). Returns how many
    counterparties, deals and tasks changed hands.
    """
    _check_target(to_user)
    counts = {"counterparties": 0, "deals": 0, "tasks": 0}
    for counterparty in counterparties:
        previous = counterparty.responsible_id
        if previous == to_user.pk:
            continue
        record_update(counterparty, user=user, data={"responsible": to_user}, fields=("responsible",))
        counts["counterparties"] += 1
        if not with_open_work or previous is None:
            continue
        for deal in deals_open(Deal.objects.filter(counterparty=counterparty, manager_id=previous)):
            record_update(deal, user=user, data={"manager": to_user}, fields=("manager",))
            counts["deals"] += 1
        for task in Task.objects.filter(counterparty=counterparty, assignee_id=previous, status__in=OPEN_TASK_STATUSES):
            record_update(task, user=user, data={"assignee": to_user}, fields=("assignee",))
            counts["tasks"] += 1
    return counts


@transaction.atomic
def deals_reassign(*, user, deals: Iterable[Deal], to_user) -> int:
    """Make `to_user` the manager of `deals`, each change journaled; returns how many changed hands."""
    _check_target(to_user)
    changed = 0
    for deal in deals:
        if deal.manager_id != to_user.pk:
            record_update(deal, user=user, data={"manager": to_user}, fields=("manager",))
            changed += 1
    return changed
