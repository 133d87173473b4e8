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

from raccordo.access.policy import allows, is_admin
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.services import record_create, record_update

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
    return crontab(month=month, day=day, day_of_week=weekday, hour=hour, minute=minute)


def steps_check(steps, path: str = "steps") -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(steps, list):
        return {path: [_("A list of steps is expected.")]}
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


def may_run(user, task: ExchangeTask) -> bool:
    """Administrators run every task; others need the exchange's "run" right and to be named on the task
    (as a user or by role) when the task names anyone."""
    if user is None or is_admin(user):
        return True
    if not allows(user, "run", ExchangeTask):
        return False
    if not task.allowed_roles and not task.allowed_users.exists():
        return True
    return user.role in task.allowed_roles or task.allowed_users.filter(pk=user.pk).exists()


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
    return exchange_import(paths=files, node=node, user=user, run=run, dry_run=dry_run,
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


def task_job(task_id: str) -> list[Run]:
    """The worker's side of a scheduled start: a busy node refuses it (logged), the next minute may start it."""
    task = ExchangeTask.objects.select_related("node").filter(pk=task_id).first()
    if task is None:
        return []
    try:
        return task_run(task=task)
    except NodeBusy as exc:
        log.warning("scheduled task %s refused: %s", task, exc.message)
        return []
