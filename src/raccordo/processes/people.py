"""Who does a step or a rule's task: the responsible manager of the record, someone holding a role, or a person."""

from __future__ import annotations

from raccordo.access.policy import role_holder

from .models import AssigneeKind


def responsible_of(obj):
    """The person answering for a record: a deal's manager, an invoice's or complaint's responsible, a task's
    assignee, else the responsible manager of its counterparty."""
    label = obj._meta.label_lower
    direct = {"sales.deal": "manager", "sales.invoice": "responsible", "activities.complaint": "responsible",
              "activities.task": "assignee", "parties.counterparty": "responsible"}.get(label)
    person = getattr(obj, direct, None) if direct else None
    if person is None and label != "parties.counterparty":
        counterparty = getattr(obj, "counterparty", None)
        person = getattr(counterparty, "responsible", None)
    return person


def assignee_for(*, kind: str, role: str, user, obj, fallback=None):
    """The person a step or an action names, for the record `obj`; `fallback` (who started it) when the record
    has nobody responsible or nobody holds the role."""
    responsible = responsible_of(obj) if obj is not None else None
    if kind == AssigneeKind.USER and user is not None and user.is_active:
        return user
    if kind == AssigneeKind.ROLE and role:
        return role_holder(role, near=responsible or fallback) or responsible or fallback
    return responsible or fallback
