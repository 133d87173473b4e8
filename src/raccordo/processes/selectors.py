"""Read queries of business processes and automation rules, through the access policy."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound

from .models import AutomationRule, ProcessInstance, ProcessTemplate, RuleFiring, StepRun

# What a card's box shows for each kind of record: the instance's field that names it.
TARGET_FIELDS = {"sales.deal": "deal", "sales.invoice": "invoice", "activities.complaint": "complaint",
                 "parties.counterparty": "counterparty"}


def template_list(*, user, subject: str | None = None, active_only: bool = False) -> QuerySet[ProcessTemplate]:
    """Process templates `user` may read, with how many steps and running processes each has."""
    qs = visible(ProcessTemplate.objects.all(), user).annotate(
        step_count=Count("steps", distinct=True),
        running=Count("instances", filter=Q(instances__status="running"), distinct=True))
    if subject:
        qs = qs.filter(subject=subject)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("name")


def template_get(*, user, pk) -> ProcessTemplate:
    obj = visible(ProcessTemplate.objects.all(), user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Process template not found.")
    return obj


def instances_of(*, user, target) -> QuerySet[ProcessInstance]:
    """The processes on one record (a deal, invoice, complaint or counterparty) `user` may see, newest first.
    A counterparty's are only those started on the client itself (its deals' show on the deals)."""
    name = TARGET_FIELDS[target._meta.label_lower]
    qs = visible(ProcessInstance.objects.select_related("template"), user).filter(**{name: target})
    if name == "counterparty":
        qs = qs.filter(deal__isnull=True, invoice__isnull=True, complaint__isnull=True)
    return qs.order_by("-started_at")


def instance_get(*, user, pk) -> ProcessInstance:
    """One process `user` may see (the client it runs for decides), or NotFound."""
    obj = (visible(ProcessInstance.objects.select_related("template", "counterparty", "deal", "invoice",
                                                           "complaint", "started_by"), user)
           .filter(pk=pk).first())
    if obj is None:
        raise NotFound("Process not found.")
    return obj


def steps_of(instance: ProcessInstance) -> QuerySet[StepRun]:
    """A process's steps in order, with their people and tasks (the process is already checked visible)."""
    return instance.steps.select_related("assignee", "task", "escalated_to", "escalation_task").order_by("order")


def rule_list(*, user) -> QuerySet[AutomationRule]:
    """Automation rules (administrators), with how many times each fired."""
    return (visible(AutomationRule.objects.select_related("trigger_stage"), user)
            .annotate(fired=Count("firings")).order_by("name"))


def rule_get(*, user, pk) -> AutomationRule:
    obj = visible(AutomationRule.objects.all(), user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Rule not found.")
    return obj


def firings_of(*, user, rule: AutomationRule, limit: int = 50) -> QuerySet[RuleFiring]:
    """The latest firings of a rule: its log."""
    return visible(RuleFiring.objects.filter(rule=rule), user).order_by("-created_at")[:limit]
