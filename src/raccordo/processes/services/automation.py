"""The automation pass: read the change journal from the cursor, fire the rules whose trigger a change matches.

It runs in the worker (processes.tasks, every minute). A rule's actions write under a change context whose
request id starts with RULE_MARK and names the rule, so the journal says which rule did what, and the pass
skips those rows: a rule's own changes never trigger rules again, whatever the rules say (no loops). The
same change never fires a rule twice (RuleFiring is unique per rule and change), even if the pass is cut off
and runs again. The cursor only advances to the journal's horizon (exchange.exporters.horizon), so a change
whose transaction commits late is still seen. Processes move on here too: a change of a task, deal, invoice or
complaint a running step waits on closes it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from raccordo.access.records import record_create
from raccordo.activities.models import Task, TaskStatus
from raccordo.core.context import change_context
from raccordo.core.models import ChangeJournal, Operation, Origin
from raccordo.exchange.exporters.horizon import journal_horizon

from .. import conditions
from ..models import AutomationCursor, AutomationRule, RuleFiring, Trigger
from .actions import run_action
from .instances import processes_touched, steps_escalate_overdue

log = logging.getLogger(__name__)

RULE_MARK = "rule:"
CURSOR = "automation"
BATCH = 500
# The record each trigger is about: what its conditions name fields of.
TRIGGER_MODELS: dict[str, str] = {Trigger.DEAL_STAGE: "sales.deal", Trigger.INVOICE_PAID: "sales.invoice",
                  Trigger.ONEC_STATUS: "sales.invoice", Trigger.TASK_OVERDUE: "activities.task",
                  Trigger.COMPLAINT_NEW: "activities.complaint"}
# What accounting reports about an order (sales.services.ACCOUNTING_FIELDS and the status it settles).
ONEC_FIELDS = ("accounting_status", "is_posted", "shipped_on", "shipment_number", "status")
FIRING_FIELDS = ("rule", "rule_name", "key", "object_type", "object_id", "object_repr", "results", "failed")


@dataclass
class PassResult:
    """What one pass did, for the worker's log and the tests."""

    read: int = 0
    fired: int = 0
    advanced: int = 0
    escalated: int = 0
    overdue: int = 0
    errors: list[str] = field(default_factory=list)


def _label(row: ChangeJournal) -> str:
    return f"{row.content_type.app_label}.{row.content_type.model}"


def triggers_of(row: ChangeJournal) -> list[tuple[str, Any]]:
    """The triggers a journal row matches, each with its detail (the stage a deal entered)."""
    label, changes = _label(row), row.changes or {}
    found: list[tuple[str, Any]] = []
    if label == "sales.deal" and "stage" in changes and row.operation != Operation.DELETE:
        found.append((Trigger.DEAL_STAGE, changes["stage"][1]))
    if label == "sales.invoice" and row.operation != Operation.DELETE:
        status = changes.get("status")
        if status and status[1] == "paid" and status[0] != "paid":
            found.append((Trigger.INVOICE_PAID, None))
        # A change, not the order's arrival: a new order's first state is not a status change.
        if (row.origin == Origin.EXCHANGE and row.operation == Operation.UPDATE
                and any(name in changes for name in ONEC_FIELDS)):
            found.append((Trigger.ONEC_STATUS, None))
    if label == "activities.complaint" and row.operation == Operation.CREATE:
        found.append((Trigger.COMPLAINT_NEW, None))
    return found


def _cursor() -> AutomationCursor:
    cursor = AutomationCursor.objects.select_for_update().filter(name=CURSOR).first()
    if cursor is None:
        # The data migration sets it at the journal's end; only a flushed database lands here.
        AutomationCursor.objects.get_or_create(name=CURSOR, defaults={"seq": 0})
        cursor = AutomationCursor.objects.select_for_update().get(name=CURSOR)
    return cursor


def fire(*, rule: AutomationRule, obj, key: str, changes: dict | None = None, now=None) -> RuleFiring | None:
    """Run a rule's actions on `obj` once for `key` (a journal position or an overdue task); each action on its
    own, so one that fails (no e-mail address) does not undo the others. None when it already fired for `key`."""
    if RuleFiring.objects.filter(rule=rule, key=key).exists():
        return None
    results, failed = [], False
    with change_context(origin=Origin.SYSTEM, request_id=f"{RULE_MARK}{rule.code or rule.pk}"[:64]):
        for action in rule.actions.select_related("process_template", "assignee_user").order_by("order"):
            result = run_action(action=action, rule=rule, obj=obj, now=now)
            failed = failed or "error" in result
            results.append(result)
        try:
            with transaction.atomic():
                return record_create(RuleFiring, user=None, fields=FIRING_FIELDS, data={
                    "rule": rule, "rule_name": rule.name, "key": key[:120], "object_type": obj._meta.label_lower,
                    "object_id": obj.pk, "object_repr": str(obj)[:255], "results": results, "failed": failed})
        except IntegrityError:   # another pass fired it at the same moment
            return None


def _rules(trigger: str) -> list[AutomationRule]:
    return list(AutomationRule.objects.filter(is_active=True, trigger=trigger).select_related("trigger_stage"))


def _on_row(row: ChangeJournal, rules: dict[str, list[AutomationRule]], now, result: PassResult) -> None:
    matched = triggers_of(row)
    if not matched:
        return
    obj = apps.get_model(_label(row)).objects.filter(pk=row.object_id).first()
    if obj is None:
        return
    for trigger, detail in matched:
        for rule in rules.get(trigger, ()):
            if trigger == Trigger.DEAL_STAGE and rule.trigger_stage_id and str(rule.trigger_stage_id) != detail:
                continue
            if not conditions.all_hold(rule.conditions, obj, row.changes):
                continue
            key = f"seq:{row.seq}"
            if trigger == Trigger.ONEC_STATUS and row.request_id:
                # 1C's importer writes each requisite of a document on its own: one exchange is one change.
                key = f"onec:{row.request_id}:{row.object_id}"
            if fire(rule=rule, obj=obj, key=key, changes=row.changes, now=now):
                result.fired += 1


def journal_pass(*, now=None, batch: int = BATCH) -> PassResult:
    """Read the journal past the cursor up to its horizon, in batches: fire rules, move processes on."""
    now = now or timezone.now()
    result = PassResult()
    rules = {t: _rules(t) for t in Trigger.values}
    while True:
        with transaction.atomic():
            cursor = _cursor()
            horizon = journal_horizon(cursor.seq)
            rows = list(ChangeJournal.objects.filter(seq__gt=cursor.seq, seq__lte=horizon)
                        .select_related("content_type").order_by("seq")[:batch])
            if not rows:
                return result
            touched = set()
            for row in rows:
                touched.add(row.object_id)
                if not row.request_id.startswith(RULE_MARK):
                    _on_row(row, rules, now, result)
            result.advanced += processes_touched(ids=touched, now=now)
            cursor.seq = rows[-1].seq
            cursor.save(update_fields=["seq"])
            result.read += len(rows)


def overdue_tasks_fire(*, now=None) -> int:
    """"A task is overdue": fire once per task and due time, for tasks that fell due after the rule was made."""
    now = now or timezone.now()
    fired = 0
    for rule in _rules(Trigger.TASK_OVERDUE):
        late = Task.objects.filter(status__in=[TaskStatus.OPEN, TaskStatus.IN_PROGRESS], due_at__lt=now,
                                   due_at__gte=rule.created_at).select_related("assignee", "counterparty", "deal")
        for task in late:
            if not conditions.all_hold(rule.conditions, task):
                continue
            key = f"overdue:{task.pk}:{task.due_at.isoformat() if task.due_at else ''}"
            with transaction.atomic():
                fired += fire(rule=rule, obj=task, key=key, now=now) is not None
    return fired


def automation_pass(*, now: dt.datetime | None = None) -> PassResult:
    """Everything the worker does each minute: the journal's new changes, late tasks, late process steps."""
    now = now or timezone.now()
    result = journal_pass(now=now)
    result.overdue = overdue_tasks_fire(now=now)
    result.escalated = steps_escalate_overdue(now=now)
    return result
