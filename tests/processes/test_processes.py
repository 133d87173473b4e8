"""A business process end to end with the clock injected: each step's task goes to the right person with a
deadline in working days (weekends and holidays skipped); a step closes on its task or on the deal's stage;
a late step is escalated once to the head up the assignee's departments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from raccordo.activities.models import Reminder, Task, TaskStatus
from raccordo.activities.services import task_update
from raccordo.core.errors import PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.processes.calendar import add_working_days
from raccordo.processes.models import Holiday, ProcessInstance, ProcessStatus, ProcessTemplate, StepStatus
from raccordo.processes.services import automation_pass, holidays_set, process_start, template_save
from raccordo.sales.services import deal_move
from tests.factories import CounterpartyFactory, deal_for, reference_data

pytestmark = pytest.mark.django_db


def local(day: str, hour: int = 18) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=hour))


def test_working_days_skip_weekends_and_holidays():
    friday = dt.date(2026, 3, 6)
    assert add_working_days(friday, 0) == friday
    assert add_working_days(friday, 1) == dt.date(2026, 3, 9)
    assert add_working_days(friday, 1, [dt.date(2026, 3, 9)]) == dt.date(2026, 3, 10)
    assert add_working_days(dt.date(2026, 3, 7), 0) == dt.date(2026, 3, 9)   # Saturday: the next working day
    assert add_working_days(friday, 5) == dt.date(2026, 3, 13)


@pytest.fixture
def world(team):
    ref = reference_data()
    client = CounterpartyFactory(name="Romashka LLC", responsible=team["anna"])
    deal = deal_for(client, ref, title="First order", amount=5000)
    template = template_save(user=team["admin"], data={"code": "onboarding", "name": "Onboarding", "subject": "deal"},
                             steps=[
        {"title": "Call the client", "assignee_kind": "responsible", "days": 2, "closes_on": "task_done"},
        {"title": "Approve the discount", "assignee_kind": "role", "assignee_role": "head", "days": 1,
         "closes_on": "task_done"},
        {"title": "Negotiate the terms", "assignee_kind": "user", "assignee_user": team["marco"], "days": 1,
         "closes_on": "deal_stage", "close_stage": ref["stages"]["Negotiation"]},
    ])
    return {**team, "ref": ref, "client": client, "deal": deal, "template": template}


def test_a_process_runs_end_to_end(world, clock):
    anna, marco, head = world["anna"], world["marco"], world["head"]
    holidays_set(user=world["admin"], text="2026-03-09 A holiday on Monday")
    instance = process_start(user=anna, template=world["template"], target=world["deal"], now=clock.now)
    first, second, third = instance.steps.order_by("order")
    # Friday + 2 working days, Monday being a holiday: Wednesday at the end of the day.
    assert (first.status, first.assignee, first.due_at) == (StepStatus.OPEN, anna, local("2026-03-11"))
    assert first.task.assignee == anna and first.task.deal == world["deal"] and first.task.due_at == first.due_at
    assert second.status == third.status == StepStatus.PENDING and second.task is None

    clock.advance(days=1)
    task_update(user=anna, task=first.task, data={"status": TaskStatus.DONE})
    automation_pass(now=clock.now)                       # the worker reads the journal and moves the process on
    second.refresh_from_db()
    assert (second.status, second.assignee) == (StepStatus.OPEN, head)   # the role's holder in Anna's department
    assert second.due_at == local("2026-03-10")          # Saturday + 1 working day, Monday off: Tuesday

    task_update(user=head, task=second.task, data={"status": TaskStatus.DONE})
    automation_pass(now=clock.now)
    third.refresh_from_db()
    assert (third.status, third.assignee, third.task.assignee) == (StepStatus.OPEN, marco, marco)

    # Marco is late: his head is up the tree (Sales Rome has none, Sales has Giulia); escalated once.
    clock.now = third.due_at + dt.timedelta(hours=1)
    assert automation_pass(now=clock.now).escalated == 1
    third.refresh_from_db()
    assert third.escalated_to == head and third.escalated_at == clock.now
    assert third.escalation_task.assignee == head and third.escalation_task.priority == "high"
    assert "Negotiate the terms" in third.escalation_task.title
    assert Reminder.objects.filter(user=head, start_at=clock.now, is_done=False).count() == 1
    assert automation_pass(now=clock.advance(hours=5)).escalated == 0

    # The deal reaching "Negotiation" closes the last step (and its task), and the process is done.
    deal_move(user=anna, deal=world["deal"], stage=world["ref"]["stages"]["Negotiation"])
    automation_pass(now=clock.now)
    instance.refresh_from_db()
    third.refresh_from_db()
    assert instance.status == ProcessStatus.DONE and instance.finished_at == clock.now
    assert third.status == StepStatus.DONE and third.task.status == TaskStatus.DONE
    # Every step of the way is in the journal.
    assert ChangeJournal.objects.filter(object_id=instance.pk).count() >= 2


def test_steps_not_done_are_not_escalated_and_nobody_is_escalated_twice(world, clock):
    instance = process_start(user=world["anna"], template=world["template"], target=world["deal"], now=clock.now)
    step = instance.steps.get(order=0)
    assert automation_pass(now=step.due_at - dt.timedelta(minutes=1)).escalated == 0
    task_update(user=world["anna"], task=step.task, data={"status": TaskStatus.DONE})
    # Done late, but done before the pass looked: the next step opens instead, with its own deadline.
    late = step.due_at + dt.timedelta(days=3)
    assert automation_pass(now=late).escalated == 0
    following = instance.steps.get(order=1)
    assert following.status == StepStatus.OPEN and following.due_at > late
    assert automation_pass(now=following.due_at + dt.timedelta(minutes=1)).escalated == 1
    step.refresh_from_db()
    assert step.escalated_at is None


def test_a_manager_cannot_start_a_process_on_someone_elses_deal(world, clock):
    with pytest.raises(PermissionDenied):
        process_start(user=world["marco"], template=world["template"], target=world["deal"], now=clock.now)
    assert not ProcessInstance.objects.exists()


def test_the_three_shipped_templates_are_there_in_each_language(db):
    from django.utils import translation

    codes = dict(ProcessTemplate.objects.values_list("code", "subject"))
    assert codes == {"first-order": "deal", "complaint": "complaint", "overdue-receivable": "invoice"}
    template = ProcessTemplate.objects.get(code="complaint")
    with translation.override("ru"):
        assert str(template) != template.name and str(template.steps.first()) != template.steps.first().title
    with translation.override("it"):
        assert str(template) != template.name


def test_holidays_refuse_an_unreadable_line_by_number(team):
    from django.core.exceptions import ValidationError

    holidays_set(user=team["admin"], text="2026-01-01 New Year")
    with pytest.raises(ValidationError) as caught:
        holidays_set(user=team["admin"], text="2026-05-01 Labour day\n1 May")
    assert "Line 2" in caught.value.messages[0]
    assert list(Holiday.objects.values_list("name", flat=True)) == ["New Year"]   # nothing stored is lost


def test_process_tasks_are_plain_tasks_of_their_person(world, clock):
    process_start(user=world["anna"], template=world["template"], target=world["deal"], now=clock.now)
    assert list(Task.objects.filter(assignee=world["anna"]).values_list("title", flat=True)) == ["Call the client"]
