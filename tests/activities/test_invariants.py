"""The activities services defend their own rules: what they set themselves (a task's completion time,
a reminder's target and e-mail stamp) and what no model has are refused, named, when a caller sends them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from raccordo.access.records import FieldNotAllowed
from raccordo.activities.models import TaskStatus
from raccordo.activities.services import (
    complaint_register,
    interaction_log,
    reminder_create,
    reminder_update,
    task_create,
    task_update,
)
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


def test_a_task_is_completed_by_its_status_not_by_a_completion_time(manager):
    cp = CounterpartyFactory(responsible=manager)
    with pytest.raises(FieldNotAllowed) as refused:
        task_create(user=manager, data={"title": "Call", "counterparty": cp, "completed_at": timezone.now()})
    assert refused.value.extra["field"] == "completed_at"
    task = task_create(user=manager, data={"title": "Call", "counterparty": cp})
    with pytest.raises(FieldNotAllowed):
        task_update(user=manager, task=task, data={"completed_at": timezone.now()})
    task = task_update(user=manager, task=task, data={"status": TaskStatus.DONE})
    assert task.completed_at is not None


def test_a_reminder_is_attached_through_its_target_and_stamped_by_the_digest(manager):
    cp = CounterpartyFactory(responsible=manager)
    with pytest.raises(FieldNotAllowed):
        reminder_create(user=manager, data={"subject": "Ring", "start_at": timezone.now(), "target_id": cp.pk})
    reminder = reminder_create(user=manager, target=cp, data={"subject": "Ring", "start_at": timezone.now()})
    assert reminder.counterparty == cp and reminder.target_id == cp.pk
    with pytest.raises(FieldNotAllowed):
        reminder_update(user=manager, reminder=reminder, data={"emailed_at": timezone.now()})


def test_a_field_no_model_has_is_refused_by_name(manager):
    cp = CounterpartyFactory(responsible=manager)
    with pytest.raises(FieldNotAllowed) as refused:
        interaction_log(user=manager, data={"kind": "call", "subject": "Hi", "counterparty": cp, "mood": "good"})
    assert "mood" in str(refused.value)
    with pytest.raises(FieldNotAllowed):
        complaint_register(user=manager, data={"counterparty": cp, "subject": "Late", "severity": 3})
