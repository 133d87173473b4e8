"""The one filter definition of each activities list (tasks, interactions, complaints, reminders)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from raccordo.access.policy import team_members
from raccordo.core.filters import FilterSet, chip, chip_on, uuid_filter

from .models import Complaint, ComplaintStatus, Interaction, Reminder, Task, TaskStatus

OPEN_TASK_STATUSES = [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]
OPEN_COMPLAINT_STATUSES = [ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS]


def tasks_open(queryset):
    """Only the open tasks of `queryset` (open or in progress): the "active" status, and the selector's `open_only`."""
    return queryset.filter(status__in=OPEN_TASK_STATUSES)


def tasks_of(queryset, user):
    """Only the tasks of `queryset` assigned to `user`: the "mine" chip, and the selector's `mine`."""
    return queryset.filter(assignee=user)


class TaskFilter(FilterSet):
    """Tasks: by assignee, author, counterparty, deal, status (or "active", "all"), priority, due time; chips."""

    STATUSES = [("active", _("Open and in progress")), *TaskStatus.choices, ("all", _("All"))]

    assignee = uuid_filter("assignee")
    author = uuid_filter("author")
    counterparty = uuid_filter("counterparty")
    deal = uuid_filter("deal")
    status = django_filters.ChoiceFilter(choices=STATUSES, method="filter_status",
                                         label="A status, or active (open and in progress), or all")
    mine = chip("filter_mine", "1: only the tasks assigned to the caller")
    team = chip("filter_team", "1: only the tasks assigned to the caller's team (people the caller leads)")
    overdue = chip("filter_overdue", "1: only open tasks past their due time")

    class Meta:
        model = Task
        fields = {"priority": ["exact"], "due_at": ["gte", "lte"]}

    def filter_status(self, queryset, name, value):
        if value == "active":
            return tasks_open(queryset)
        return queryset if value == "all" else queryset.filter(status=value)

    def filter_mine(self, queryset, name, value):
        return tasks_of(queryset, self.caller) if chip_on(value) else queryset

    def filter_team(self, queryset, name, value):
        return queryset.filter(assignee__in=team_members(self.caller).values("pk")) if chip_on(value) else queryset

    def filter_overdue(self, queryset, name, value):
        if not chip_on(value):
            return queryset
        return queryset.filter(status__in=OPEN_TASK_STATUSES, due_at__lt=timezone.now())


class InteractionFilter(FilterSet):
    """Interactions: by counterparty, contact, deal, author, kind, direction and time."""

    counterparty = uuid_filter("counterparty")
    contact = uuid_filter("contact")
    deal = uuid_filter("deal")
    author = uuid_filter("author")

    class Meta:
        model = Interaction
        fields = {"kind": ["exact"], "direction": ["exact"], "occurred_at": ["gte", "lte"]}


class ComplaintFilter(FilterSet):
    """Complaints: by counterparty, responsible, status, deadline; the web list's state (open, overdue, all)."""

    STATES = [("open", _("Open")), ("overdue", _("Overdue")), ("all", _("All"))]

    counterparty = uuid_filter("counterparty")
    responsible = uuid_filter("responsible")
    state = django_filters.ChoiceFilter(choices=STATES, method="filter_state",
                                        label="open, overdue or all (the web list's selector)")

    class Meta:
        model = Complaint
        fields = {"status": ["exact"], "deadline": ["gte", "lte"]}

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_COMPLAINT_STATUSES)
        if value == "overdue":
            return queryset.filter(status__in=OPEN_COMPLAINT_STATUSES, deadline__lt=timezone.localdate())
        return queryset


class ReminderFilter(FilterSet):
    """Reminders: by counterparty, user, done, importance and start time."""

    counterparty = uuid_filter("counterparty")
    user = uuid_filter("user")

    class Meta:
        model = Reminder
        fields = {"is_done": ["exact"], "importance": ["exact"], "start_at": ["gte", "lte"]}
