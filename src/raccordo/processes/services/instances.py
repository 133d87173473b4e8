"""Running business processes: start one on a record, move it on when a step closes, escalate a late step.

A step's task is an ordinary task (activities.services), so it shows in the person's list and calendar;
the step closes when its condition holds (its task done, the deal at a stage, the invoice paid, the
complaint closed) and the next step opens. Everything is written through record services, so the journal
keeps every step; the system writes as `user=None`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from raccordo.access.policy import escalation_head, may_cancel_process, may_start_process
from raccordo.access.records import record_create, record_update
from raccordo.activities.models import ComplaintStatus, TaskStatus
from raccordo.activities.services import reminder_create, task_create, task_update
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.sales.models import InvoiceStatus, StageKind

from ..calendar import deadline
from ..models import ClosesOn, ProcessInstance, ProcessStatus, ProcessTemplate, StepRun, StepStatus, Subject
from ..people import assignee_for
from ..texts import shown

INSTANCE_FIELDS = ("template", "counterparty", "deal", "invoice", "complaint", "status", "started_by",
                   "started_by_rule", "started_at", "finished_at")
STEP_RUN_FIELDS = ("instance", "step", "order", "title", "closes_on", "close_stage", "status", "assignee", "task",
                   "started_at", "due_at", "done_at", "escalated_at", "escalated_to", "escalation_task")


def _target_for(template: ProcessTemplate, obj) -> dict[str, Any]:
    """The records a process on `obj` hangs off, for a template that runs on `template.subject`: a rule may start
    a deal's process from the deal's invoice, a client's process from any of its records."""
    label = obj._meta.label_lower
    counterparty = obj if label == "parties.counterparty" else getattr(obj, "counterparty", None)
    found = {"counterparty": counterparty, "deal": None, "invoice": None, "complaint": None}
    if label == "sales.deal":
        found["deal"] = obj
    elif label == "sales.invoice":
        found.update(invoice=obj, deal=obj.deal)
    elif label == "activities.complaint":
        found["complaint"] = obj
    elif label == "activities.task":
        found["deal"] = obj.deal
    subjects: dict[str, str] = {Subject.DEAL: "deal", Subject.INVOICE: "invoice", Subject.COMPLAINT: "complaint"}
    wanted = subjects.get(template.subject)
    if counterparty is None or (wanted and found[wanted] is None):
        raise ApplicationError(
            _("The process “%(process)s” runs on a %(subject)s, and this record has none.") % {
                "process": template, "subject": template.get_subject_display().lower()},
            code="processes.wrong_subject")
    return found


@transaction.atomic
def process_start(*, user, template: ProcessTemplate, target, rule_name: str = "", now=None) -> ProcessInstance:
    """Start `template` on `target` (a deal, counterparty, complaint or invoice): its steps are laid out and the
    first one's task goes to its person. `user` None is the system (a rule, named by `rule_name`)."""
    now = now or timezone.now()
    if not template.is_active:
        raise ApplicationError(_("The process “%(process)s” is switched off.") % {"process": template},
                               code="processes.template_inactive")
    if user is not None and not may_start_process(user, target):
        raise PermissionDenied(_("You may not start a process on this record."), code="processes.start_denied")
    data = _target_for(template, target)
    data.update(template=template, status=ProcessStatus.RUNNING, started_by=user, started_by_rule=rule_name[:150],
                started_at=now)
    instance = record_create(ProcessInstance, user=None, data=data, fields=INSTANCE_FIELDS)
    steps = list(template.steps.order_by("order"))
    if not steps:
        raise ApplicationError(_("The process “%(process)s” has no steps.") % {"process": template},
                               code="processes.no_steps")
    for step in steps:
        record_create(StepRun, user=None, fields=STEP_RUN_FIELDS, data={
            "instance": instance, "step": step, "order": step.order, "title": step.title,
            "closes_on": step.closes_on, "close_stage": step.close_stage, "status": StepStatus.PENDING})
    return process_advance(instance=instance, now=now, starter=user)


def _open(run: StepRun, instance: ProcessInstance, now, starter=None) -> None:
    """Give the step's task to its person, due in the step's working days."""
    step = run.step
    person = assignee_for(kind=step.assignee_kind, role=step.assignee_role, user=step.assignee_user,
                          obj=instance.target, fallback=starter or instance.started_by) if step else None
    if person is None:
        raise ApplicationError(_("Nobody can do the step “%(step)s”: name a person or a role someone holds.") % {
            "step": run}, code="processes.no_assignee")
    due = deadline(now, step.days if step else 1)
    with translation.override(person.language or None):
        title = shown(run.title)
        description = _("Step %(n)s of the process “%(process)s”.") % {"n": run.order + 1,
                                                                        "process": instance.template}
    task = task_create(user=None, data={"title": title[:255], "description": description, "assignee": person,
                                        "counterparty": instance.counterparty, "deal": instance.deal,
                                        "due_at": due})
    record_update(run, user=None, fields=STEP_RUN_FIELDS, data={
        "status": StepStatus.OPEN, "assignee": person, "task": task, "started_at": now, "due_at": due})


def step_closed(run: StepRun, instance: ProcessInstance) -> bool:
    """Does the step's closing condition hold now?"""
    if run.closes_on == ClosesOn.DEAL_STAGE:
        deal, stage = instance.deal, run.close_stage
        return bool(deal and stage and (deal.stage_id == stage.pk or (
            deal.funnel_id == stage.funnel_id and deal.stage.kind != StageKind.LOST
            and deal.stage.order >= stage.order)))
    if run.closes_on == ClosesOn.INVOICE_PAID:
        if instance.invoice is not None:
            return instance.invoice.status == InvoiceStatus.PAID
        return bool(instance.deal and instance.deal.invoices.filter(status=InvoiceStatus.PAID).exists())
    if run.closes_on == ClosesOn.COMPLAINT_CLOSED:
        return bool(instance.complaint and instance.complaint.status in (ComplaintStatus.RESOLVED,
                                                                         ComplaintStatus.REJECTED))
    # A task that is gone (deleted) cannot be waited for; a cancelled one was settled by its person.
    return run.task is None or run.task.status in (TaskStatus.DONE, TaskStatus.CANCELLED)


def _close(run: StepRun, now) -> None:
    if run.task is not None and run.task.status not in (TaskStatus.DONE, TaskStatus.CANCELLED):
        task_update(user=None, task=run.task, data={"status": TaskStatus.DONE})
    record_update(run, user=None, fields=STEP_RUN_FIELDS, data={"status": StepStatus.DONE, "done_at": now})


@transaction.atomic
def process_advance(*, instance: ProcessInstance, now=None, starter=None) -> ProcessInstance:
    """Close every step whose condition holds, in order, and open the next; the process is done after the last."""
    now = now or timezone.now()
    instance = ProcessInstance.objects.select_for_update().get(pk=instance.pk)
    if instance.status != ProcessStatus.RUNNING:
        return instance
    for run in instance.steps.select_related("task", "step", "close_stage").order_by("order"):
        if run.status in (StepStatus.DONE, StepStatus.CANCELLED):
            continue
        if run.status == StepStatus.PENDING:
            _open(run, instance, now, starter)
        if not step_closed(run, instance):
            return instance
        _close(run, now)
    return record_update(instance, user=None, fields=INSTANCE_FIELDS,
                         data={"status": ProcessStatus.DONE, "finished_at": now})


@transaction.atomic
def process_cancel(*, user, instance: ProcessInstance, now=None) -> ProcessInstance:
    """Stop a running process: its open step's task is cancelled, the steps not reached stay undone."""
    now = now or timezone.now()
    if not may_cancel_process(user, instance):
        raise PermissionDenied(_("You may not stop this process."), code="processes.cancel_denied")
    if instance.status != ProcessStatus.RUNNING:
        return instance
    for run in instance.steps.select_related("task").exclude(status__in=[StepStatus.DONE, StepStatus.CANCELLED]):
        if run.task is not None and run.task.status not in (TaskStatus.DONE, TaskStatus.CANCELLED):
            task_update(user=None, task=run.task, data={"status": TaskStatus.CANCELLED})
        record_update(run, user=None, fields=STEP_RUN_FIELDS, data={"status": StepStatus.CANCELLED})
    return record_update(instance, user=None, fields=INSTANCE_FIELDS,
                         data={"status": ProcessStatus.CANCELLED, "finished_at": now})


def _escalate(run: StepRun, now) -> bool:
    head = escalation_head(run.assignee)
    if head is None:
        return False
    with translation.override(head.language or None):
        title = _("Overdue: “%(step)s” of %(person)s") % {"step": shown(run.title), "person": run.assignee}
        note = _("The step “%(step)s” of the process “%(process)s” was due %(due)s.") % {
            "step": shown(run.title), "process": run.instance.template,
            "due": timezone.localtime(run.due_at).strftime("%Y-%m-%d %H:%M")}
    task = task_create(user=None, data={"title": title[:255], "description": note, "assignee": head,
                                        "counterparty": run.instance.counterparty, "deal": run.instance.deal,
                                        "due_at": deadline(now, 1), "priority": "high"})
    # The notification: a reminder due now, shown on the head's dashboard and e-mailed by the reminder digest.
    reminder_create(user=None, target=task, data={"user": head, "subject": title[:255], "start_at": now,
                                                  "importance": "high"})
    record_update(run, user=None, fields=STEP_RUN_FIELDS,
                  data={"escalated_at": now, "escalated_to": head, "escalation_task": task})
    return True


def steps_escalate_overdue(*, now=None) -> int:
    """Give the head of each late step's person a task and a notification, once per step; returns how many."""
    now = now or timezone.now()
    late = (StepRun.objects.filter(status=StepStatus.OPEN, due_at__lt=now, escalated_at__isnull=True,
                                   instance__status=ProcessStatus.RUNNING)
            .select_related("assignee", "instance__template", "instance__counterparty", "instance__deal"))
    count = 0
    for run in late:
        with transaction.atomic():
            count += _escalate(run, now)
    return count


def processes_touched(*, ids: set, now=None) -> int:
    """Move on every running process whose step waits on one of the records `ids` (a task, deal, invoice or
    complaint that changed); returns how many were looked at."""
    if not ids:
        return 0
    wanted = (Q(steps__task_id__in=ids, steps__status=StepStatus.OPEN) | Q(deal_id__in=ids)
              | Q(invoice_id__in=ids) | Q(complaint_id__in=ids) | Q(deal__invoices__in=ids))
    instances = ProcessInstance.objects.filter(wanted, status=ProcessStatus.RUNNING).distinct()
    count = 0
    for instance in instances:
        process_advance(instance=instance, now=now)
        count += 1
    return count
