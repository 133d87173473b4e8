"""Read queries for interactions, tasks, reminders and complaints, through the access policy."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound

from .models import Complaint, Interaction, Reminder, Task, TaskStatus


def interaction_list(*, user, counterparty=None) -> QuerySet[Interaction]:
    """Interactions `user` may see, newest first."""
    qs = visible(Interaction.objects.select_related("counterparty", "contact", "author"), user)
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    return qs.order_by("-occurred_at")


def task_list(*, user, mine: bool = False, open_only: bool = False) -> QuerySet[Task]:
    """Tasks `user` may see; `mine` keeps those assigned to them."""
    qs = visible(Task.objects.select_related("assignee", "counterparty", "deal"), user)
    if mine:
        qs = qs.filter(assignee=user)
    if open_only:
        qs = qs.filter(status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS])
    return qs


def task_get(*, user, pk) -> Task:
    """One task visible to `user`, or NotFound."""
    obj = task_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Task not found.")
    return obj


def reminders_due(*, user, until=None) -> QuerySet[Reminder]:
    """The user's own reminders that are due and not done."""
    until = until or timezone.now()
    return visible(Reminder.objects.filter(user=user, is_done=False, start_at__lte=until), user).order_by("start_at")


def complaint_list(*, user) -> QuerySet[Complaint]:
    """Complaints `user` may see."""
    return visible(Complaint.objects.select_related("counterparty", "responsible"), user)
