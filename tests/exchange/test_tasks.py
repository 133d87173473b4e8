"""Exchange tasks: steps in order, cron schedules started by the dispatcher, one active run per node."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from raccordo.catalog.models import Product
from raccordo.exchange import scheduling
from raccordo.exchange.models import NodeLock, Run
from raccordo.exchange.scheduling import (
    NodeBusy,
    TaskInvalid,
    dispatch_due,
    folder_files,
    task_job,
    task_run,
    task_save,
)
from raccordo.exchange.services import node_create
from tests.exchange.test_runs import catalog_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(tmp_path):
    (tmp_path / "import0_1.xml").write_bytes(catalog_xml(5))
    node = node_create(user=None, code="drop", kind="folder", path=str(tmp_path))
    return task_save(user=None, node=node, data={"name": "nightly", "cron": "0 2 * * *",
                                                 "steps": [{"kind": "import-folder"}]})


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 3, 2, hour, minute, second))


def test_a_scheduled_task_runs_at_its_time_once(task):
    started = []
    assert dispatch_due(now=at(1, 59), run=started.append) == [] and not Run.objects.exists()
    assert dispatch_due(now=at(2, 0, 5), run=task_job) == [task]
    run = Run.objects.get()
    assert run.task == task and run.status == "succeeded" and Product.objects.count() == 5
    assert dispatch_due(now=at(2, 0, 40), run=started.append) == []   # the same minute: not again
    assert dispatch_due(now=at(2, 1), run=started.append) == [] and not started
    assert not NodeLock.objects.exists()


def test_a_second_run_of_the_same_node_is_refused(task, monkeypatch):
    refused = []

    def step(task_, step_, *, user, dry_run):   # while the first run holds the node, a second one starts
        with pytest.raises(NodeBusy):
            task_run(task=task_)
        refused.append(True)
        return original(task_, step_, user=user, dry_run=dry_run)

    original = scheduling.STEP_RUNNERS["import-folder"]
    monkeypatch.setitem(scheduling.STEP_RUNNERS, "import-folder", step)
    runs = task_run(task=task)
    assert refused == [True] and [r.status for r in runs] == ["succeeded"]
    assert not NodeLock.objects.exists()            # released: the next run may start
    NodeLock.objects.create(node=task.node)
    with pytest.raises(CommandError, match="runs a task already"):
        call_command("exchange", "run", "nightly")


def test_cli_dry_run_writes_nothing_and_steps_follow_their_policies(task, tmp_path):
    call_command("exchange", "run", "drop/nightly", "--dry-run")
    assert Product.objects.count() == 0 and Run.objects.get().kind == "dry-run"
    # A failing step that says "stop" ends the task; the export after it does not run.
    task.node.path = str(tmp_path / "missing")
    task.node.save()
    task = task_save(user=None, node=task.node, data={"name": "nightly", "steps": [
        {"kind": "import-folder", "policy_step": "stop"}, {"kind": "export-orders"}]})
    assert [r.status for r in task_run(task=task)] == ["failed"]
    task = task_save(user=None, node=task.node, data={"name": "nightly", "steps": [
        {"kind": "import-folder", "policy_step": "go_on"}, {"kind": "export-orders"}]})
    assert [r.kind for r in task_run(task=task)] == ["import", "export"]


def test_folder_order_and_task_validation(tmp_path, task):
    for name in ("rests0_1.xml", "orders-1.xml", "offers0_1.xml", "import0_1.xml", "prices0_1.xml", "a.txt"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in folder_files(tmp_path)] == ["import0_1.xml", "offers0_1.xml", "prices0_1.xml",
                                                        "rests0_1.xml", "orders-1.xml"]
    with pytest.raises(TaskInvalid) as caught:
        task_save(user=None, node=task.node, data={"name": "x", "cron": "61 * * * *",
                                                   "steps": [{"kind": "import-folder", "policy_record": "cry"}]})
    assert set(caught.value.extra["errors"]) == {"cron", "steps[0].policy_record"}
