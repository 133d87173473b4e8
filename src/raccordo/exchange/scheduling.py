"""Exchange tasks: ordered steps of a node, their cron schedules, one active run per node, who may run them."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab

from raccordo.access.policy import allows, holds_role, is_admin, role_names
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import journal_record
from raccordo.core.models import Operation

from .engine import finish_run, start_run
from .models import ExchangeNode, ExchangeTask, NodeLock, RecordPolicy, Run, RunStatus, StepKind, StepPolicy

log = logging.getLogger(__name__)

# 1C writes a catalog exchange in this order; order documents come last.
FOLDER_ORDER = ("import", "offers", "prices", "rests")
STALE_LOCK = timedelta(hours=6)


class NodeBusy(ApplicationError):
    """The node runs a task already: one active run per node."""


class TaskInvalid(ApplicationError):
    """A task that may not be saved; `extra["errors"]` maps a JSON path to messages."""


def cron_parse(expr: str) -> Callable[[datetime], bool]:
    """`minute hour day month weekday` -> a test of a datetime (huey's crontab; weekday 0 is Sunday)."""
    parts = (expr or "").split()
    if len(parts) != 5:
        raise ValueError(_("A schedule has five fields: minute hour day month weekday."))
    minute, hour, day, month, weekday = parts
    try:
        # strict: huey otherwise drops a piece it cannot read ("0,x" would quietly mean "0").
        return crontab(month=month, day=day, day_of_week=weekday, hour=hour, minute=minute, strict=True)
    except ValueError as exc:
        raise ValueError(_("The schedule %(expr)s cannot be read: %(reason)s (minute 0-59, hour 0-23, day 1-31, "
                           "month 1-12, weekday 0-6 with 0 for Sunday; * , - and */n).")
                         % {"expr": expr, "reason": exc}) from exc


def cron_next(expr: str, *, after: datetime, count: int = 3, years: int = 5) -> list[datetime]:
    """The next `count` minutes after `after` at which the schedule `expr` starts a task (the server's time
    zone, as the dispatcher reads it); fewer when it never comes within `years` (e.g. "0 0 31 2 *").

    Each field is read by `cron_parse` alone (the other four "*"), so the preview and the dispatcher agree.
    """
    cron_parse(expr)   # raises ValueError with the reason
    minute, hour, day, month, weekday = expr.split()
    base = datetime(2001, 1, 1)   # a Monday
    minutes = [m for m in range(60) if cron_parse(f"{minute} * * * *")(base.replace(minute=m))]
    hours = [h for h in range(24) if cron_parse(f"* {hour} * * *")(base.replace(hour=h))]
    days = {d for d in range(1, 32) if cron_parse(f"* * {day} * *")(base.replace(day=d))}
    months = {m for m in range(1, 13) if cron_parse(f"* * * {month} *")(base.replace(month=m))}
    weekdays = {w for w in range(7) if cron_parse(f"* * * * {weekday}")(base + timedelta(days=w))}
    tz = timezone.get_default_timezone()
    start = timezone.localtime(after, tz).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
    found: list[datetime] = []
    date = start.date()
    for _day in range(366 * years):
        if date.month in months and date.day in days and date.weekday() in weekdays:
            for h in hours:
                for m in minutes:
                    moment = datetime(date.year, date.month, date.day, h, m)
                    if moment >= start:
                        found.append(timezone.make_aware(moment, tz))
                        if len(found) == count:
                            return found
        date += timedelta(days=1)
    return found


def steps_check(steps, path: str = "steps") -> dict[str, list[str]]:
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
    from django.core.validators import validate_slug
    try:
        validate_slug(data.get("name") or "")
    except Exception:
        errors[f"{pre}name"] = [_("A name of letters, digits, - and _ is expected.")]
    return errors


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
        return record_create(ExchangeTask, user=user, data={"node": node, "name": data["name"], **values})
    return record_update(found, user=user, data=values)


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise TaskInvalid("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), code="exchange.task.invalid",
                          extra={"errors": errors})


def task_problems(*, node: ExchangeNode, data: dict, task: ExchangeTask | None = None) -> dict[str, list[str]]:
    """Everything wrong with a task as the task form sends it: `task_check`'s problems, a name another task
    of the node has, and people named who could not run it anyway (their role lacks the exchange's "run")."""
    errors = task_check(data)
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
    task = record_create(ExchangeTask, user=user, data={"node": node, **_task_values(data)})
    _allowed_users_set(task, data.get("allowed_users", []), user=user)
    return task


@transaction.atomic
def task_update(*, user, task: ExchangeTask, data: dict) -> ExchangeTask:
    """Change a task from the task form (it may be renamed); TaskInvalid lists every problem, nothing is written."""
    _refuse(task_problems(node=task.node, data=data, task=task))
    task = record_update(task, user=user, data=_task_values(data))
    _allowed_users_set(task, data.get("allowed_users", []), user=user)
    return task


@transaction.atomic
def task_delete(*, user, task: ExchangeTask) -> None:
    """Remove a task; its past runs stay (they lose the link). A task that runs right now is not removed."""
    if NodeLock.objects.filter(task=task).exists():
        raise NodeBusy(_("The task %(task)s runs right now: delete it when it has finished.") % {"task": task.name},
                       code="exchange.task.running")
    record_delete(task, user=user)


def node_busy(node: ExchangeNode) -> NodeLock | None:
    """The lock of the task the node runs now (none, or one left by a crashed worker, means it is free)."""
    return (NodeLock.objects.select_related("task").filter(node=node, acquired_at__gte=timezone.now() - STALE_LOCK)
            .first())


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
    from .tasks import run_task_job

    user_id = str(user.pk) if getattr(user, "pk", None) else None
    transaction.on_commit(lambda: run_task_job(str(task.pk), user_id, dry_run))


def may_run(user, task: ExchangeTask) -> bool:
    """Administrators run every task; others need the exchange's "run" right and to be named on the task
    (as a user, or by the role that decides their rights: a custom role by its name) when it names anyone."""
    if user is None or is_admin(user):
        return True
    if not allows(user, "run", ExchangeTask):
        return False
    if not task.allowed_roles and not task.allowed_users.exists():
        return True
    return holds_role(user, task.allowed_roles) or task.allowed_users.filter(pk=user.pk).exists()


def folder_files(path: str | Path) -> list[Path]:
    """The *.xml files of a folder in 1C's order: import*, offers*, prices*, rests*, then orders and the rest."""
    def key(p: Path) -> tuple[int, str]:
        name = p.name.lower()
        rank = next((i for i, prefix in enumerate(FOLDER_ORDER) if name.startswith(prefix)), len(FOLDER_ORDER))
        return rank, name
    return sorted((p for p in Path(path).glob("*.xml") if p.is_file()), key=key)


def _lock(node: ExchangeNode, task: ExchangeTask) -> NodeLock:
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return NodeLock.objects.create(node=node, task=task)
        except IntegrityError:
            # A lock left by a crashed worker ends after STALE_LOCK.
            stale = NodeLock.objects.filter(node=node, acquired_at__lt=timezone.now() - STALE_LOCK).delete()[0]
            if not stale:
                break
    raise NodeBusy(_("The node %(node)s runs a task already: one run at a time.") % {"node": node.code},
                   code="exchange.node.busy")


def _import_folder(task: ExchangeTask, step: dict, *, user, dry_run: bool) -> Run:
    from .services import exchange_import

    node = task.node
    files = folder_files(node.path) if node.path else []
    run = start_run(node=node, kind="dry-run" if dry_run else "import", files=[f.name for f in files], user=user,
                    on_record_error=step.get("policy_record", RecordPolicy.SKIP))
    run.task = task
    run.save(update_fields=["task"])
    if not node.path or not Path(node.path).is_dir():
        return finish_run(run, error=_("The node's folder %(path)s cannot be read.") % {"path": node.path or "-"})
    if not files:
        return finish_run(run)   # nothing to import is not a failure
    # keep: the folder's files are replaced by the next exchange; the run keeps its own for a retry.
    return exchange_import(paths=files, node=node, user=user, run=run, dry_run=dry_run, keep=not dry_run,
                           on_record_error=step.get("policy_record", RecordPolicy.SKIP))


def _export_orders(task: ExchangeTask, step: dict, *, user, dry_run: bool) -> Run:
    from .exporters.orders import orders_export

    node = task.node
    run = start_run(node=node, kind="export", user=user)
    run.task = task
    try:
        if dry_run:
            with transaction.atomic():
                count = orders_export(node=node, out=io.BytesIO(), acknowledge=False)
                transaction.set_rollback(True)
            run.progress_done = count
            finish_run(run)
            run.message = _("%(count)d order(s) would be written.") % {"count": count}
            run.save(update_fields=["message"])
            return run
        out_dir = Path(node.path) / "out" if node.path else None
        if out_dir is None:
            return finish_run(run, error=_("The node has no folder to write orders to."))
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"orders-{timezone.now():%Y%m%d-%H%M%S}-{str(run.pk)[:8]}.xml"
        with target.open("wb") as out:
            count = orders_export(node=node, out=out, acknowledge=False)
        run.files = [target.name]
        run.progress_done = count
        finish_run(run)
        run.message = _("%(count)d order(s) written to %(file)s") % {"count": count, "file": target.name}
        run.save(update_fields=["message"])
        return run
    except Exception as exc:  # the step fails with its reason; the task's step policy decides what follows
        log.exception("export of orders failed for node %s", node.code)
        return finish_run(run, error=f"{type(exc).__name__}: {exc}")


STEP_RUNNERS = {StepKind.IMPORT_FOLDER: _import_folder, StepKind.EXPORT_ORDERS: _export_orders}


def task_run(*, task: ExchangeTask, user=None, dry_run: bool = False) -> list[Run]:
    """Run a task's steps in order (one run each) while holding the node's lock; return the runs.

    A failing record follows the step's record policy (skip / end the step / stop the run); a failed or
    ended step then follows its step policy (go on / stop); "stop the run" stops the whole task.
    """
    if user is not None and not may_run(user, task):
        raise PermissionDenied(_("You may not run the task %(task)s.") % {"task": task.name}, code="access.denied")
    lock = _lock(task.node, task)
    runs: list[Run] = []
    try:
        for step in task.steps:
            run = STEP_RUNNERS[step["kind"]](task, step, user=user, dry_run=dry_run)
            runs.append(run)
            failed = run.status in (RunStatus.FAILED, RunStatus.STOPPED)
            if run.status == RunStatus.STOPPED and step.get("policy_record") == RecordPolicy.STOP_RUN:
                break
            if failed and step.get("policy_step", StepPolicy.GO_ON) == StepPolicy.STOP:
                break
    finally:
        NodeLock.objects.filter(pk=lock.pk).delete()
    return runs


def due_tasks(now: datetime) -> list[ExchangeTask]:
    """Active scheduled tasks whose cron matches `now`'s minute (local time) and that have not started in it."""
    minute = timezone.localtime(now).replace(second=0, microsecond=0)
    due = []
    for task in ExchangeTask.objects.filter(is_active=True, node__is_active=True).exclude(cron="") \
            .select_related("node"):
        try:
            matches = cron_parse(task.cron)(minute.replace(tzinfo=None))
        except ValueError:
            continue
        if not matches:
            continue
        # Claim the minute: a second dispatcher in the same minute finds it claimed.
        claimed = ExchangeTask.objects.filter(pk=task.pk).filter(
            Q(last_scheduled_at__isnull=True) | Q(last_scheduled_at__lt=minute)).update(last_scheduled_at=minute)
        if claimed:
            due.append(task)
    return due


def dispatch_due(now: datetime | None = None, run: Callable[[str], None] | None = None) -> list[ExchangeTask]:
    """Start every task due at `now` (default: the current time) through `run` (default: the Huey job)."""
    if run is None:
        from .tasks import run_task_job

        def run(pk):
            run_task_job(str(pk))
    tasks = due_tasks(now or timezone.now())
    for task in tasks:
        run(str(task.pk))
    return tasks


def task_job(task_id: str, user_id: str | None = None, dry_run: bool = False) -> list[Run]:
    """The worker's side of a start (scheduled, or by hand as `user_id`): a busy node refuses it (logged), the
    next minute may start it; the person's right to run it is checked again in the worker."""
    task = ExchangeTask.objects.select_related("node").filter(pk=task_id).first()
    if task is None:
        return []
    user = None
    if user_id is not None:
        from raccordo.access.models import User

        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            log.warning("task %s not run: user %s is gone or switched off", task, user_id)
            return []
    try:
        return task_run(task=task, user=user, dry_run=dry_run)
    except (NodeBusy, PermissionDenied) as exc:
        log.warning("task %s refused: %s", task, exc.message)
        return []
