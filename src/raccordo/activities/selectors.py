"""Read queries for interactions, tasks, reminders and complaints, through the access policy."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.utils import timezone

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound

from .filters import ComplaintFilter, TaskFilter, tasks_of, tasks_open
from .models import Complaint, Interaction, InteractionKind, Reminder, Task, TaskStatus


def interaction_list(*, user, counterparty=None) -> QuerySet[Interaction]:
    """Interactions `user` may see, newest first."""
    qs = visible(Interaction.objects.select_related("counterparty", "contact", "author"), user)
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    return qs.order_by("-occurred_at")


def task_list(*, user, search: str = "", filters=None, mine: bool = False, open_only: bool = False) -> QuerySet[Task]:
    """Tasks `user` may see, narrowed by `filters` (activities.filters.TaskFilter) and searched by title or
    counterparty; `mine` and `open_only` are that filter set's "mine" chip and "active" status, for callers in code.
    """
    qs = visible(Task.objects.select_related("assignee", "counterparty", "deal"), user)
    # The filter set's own definitions, without building its form: the sidebar's badge asks on every page.
    if mine:
        qs = tasks_of(qs, user)
    if open_only:
        qs = tasks_open(qs)
    if filters is not None:
        qs = TaskFilter(filters, qs, user=user).qs
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(counterparty__name__icontains=search))
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
    if not getattr(user, "is_authenticated", False):
        return Reminder.objects.none()
    return visible(Reminder.objects.filter(user=user, is_done=False, start_at__lte=until), user).order_by("start_at")


def complaint_list(*, user, search: str = "", filters=None) -> QuerySet[Complaint]:
    """Complaints `user` may see, narrowed by `filters` (activities.filters.ComplaintFilter), searched by subject
    or counterparty."""
    qs = visible(Complaint.objects.select_related("counterparty", "responsible"), user)
    if filters is not None:
        qs = ComplaintFilter(filters, qs, user=user).qs
    if search:
        qs = qs.filter(Q(subject__icontains=search) | Q(counterparty__name__icontains=search))
    return qs


def reminders_for(*, user, target) -> QuerySet[Reminder]:
    """Reminders attached to a record that `user` may see, open ones first."""
    return visible(Reminder.objects.filter(target_type=ContentType.objects.get_for_model(type(target)),
                                           target_id=target.pk).select_related("user"), user).order_by(
        "is_done", "start_at")


def reminder_get(*, user, pk) -> Reminder:
    """One reminder visible to `user`, or NotFound."""
    obj = visible(Reminder.objects.all(), user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Reminder not found.")
    return obj


def complaint_get(*, user, pk) -> Complaint:
    """One complaint visible to `user`, or NotFound."""
    obj = complaint_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Complaint not found.")
    return obj


def complaints_overdue(*, user) -> QuerySet[Complaint]:
    """Open complaints past their deadline that `user` may see (the head's dashboard)."""
    return complaint_list(user=user, filters={"state": "overdue"}).order_by("deadline")


def calendar_entries(*, user, start, end, mine: bool = True) -> list[dict]:
    """Tasks (by due time), meetings (interactions of kind meeting) and reminders between two datetimes."""
    tasks = task_list(user=user, mine=mine).filter(due_at__gte=start, due_at__lt=end)
    meetings = interaction_list(user=user).filter(kind=InteractionKind.MEETING, occurred_at__gte=start,
                                                  occurred_at__lt=end)
    if mine:
        meetings = meetings.filter(author=user)
    reminders = visible(Reminder.objects.filter(start_at__gte=start, start_at__lt=end)
                        .select_related("counterparty"), user)
    if mine:
        reminders = reminders.filter(user=user)
    entries: list[dict] = [{"kind": "task", "at": t.due_at, "title": t.title, "obj": t, "done": t.status == TaskStatus.DONE}
               for t in tasks]
    entries += [{"kind": "meeting", "at": m.occurred_at, "title": m.subject, "obj": m, "done": False}
                for m in meetings]
    entries += [{"kind": "reminder", "at": r.start_at, "title": r.text, "obj": r, "done": r.is_done}
                for r in reminders]
    return sorted(entries, key=lambda e: e["at"])
