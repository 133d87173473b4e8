"""An EnterpriseData exchange as a task step: by hand, on a schedule, with its run in the task's report."""

from __future__ import annotations

import datetime as dt

import pytest

from raccordo.core.models import ChangeJournal
from raccordo.exchange import scheduling, task_running
from raccordo.exchange.enterprisedata.models import SentMessage
from raccordo.exchange.formats.enterprisedata import counterparties as fmt
from raccordo.exchange.models import ExchangeTask, NodeKind, RunStatus, StepKind
from raccordo.exchange.services import node_create
from raccordo.parties.models import Counterparty
from raccordo.parties.services import counterparty_create

from .conftest import needs_corpus

pytestmark = pytest.mark.django_db
STEP = {"kind": StepKind.ENTERPRISEDATA, "policy_record": "skip", "policy_step": "go_on"}


def _task(node, cron=""):
    return scheduling.task_create(user=None, node=node, data={"name": "exchange", "steps": [STEP], "cron": cron})


@needs_corpus
def test_the_step_runs_the_exchange_with_a_1c_folder_peer(node, peer):
    task = _task(node)
    peer.send(settings_only=True)
    [run] = task_running.task_run(task=task)
    assert (run.status, run.kind, run.task_id) == (RunStatus.SUCCEEDED, "enterprisedata", task.pk), run.message
    header, _records = peer.receive()
    assert header.version == "1.17" and header.message_no == 1

    rec = fmt.CounterpartyRec(ref="5a1c1b8e-7a3d-11ee-b962-0242ac120002", name="Ромашка", inn="7707083893",
                              kpp="770701001")
    peer.send([lambda v: fmt.counterparty_element(rec, v)])
    [run] = task_running.task_run(task=task)
    assert (run.status, run.created) == (RunStatus.SUCCEEDED, 1), run.message
    assert Counterparty.objects.filter(inn="7707083893").exists()
    assert list(task.runs.values_list("kind", flat=True)) == ["enterprisedata", "enterprisedata"]
    # 1C confirmed our message 1 (its ReceivedNo); message 2 waits for its confirmation.
    assert list(SentMessage.objects.filter(node=node).values_list("number", flat=True)) == [2]


@needs_corpus
def test_a_scheduled_task_starts_the_exchange(node, peer):
    task = _task(node, cron="*/5 * * * *")
    peer.send(settings_only=True)
    started = []
    due = task_running.due_tasks_start(dt.datetime(2026, 1, 5, 10, 15, tzinfo=dt.UTC), started.append)
    assert due == [task] and started == [str(task.pk)]
    [run] = task_running.task_job(started[0])
    assert run.status == RunStatus.SUCCEEDED
    assert (node.path and (peer.folder / "Message_RC_BP.xml").is_file())


def test_a_node_without_codes_fails_the_step_with_the_reason(tmp_path):
    node = node_create(user=None, code="bp2", kind=NodeKind.ENTERPRISEDATA, path=str(tmp_path))
    task = _task(node)
    [run] = task_running.task_run(task=task)
    assert run.status == RunStatus.FAILED and run.task_id == task.pk
    assert "no EnterpriseData codes" in run.message


@needs_corpus
def test_a_dry_run_says_what_would_happen_and_writes_nothing(node, peer, manager):
    task = _task(node)
    peer.send(settings_only=True)
    task_running.task_run(task=task)
    peer.receive()
    counterparty_create(user=manager, data={"name": "Ours", "inn": "500100732259", "kind": "sole_trader"})
    rec = fmt.CounterpartyRec(ref="5a1c1b8e-7a3d-11ee-b962-0242ac120002", name="Ромашка", inn="7707083893",
                              kpp="770701001")
    peer.send([lambda v: fmt.counterparty_element(rec, v)])
    node.refresh_from_db()
    numbers = (node.last_received_no, node.last_sent_no, node.export_cursor)
    files = {p.name: p.stat().st_mtime_ns for p in peer.folder.iterdir()}
    journal = ChangeJournal.objects.count()

    [run] = task_running.task_run(task=task, dry_run=True)
    assert (run.status, run.kind, run.created) == (RunStatus.SUCCEEDED, "dry-run", 1), run.message
    assert "would carry 1 object(s)" in run.message and "nothing was written" in run.message
    assert not Counterparty.objects.filter(inn="7707083893").exists()
    node.refresh_from_db()
    assert (node.last_received_no, node.last_sent_no, node.export_cursor) == numbers
    assert {p.name: p.stat().st_mtime_ns for p in peer.folder.iterdir()} == files
    assert ChangeJournal.objects.count() == journal

    # The real run then does what the dry run said.
    [run] = task_running.task_run(task=task)
    assert run.created == 1 and Counterparty.objects.filter(inn="7707083893").exists()
    _header, records = peer.receive()
    assert [r.name for r in records if isinstance(r, fmt.CounterpartyRec)] == ["Ours"]


def test_steps_must_fit_the_node_kind(node, tmp_path):
    with pytest.raises(scheduling.TaskInvalid) as err:
        scheduling.task_create(user=None, node=node, data={"name": "wrong", "steps": [
            {"kind": StepKind.IMPORT_FOLDER}]})
    assert "steps[0].kind" in err.value.extra["errors"]
    folder = node_create(user=None, code="files", kind=NodeKind.FOLDER, path=str(tmp_path))
    with pytest.raises(scheduling.TaskInvalid):
        scheduling.task_create(user=None, node=folder, data={"name": "wrong", "steps": [STEP]})
    assert ExchangeTask.objects.count() == 0
    assert scheduling.step_kinds_for(node) == [(StepKind.ENTERPRISEDATA.value, str(StepKind.ENTERPRISEDATA.label))]
