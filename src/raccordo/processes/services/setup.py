"""Administrators' set-up: process templates with their steps, automation rules with their actions, holidays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.policy import may_edit_processes, may_edit_rules
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.core.errors import PermissionDenied

from .. import conditions as cond
from ..models import AutomationRule, Holiday, ProcessStep, ProcessTemplate, RuleAction
from .automation import TRIGGER_MODELS

TEMPLATE_FIELDS = ("code", "name", "description", "subject", "is_active")
STEP_FIELDS = ("template", "order", "title", "assignee_kind", "assignee_role", "assignee_user", "days", "closes_on",
               "close_stage")
RULE_FIELDS = ("code", "name", "is_active", "trigger", "trigger_stage", "conditions")
ACTION_FIELDS = ("rule", "order", "kind", "text", "assignee_kind", "assignee_role", "assignee_user", "days",
                 "message_template",
                 "process_template", "field", "value")


def _save_children(*, user, parent_field: str, parent, model, fields, rows: list[dict[str, Any]]) -> None:
    """Create, change and delete the rows of a template's steps or a rule's actions, in the given order.
    A row with "id" changes that row (one of `parent`'s only), "delete" removes it, one without an id is new."""
    existing = {str(o.pk): o for o in model.objects.filter(**{parent_field: parent})}
    order = 0
    for row in rows:
        row = dict(row)
        pk, delete = str(row.pop("id", "") or ""), row.pop("delete", False)
        obj = existing.get(pk) if pk else None
        if pk and obj is None:
            raise ValidationError(_("A row belongs to another record."))
        if delete:
            if obj is not None:
                record_delete(obj, user=user)
            continue
        row["order"] = order
        order += 1
        if obj is None:
            record_create(model, user=user, fields=fields, data={parent_field: parent, **row})
        else:
            record_update(obj, user=user, fields=fields, data=row)


@transaction.atomic
def template_save(*, user, data: dict[str, Any], steps: list[dict[str, Any]],
                  template: ProcessTemplate | None = None) -> ProcessTemplate:
    """Create or change a process template and its steps (in the order given); a process needs a step."""
    if not may_edit_processes(user):
        raise PermissionDenied(_("Only administrators change business processes."), code="processes.setup_denied")
    if not [s for s in steps if not s.get("delete")]:
        raise ValidationError(_("A process needs at least one step."))
    if template is None:
        template = record_create(ProcessTemplate, user=user, data=data, fields=TEMPLATE_FIELDS)
    else:
        template = record_update(template, user=user, data=data, fields=TEMPLATE_FIELDS)
    _save_children(user=user, parent_field="template", parent=template, model=ProcessStep, fields=STEP_FIELDS,
                   rows=steps)
    return template


@transaction.atomic
def rule_save(*, user, data: dict[str, Any], conditions_text: str, actions: list[dict[str, Any]],
              rule: AutomationRule | None = None) -> AutomationRule:
    """Create or change an automation rule: its trigger, its conditions (lines of text, checked against the
    trigger's record) and its actions (in the order given)."""
    if not may_edit_rules(user):
        raise PermissionDenied(_("Only administrators change automation rules."), code="processes.setup_denied")
    trigger = data.get("trigger") or (rule.trigger if rule else "")
    model = apps.get_model(TRIGGER_MODELS[trigger]) if trigger in TRIGGER_MODELS else None
    try:
        parsed = cond.parse(conditions_text, model)
    except ValidationError as exc:
        raise ValidationError({"conditions": exc.messages}) from None
    if not [a for a in actions if not a.get("delete")]:
        raise ValidationError(_("A rule needs at least one action."))
    data = {**data, "conditions": parsed}
    if rule is None:
        rule = record_create(AutomationRule, user=user, data=data, fields=RULE_FIELDS)
    else:
        rule = record_update(rule, user=user, data=data, fields=RULE_FIELDS)
    _save_children(user=user, parent_field="rule", parent=rule, model=RuleAction, fields=ACTION_FIELDS, rows=actions)
    return rule


@transaction.atomic
def holidays_set(*, user, text: str) -> list[Holiday]:
    """Replace the holiday list with lines of "YYYY-MM-DD name"; an unreadable line is refused by its number."""
    if not may_edit_processes(user):
        raise PermissionDenied(_("Only administrators change the holidays."), code="processes.setup_denied")
    wanted: dict[dt.date, str] = {}
    errors = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        day_text, _sep, name = line.partition(" ")
        try:
            wanted[dt.date.fromisoformat(day_text)] = name.strip()[:100]
        except ValueError:
            errors.append(_("Line %(n)s (“%(line)s”): write the date as YYYY-MM-DD.") % {"n": number, "line": line})
    if errors:
        raise ValidationError(errors)
    for holiday in Holiday.objects.exclude(date__in=list(wanted)):
        record_delete(holiday, user=user)
    kept = {h.date: h for h in Holiday.objects.filter(date__in=list(wanted))}
    for day, name in sorted(wanted.items()):
        if day in kept:
            record_update(kept[day], user=user, data={"name": name}, fields=("name",))
        else:
            record_create(Holiday, user=user, data={"date": day, "name": name}, fields=("date", "name"))
    return list(Holiday.objects.order_by("date"))


def rule_switch(*, user, rule: AutomationRule, active: bool) -> AutomationRule:
    """Switch a rule on or off (the list's button); a rule switched on fires on changes from then on."""
    if not may_edit_rules(user):
        raise PermissionDenied(_("Only administrators change automation rules."), code="processes.setup_denied")
    return record_update(rule, user=user, data={"is_active": active}, fields=("is_active",))
