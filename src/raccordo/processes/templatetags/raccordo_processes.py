"""The processes box on a card (deal, invoice, complaint, counterparty): progress of each process, and the start
button with the processes that run on that kind of record."""

from __future__ import annotations

from django import template
from django.utils import timezone

from raccordo.access.policy import may_start_process

from .. import selectors
from ..models import StepStatus
from ..texts import shown

register = template.Library()

KINDS = {"sales.deal": "deal", "sales.invoice": "invoice", "activities.complaint": "complaint",
         "parties.counterparty": "counterparty"}


@register.inclusion_tag("processes/_box.html", takes_context=True)
def process_box(context, target):
    """Processes on `target` as the reader sees them, each with its steps: who, due, done or late."""
    request = context["request"]
    user = request.user
    now = timezone.now()
    processes = []
    for instance in selectors.instances_of(user=user, target=target)[:5]:
        steps = list(selectors.steps_of(instance))
        done = sum(1 for s in steps if s.status == StepStatus.DONE)
        processes.append({"instance": instance, "steps": steps, "done": done, "total": len(steps),
                          "percent": int(100 * done / len(steps)) if steps else 0})
    kind = KINDS[target._meta.label_lower]
    startable = list(selectors.template_list(user=user, subject=kind, active_only=True)) \
        if may_start_process(user, target) else []
    return {"processes": processes, "startable": startable, "kind": kind, "target": target, "now": now,
            "next": request.get_full_path(), "csrf_token": context.get("csrf_token")}


@register.filter
def shown_text(value) -> str:
    """A stored name in the reader's language when Raccordo shipped it."""
    return shown(str(value or ""))
