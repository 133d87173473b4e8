"""What an automation rule does: each action on one record, in its own savepoint, returning what it did.

A result is a small dict for the rule's log ({"action": kind, "did": text} or {"action": kind, "error": text}).
Actions write through the domain services as the system (`user=None`), inside the rule's change context.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from raccordo.activities.services import complaint_update, reminder_create, task_create, task_update
from raccordo.comms.channels import send_from_template, template_for
from raccordo.core.errors import ApplicationError
from raccordo.sales.services import deal_move, deal_update

from ..calendar import deadline
from ..models import ActionKind, AutomationRule, RuleAction
from ..people import assignee_for, responsible_of
from ..texts import shown
from .instances import process_start

# The fields "change a field" may set, per record, and the service each goes through.
CHANGEABLE = {"sales.deal": ("stage", "probability", "expected_close"),
              "activities.complaint": ("status",),
              "activities.task": ("priority", "status")}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)
    return exc.message if isinstance(exc, ApplicationError) else str(exc)


def run_action(*, action: RuleAction, rule: AutomationRule, obj, now=None) -> dict[str, Any]:
    """Do one action; a refusal is kept in the result, never raised, so the rule's other actions still run."""
    now = now or timezone.now()
    handlers: dict[str, Any] = {ActionKind.CREATE_TASK: _create_task, ActionKind.START_PROCESS: _start_process,
               ActionKind.SEND_MESSAGE: _send_message, ActionKind.NOTIFY_USER: _notify,
               ActionKind.CHANGE_FIELD: _change_field}
    handler = handlers[action.kind]
    try:
        with transaction.atomic():
            return {"action": action.kind, "did": handler(action, rule, obj, now)}
    except (ApplicationError, ValidationError, ValueError) as exc:
        return {"action": action.kind, "error": _error_text(exc)}


def _counterparty(obj):
    return obj if obj._meta.label_lower == "parties.counterparty" else getattr(obj, "counterparty", None)


def _deal(obj):
    return obj if obj._meta.label_lower == "sales.deal" else getattr(obj, "deal", None)


def _person(action: RuleAction, obj):
    person = assignee_for(kind=action.assignee_kind, role=action.assignee_role, user=action.assignee_user, obj=obj)
    if person is None:
        raise ApplicationError(_("Nobody to give it to: the record has no responsible manager."),
                               code="processes.no_assignee")
    return person


def _create_task(action: RuleAction, rule: AutomationRule, obj, now) -> str:
    person = _person(action, obj)
    with translation.override(person.language or None):
        title = shown(action.text) or shown(rule.name)
    task = task_create(user=None, data={
        "title": f"{title}: {obj}"[:255], "assignee": person, "counterparty": _counterparty(obj),
        "deal": _deal(obj), "due_at": deadline(now, action.days),
        "description": _("Made by the automation rule “%(rule)s”.") % {"rule": rule.name}})
    return _("task “%(task)s” for %(person)s") % {"task": task.title, "person": person}


def _start_process(action: RuleAction, rule: AutomationRule, obj, now) -> str:
    if action.process_template is None:
        raise ApplicationError(_("No process is chosen."), code="processes.no_template")
    instance = process_start(user=None, template=action.process_template, target=obj, rule_name=rule.name, now=now)
    return _("process “%(process)s” started") % {"process": instance.template}


def _notify(action: RuleAction, rule: AutomationRule, obj, now) -> str:
    person = _person(action, obj)
    with translation.override(person.language or None):
        text = shown(action.text) or shown(rule.name)
    # A reminder due now is the app's notification: it shows on the person's dashboard and is e-mailed to them.
    reminder_create(user=None, target=obj, data={"user": person, "subject": f"{text}: {obj}"[:255],
                                                 "start_at": now, "importance": "high"})
    return _("%(person)s notified") % {"person": person}


def _send_message(action: RuleAction, rule: AutomationRule, obj, now) -> str:
    chosen = action.message_template
    if chosen is None:
        raise ApplicationError(_("No message template is chosen."), code="processes.no_message_template")
    counterparty = _counterparty(obj)
    # A template Raccordo ships has variants per language under one key: the client reads their own.
    template = (template_for(chosen.key, chosen.channel, counterparty) if chosen.key else None) or chosen
    invoice = obj if obj._meta.label_lower == "sales.invoice" else None
    contact = getattr(obj, "contact", None) or getattr(_deal(obj), "contact", None)
    # A rule's message is not a manager's own: an address that opted out is not written to.
    send_from_template(user=None, template=template, counterparty=counterparty, contact=contact, deal=_deal(obj),
                       invoice=invoice, marketing=True)
    return _("“%(template)s” sent to %(client)s") % {"template": template, "client": counterparty}


def _change_field(action: RuleAction, rule: AutomationRule, obj, now) -> str:
    label = obj._meta.label_lower
    if action.field not in CHANGEABLE.get(label, ()):
        raise ApplicationError(_("The field “%(field)s” of a %(model)s is not changed by rules.") % {
            "field": action.field, "model": obj._meta.verbose_name}, code="processes.field_not_changeable")
    value: Any = action.value.strip()
    if label == "sales.deal" and action.field == "stage":
        stage = obj.funnel.stages.filter(name__iexact=value).first()
        if stage is None:
            raise ApplicationError(_("The deal's funnel has no stage “%(stage)s”.") % {"stage": value},
                                   code="processes.no_stage")
        deal_move(user=None, deal=obj, stage=stage)
    elif label == "sales.deal":
        if action.field == "expected_close":
            value = dt.date.fromisoformat(value) if value else None
        deal_update(user=None, deal=obj, data={action.field: value or None})
    elif label == "activities.complaint":
        complaint_update(user=None, complaint=obj, data={action.field: value})
    else:
        task_update(user=None, task=obj, data={action.field: value})
    return _("%(field)s set to “%(value)s”") % {"field": action.field, "value": action.value}


__all__ = ["CHANGEABLE", "responsible_of", "run_action"]
