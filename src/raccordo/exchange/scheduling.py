"""Exchange tasks as people define and start them: ordered steps of a node, their cron schedules, who may run
them, and handing a start to the background worker (by hand, or every minute for the tasks due).

Running a task (the node's lock, the steps) is `task_running`, below the Huey tasks that call it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import allows, is_admin, role_names
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import journal_record
from raccordo.core.models import Operation

# Named here by the task pages, the settings file and the tests; they live with the code that runs tasks.
from .cron import cron_next, cron_parse  # noqa: F401
from .models import ExchangeNode, ExchangeTask, NodeKind, NodeLock, RecordPolicy, StepKind, StepPolicy
from .task_running import (  # noqa: F401
    FOLDER_ORDER,
    STALE_LOCK,
    STEP_RUNNERS,
    NodeBusy,
    due_tasks,
    due_tasks_start,
    folder_files,
    may_run,
    node_busy,
    task_job,
    task_run,
)
from .tasks import run_task_job


class TaskInvalid(ApplicationError):
    """A task that may not be saved; `extra["errors"]` maps a JSON path to messages."""



def steps_check(steps, path: str = "steps") -> dict[str, list[str]]:
    """Everything wrong with a task's steps; keys are JSON paths (prefixed with `path`)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(steps, list):
        return {path: [_("A list of steps is expected.")]}
    if not steps:
        return {path: [_("A task needs at least one step.")]}
    for i, step in enumerate(steps):
        where = f"{path}[{i}]"
        if not isinstance(step, dict):
            errors[where] = [_("An object is expected.")]
            continue
        unknown = set(step) - {"kind", "policy_record", "policy_step"}
        if unknown:
            errors[where] = [_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}]
        if step.get("kind") not in StepKind.values:
            errors[f"{where}.kind"] = [_("Unknown step %(kind)r; one of %(known)s.") % {
                "kind": step.get("kind"), "known": ", ".join(StepKind.values)}]
        if step.get("policy_record", RecordPolicy.SKIP) not in RecordPolicy.values:
            errors[f"{where}.policy_record"] = [_("One of %(known)s.") % {"known": ", ".join(RecordPolicy.values)}]
        if step.get("policy_step", StepPolicy.GO_ON) not in StepPolicy.values:
            errors[f"{where}.policy_step"] = [_("One of %(known)s.") % {"known": ", ".join(StepPolicy.values)}]
    return errors


def step_labels(steps: list[dict]) -> list[dict[str, str]]:
    """A task's steps in words (the labels of their kind and policies), for pages."""
    kinds, records, policies = dict(StepKind.choices), dict(RecordPolicy.choices), dict(StepPolicy.choices)
    return [{"kind": str(kinds.get(s.get("kind"), s.get("kind"))),  # type: ignore[arg-type]  # a step without a kind: kinds.get(None) finds none
             "policy_record": str(records.get(s.get("policy_record") or RecordPolicy.SKIP, "")),
             "policy_step": str(policies.get(s.get("policy_step") or StepPolicy.GO_ON, ""))} for s in steps]


def step_kinds_for(node: ExchangeNode) -> list[tuple[str, str]]:
    """The steps a node's tasks may have: an EnterpriseData node exchanges messages; the others import their
    folder and export orders (their folder holds CommerceML, which an EnterpriseData step would not read)."""
    if node.kind == NodeKind.ENTERPRISEDATA:
        return [(StepKind.ENTERPRISEDATA.value, str(StepKind.ENTERPRISEDATA.label))]
    return [(value, str(label)) for value, label in StepKind.choices if value != StepKind.ENTERPRISEDATA]


def _steps_fit(node: ExchangeNode, steps, errors: dict[str, list[str]]) -> None:
    allowed = {value for value, _label in step_kinds_for(node)}
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and step.get("kind") in StepKind.values and step["kind"] not in allowed:
            errors.setdefault(f"steps[{i}].kind", []).append(
                _("A %(kind)s node cannot run this step; one of %(known)s.") % {
                    "kind": node.get_kind_display(), "known": ", ".join(sorted(allowed))})


def task_check(data: dict, path: str = "") -> dict[str, list[str]]:
    """Everything wrong with a task's values; keys are JSON paths (prefixed with `path`)."""
    pre = f"{path}." if path else ""
    errors = steps_check(data.get("steps", []), f"{pre}steps")
    if data.get("cron"):
        try:
            cron_parse(data["cron"])
        except ValueError as exc:
            errors[f"{pre}cron"] = [str(exc)]
    roles = data.get("allowed_roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        errors[f"{pre}allowed_roles"] = [_("A list of role names is expected.")]
    elif set(roles) - set(role_names()):
        errors[f"{pre}allowed_roles"] = [_("Unknown roles: %(roles)s; one of %(known)s.") % {
            "roles": ", ".join(sorted(set(roles) - set(role_names()))), "known": ", ".join(role_names())}]
    try:
        validate_slug(data.get("name") or "")
    except ValidationError:
        errors[f"{pre}name"] = [_("A name of letters, digits, - and _ is expected.")]
    return errors


# What a task's create and update services let their callers set (its node is set once, at creation).
TASK_FIELDS = ("name", "steps", "cron", "is_active", "allowed_roles")


def task_save(*, user, node: ExchangeNode, data: dict) -> ExchangeTask:
    """Create or change the node's task of that name (name, steps, cron, is_active, allowed_roles); journaled."""
    errors = task_check(data)
    if errors:
        raise TaskInvalid("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), code="exchange.task.invalid",
                          extra={"errors": errors})
    values = {"steps": [{"kind": s["kind"], "policy_record": s.get("policy_record", RecordPolicy.SKIP),
                         "policy_step": s.get("policy_step", StepPolicy.GO_ON)} for s in data.get("steps", [])],
              "cron": data.get("cron", "") or "", "is_active": bool(data.get("is_active", True)),
              "allowed_roles": list(data.get("allowed_roles", []))}
    found = ExchangeTask.objects.filter(node=node, name=data["name"]).first()
    if found is None:
        return record_create(ExchangeTask, user=user, data={"node": node, "name": data["name"], **values},
                             fields=("node", *TASK_FIELDS))
    return record_update(found, user=user, data=values, fields=TASK_FIELDS)


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise TaskInvalid("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), code="exchange.task.invalid",
                          extra={"errors": errors})


def task_problems(*, node: ExchangeNode, data: dict, task: ExchangeTask | None = None) -> dict[str, list[str]]:
    """Everything wrong with a task as the task form sends it: `task_check`'s problems, a name another task
    of the node has, and people named who could not run it anyway (their role lacks the exchange's "run")."""
    errors = task_check(data)
    _steps_fit(node, data.get("steps", []), errors)
    others = ExchangeTask.objects.filter(node=node, name=data.get("name") or "")
    if task is not None:
        others = others.exclude(pk=task.pk)
    if "name" not in errors and others.exists():
        errors["name"] = [_("The node has a task of this name already.")]
    unable = [str(u) for u in data.get("allowed_users", []) if not (u.is_active and allows(u, "run", ExchangeTask))]
    if unable:
        errors["allowed_users"] = [_("%(users)s may not run exchange tasks: their role lacks the right.")
                                   % {"users": ", ".join(unable)}]
    return errors


def _task_values(data: dict) -> dict:
    return {"name": data["name"],
            "steps": [{"kind": s["kind"], "policy_record": s.get("policy_record") or RecordPolicy.SKIP,
                       "policy_step": s.get("policy_step") or StepPolicy.GO_ON} for s in data["steps"]],
            "cron": (data.get("cron") or "").strip(), "is_active": bool(data.get("is_active", True)),
            "allowed_roles": list(data.get("allowed_roles", []))}


def _allowed_users_set(task: ExchangeTask, users, *, user) -> None:
    # The people on a task are a many-to-many, which record_update does not see: journal them here.
    before = sorted(str(pk) for pk in task.allowed_users.values_list("pk", flat=True))
    after = sorted(str(u.pk) for u in users)
    if before != after:
        task.allowed_users.set(users)
        journal_record(obj=task, operation=Operation.UPDATE, changes={"allowed_users": [before, after]}, user=user)


@transaction.atomic
def task_create(*, user, node: ExchangeNode, data: dict) -> ExchangeTask:
    """Add a task to the node from the task form (name, steps, cron, is_active, allowed_users, allowed_roles);
    TaskInvalid lists every problem by field and nothing is written."""
    _refuse(task_problems(node=node, data=data))
    task = record_create(ExchangeTask, user=user, data={"node": node, **_task_values(data)}, fields=("node", *TASK_FIELDS))
    _allowed_users_set(task, data.get("allowed_users", []), user=user)
    return task


@transaction.atomic
def task_update(*, user, task: ExchangeTask, data: dict) -> ExchangeTask:
    """Change a task from the task form (it may be renamed); TaskInvalid lists every problem, nothing is written."""
    _refuse(task_problems(node=task.node, data=data, task=task))
    task = record_update(task, user=user, data=_task_values(data), fields=TASK_FIELDS)
    _allowed_users_set(task, data.get("allowed_users", []), user=user)
    return task


@transaction.atomic
def task_delete(*, user, task: ExchangeTask) -> None:
    """Remove a task; its past runs stay (they lose the link). A task that runs right now is not removed."""
    if NodeLock.objects.filter(task=task).exists():
        raise NodeBusy(_("The task %(task)s runs right now: delete it when it has finished.") % {"task": task.name},
                       code="exchange.task.running")
    record_delete(task, user=user)


def task_start(*, user, task: ExchangeTask, dry_run: bool = False) -> None:
    """Hand a task to the background worker as `user` (the job the scheduler starts, run as that user).

    Refused before anything is queued when the user may not run it, when it is switched off (only
    administrators run a switched-off task by hand) or when the node runs a task already.
    """
    if not may_run(user, task):
        raise PermissionDenied(_("You may not run the task %(task)s.") % {"task": task.name}, code="access.denied")
    if not (task.is_active and task.node.is_active) and not is_admin(user):
        raise PermissionDenied(_("The task %(task)s is switched off.") % {"task": task.name},
                               code="exchange.task.inactive")
    lock = node_busy(task.node)
    if lock is not None:
        running = lock.task.name if lock.task else "-"
        raise NodeBusy(_("The node %(node)s runs the task %(task)s since %(since)s: one run at a time; start this "
                         "one when it has finished.") % {
            "node": task.node.code, "task": running,
            "since": timezone.localtime(lock.acquired_at).strftime("%H:%M:%S")}, code="exchange.node.busy")
    user_id = str(user.pk) if getattr(user, "pk", None) else None
    transaction.on_commit(lambda: run_task_job(str(task.pk), user_id, dry_run))



def dispatch_due(now: datetime | None = None, run: Callable[[str], None] | None = None) -> list[ExchangeTask]:
    """Start every task due at `now` (default: the current time) through `run` (default: the Huey job)."""
    return due_tasks_start(now or timezone.now(), run or (lambda pk: run_task_job(str(pk))))
