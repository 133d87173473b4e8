"""Running exchange tasks: one active run per node (its lock), who may run a task, the steps (import a folder,
export orders) under their policies, the tasks due at a minute, and the worker's side of a start.

Below the Huey tasks (`tasks`) that call it; queuing a task for the worker is `scheduling`.
"""

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

from raccordo.access.models import User
from raccordo.access.policy import allows, holds_role, is_admin
from raccordo.core.errors import ApplicationError, PermissionDenied

from .cron import cron_parse
from .engine import finish_run, start_run
from .enterprisedata.services import ExchangeRefused, enterprisedata_exchange
from .exporters.orders import orders_export
from .models import ExchangeNode, ExchangeTask, NodeLock, RecordPolicy, Run, RunStatus, StepKind, StepPolicy
from .services import exchange_import

log = logging.getLogger(__name__)

# 1C writes a catalog exchange in this order; order documents come last.
FOLDER_ORDER = ("import", "offers", "prices", "rests")
STALE_LOCK = timedelta(hours=6)


class NodeBusy(ApplicationError):
    """The node runs a task already: one active run per node."""



def node_busy(node: ExchangeNode) -> NodeLock | None:
    """The lock of the task the node runs now (none, or one left by a crashed worker, means it is free)."""
    return (NodeLock.objects.select_related("task").filter(node=node, acquired_at__gte=timezone.now() - STALE_LOCK)
            .first())



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


def _enterprisedata(task: ExchangeTask, step: dict, *, user, dry_run: bool) -> Run:
    """One EnterpriseData exchange with the node's 1C base (the service the CLI runs), as a step of the task."""
    node = task.node
    try:
        run = enterprisedata_exchange(node=node, user=user, dry_run=dry_run)
    except ExchangeRefused as exc:
        # No folder, no codes, not an EnterpriseData node: the step fails with the reason in its run.
        run = start_run(node=node, kind="dry-run" if dry_run else "enterprisedata", user=user)
        run.task = task
        run.save(update_fields=["task"])
        return finish_run(run, error=exc.message)
    run.task = task
    run.save(update_fields=["task"])
    return run


STEP_RUNNERS = {StepKind.IMPORT_FOLDER: _import_folder, StepKind.EXPORT_ORDERS: _export_orders,
                StepKind.ENTERPRISEDATA: _enterprisedata}


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


def due_tasks_start(now: datetime, run: Callable[[str], None]) -> list[ExchangeTask]:
    """Start every task due at `now` through `run` (given the task's id); return them."""
    tasks = due_tasks(now)
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
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            log.warning("task %s not run: user %s is gone or switched off", task, user_id)
            return []
    try:
        return task_run(task=task, user=user, dry_run=dry_run)
    except (NodeBusy, PermissionDenied) as exc:
        log.warning("task %s refused: %s", task, exc.message)
        return []
