"""The access policy for business processes and automation rules: who edits them, who starts a process on a
record, and who a late step is escalated to (the assignee's head) or a role's step goes to."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models

from ..models import Department
from ..roles import holds_role
from .people import oversees_team
from .rows import _active, allows, can, is_admin


def may_edit_processes(user) -> bool:
    """Process templates and the holiday list are the company's set-up: administrators."""
    return is_admin(user)


def may_edit_rules(user) -> bool:
    """Automation rules act on every client's records as the system: administrators only."""
    return is_admin(user)


def may_start_process(user, target: models.Model | None) -> bool:
    """A process is started on a record by whoever may change that record and add activities (its tasks)."""
    if not _active(user) or target is None:
        return False
    return allows(user, "add", "activities") and can(user, "change", target)


def may_cancel_process(user, instance) -> bool:
    """Stopping a running process: who may change the record it runs on (as for starting it)."""
    return may_start_process(user, instance.target)


def _departments_up(department_id) -> list:
    """The department and the ones above it, nearest first (a cycle is refused on save; guarded anyway)."""
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    chain, node = [], department_id
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    return chain


def escalation_head(user):
    """Whom a late step of `user` goes to: the nearest person up `user`'s departments who leads other people's
    work (a head, `oversees_team`) other than `user`; an administrator when the tree names nobody; None if
    there is no one at all."""
    people = get_user_model().objects.filter(is_active=True).select_related("custom_role").order_by("username")
    if user is not None:
        people = people.exclude(pk=user.pk)
        for department in _departments_up(user.department_id):
            for person in people.filter(department_id=department):
                if oversees_team(person) and not is_admin(person):
                    return person
    return next((p for p in people if is_admin(p)), None)


def role_holder(role: str, *, near=None):
    """The person a step "for a role" goes to: someone holding `role` in `near`'s department or the nearest one
    above it, else anyone holding it (alphabetically, so the choice is stable); None when nobody does."""
    holders = [p for p in get_user_model().objects.filter(is_active=True).select_related("custom_role")
               .order_by("username") if holds_role(p, [role])]
    if near is not None:
        for department in _departments_up(near.department_id):
            for person in holders:
                if person.department_id == department:
                    return person
    return holders[0] if holders else None
