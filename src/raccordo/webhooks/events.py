"""What a subscription is told: change-journal entries and finished exchange runs turned into events.

Each entry is checked against the subscription owner's access (access.policy) before it becomes an event: a
webhook on behalf of a manager tells nothing of another manager's clients, as the API would not. A deleted
record is checked as it was (its last state is in the journal entry).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist

from raccordo.access.policy import can, is_admin, visible
from raccordo.core.models import ChangeJournal, Operation

from .models import EventType

RECORD_EVENTS = {Operation.CREATE: EventType.RECORD_CREATED, Operation.UPDATE: EventType.RECORD_CHANGED,
                 Operation.DELETE: EventType.RECORD_DELETED}


def _after(entry: ChangeJournal, name: str):
    pair = (entry.changes or {}).get(name)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


def entry_events(entry: ChangeJournal, label: str, wanted: set[str], types: set[str]) -> list[str]:
    """The events of `entry` (a record of model `label`) among `wanted`; `types` narrows record.* events."""
    found: list[str] = []
    if label.startswith("webhooks."):  # the subscriptions themselves are no news for a receiver
        return found
    record_event = RECORD_EVENTS.get(entry.operation)
    if record_event in wanted and (not types or label in types):
        found.append(record_event)
    if label == "sales.deal" and entry.operation == Operation.UPDATE and "stage" in (entry.changes or {}) \
            and EventType.DEAL_STAGE in wanted:
        found.append(EventType.DEAL_STAGE)
    if label == "sales.invoice" and _after(entry, "status") == "paid" and EventType.INVOICE_PAID in wanted:
        found.append(EventType.INVOICE_PAID)
    return found


def _as_it_was(model, entry: ChangeJournal):
    """An unsaved instance with the values a deleted record had, for the policy to judge."""
    values = {}
    for name, pair in (entry.changes or {}).items():
        try:
            field = model._meta.get_field(name)
        except Exception:  # a field since removed from the model
            continue
        if getattr(field, "concrete", False) and isinstance(pair, list) and len(pair) == 2:
            values[field.attname] = pair[0]
    values["pk"] = entry.object_id
    return model(**values)


def owner_sees(owner, entry: ChangeJournal, model) -> bool:
    """May the subscription's owner see the record this entry is about (as it is now, or as it was if deleted)?"""
    if model is None:
        return False
    if entry.operation != Operation.DELETE:
        return visible(model._default_manager.filter(pk=entry.object_id), owner).exists()
    try:
        return can(owner, "view", _as_it_was(model, entry))
    except (ObjectDoesNotExist, ValueError, TypeError):
        # Its counterparty went with it: only those who see everything (administrators) are told.
        return is_admin(owner)


def entry_payload(entry: ChangeJournal, event: str, label: str) -> dict:
    """The JSON a receiver gets for one event of a journal entry (secret fields are masked in the journal)."""
    changes = entry.changes or {}
    return {
        "event": event, "seq": entry.seq, "at": entry.at.isoformat(),
        "object": {"type": label, "id": str(entry.object_id), "repr": entry.object_repr},
        "operation": entry.operation, "changes": changes,
        "data": {k: v[1] for k, v in changes.items() if isinstance(v, list) and len(v) == 2},
        "user": entry.user.get_username() if entry.user_id else None,
        "origin": entry.origin, "node": entry.node or None,
    }


def run_payload(run) -> dict:
    """The JSON of an exchange run's end."""
    return {
        "event": EventType.RUN_FINISHED, "at": run.finished_at.isoformat(),
        "object": {"type": "exchange.run", "id": str(run.pk), "repr": str(run)},
        "run": {"node": str(run.node) if run.node_id else None, "kind": run.kind, "status": run.status,
                "created": run.created, "updated": run.updated, "unchanged": run.unchanged, "skipped": run.skipped,
                "failed": run.failed, "message": run.message, "started_at": run.started_at.isoformat()},
    }


def model_of(content_type_id: int):
    """The model class of a journal entry's type (ContentType's cache answers after the first call)."""
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    return model, (model._meta.label_lower if model is not None else "")
