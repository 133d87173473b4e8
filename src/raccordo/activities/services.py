"""Write services for interactions, tasks, reminders and complaints."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from raccordo.core.services import record_create, record_update

from .models import Complaint, Interaction, Reminder, Task, TaskStatus


def interaction_log(*, user, data: dict[str, Any]) -> Interaction:
    """Log a call, e-mail, meeting or note; the author is the user who logs it."""
    data = dict(data)
    data.setdefault("occurred_at", timezone.now())
    if user is not None:
        data.setdefault("author", user)
    return record_create(Interaction, user=user, data=data)


def task_create(*, user, data: dict[str, Any]) -> Task:
    """Create a task; it is assigned to its author unless an assignee is given."""
    data = dict(data)
    if user is not None:
        data.setdefault("author", user)
        if not data.get("assignee"):
            data["assignee"] = user
    return record_create(Task, user=user, data=data)


def task_update(*, user, task: Task, data: dict[str, Any]) -> Task:
    """Change a task; marking it done stamps the completion time."""
    data = dict(data)
    if data.get("status") == TaskStatus.DONE and task.status != TaskStatus.DONE:
        data["completed_at"] = timezone.now()
    elif data.get("status") not in (None, TaskStatus.DONE):
        data["completed_at"] = None
    return record_update(task, user=user, data=data)


def reminder_create(*, user, data: dict[str, Any], target=None) -> Reminder:
    """Create a reminder, optionally attached to any record (its counterparty is taken from it)."""
    data = dict(data)
    if user is not None:
        data.setdefault("user", user)
    if target is not None:
        data["target_type"] = ContentType.objects.get_for_model(type(target))
        data["target_id"] = target.pk
        if "counterparty" not in data:
            data["counterparty"] = getattr(target, "counterparty", None)
    return record_create(Reminder, user=user, data=data)


def reminder_done(*, user, reminder: Reminder) -> Reminder:
    """Mark a reminder as done."""
    return record_update(reminder, user=user, data={"is_done": True})


def complaint_register(*, user, data: dict[str, Any]) -> Complaint:
    """Register a complaint; the registering user is responsible unless someone else is named."""
    data = dict(data)
    data.setdefault("received_at", timezone.now())
    if user is not None and not data.get("responsible"):
        data["responsible"] = user
    return record_create(Complaint, user=user, data=data)


def complaint_update(*, user, complaint: Complaint, data: dict[str, Any]) -> Complaint:
    """Move a complaint through its statuses, record the resolution."""
    return record_update(complaint, user=user, data=data)


def interaction_update(*, user, interaction: Interaction, data: dict[str, Any]) -> Interaction:
    """Correct a logged interaction (subject, details, outcome...); the author stays who logged it."""
    data = {k: v for k, v in data.items() if k != "author"}
    return record_update(interaction, user=user, data=data)


def reminder_update(*, user, reminder: Reminder, data: dict[str, Any]) -> Reminder:
    """Reschedule or reword a reminder."""
    return record_update(reminder, user=user, data=data)
