"""Tasks and schedules in the web interface: the task form and its validation, the next starts, Run now and
Dry run with their rights and the one-run-per-node lock, and the list of tasks an accountant may run."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from raccordo.catalog.models import Product
from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import ExchangeTask, NodeLock, Run
from raccordo.exchange.scheduling import TaskInvalid, cron_next, cron_parse, task_create, task_save
from raccordo.exchange.services import node_create
from tests.exchange.test_runs import catalog_xml
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def node(tmp_path):
    (tmp_path / "import0_1.xml").write_bytes(catalog_xml(4))
    return node_create(user=None, code="drop", name="Drop folder", kind="folder", path=str(tmp_path))


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def accountant(db):
    return UserFactory(username="boris", role="accountant")


def task_post(**overrides):
    data = {"name": "nightly", "cron": "0 2 * * *", "is_active": "on",
            "step_kind": ["import-folder", "export-orders"], "step_policy_record": ["skip", "stop_run"],
            "step_policy_step": ["stop", "go_on"]}
    data.update(overrides)
    return data


def text(reply) -> str:
    return html.unescape(reply.content.decode())


def test_a_task_is_created_with_its_ordered_steps_schedule_and_rights(admin, node, accountant):
    url = reverse("exchange:task_create", args=[node.pk])
    page = admin.get(url).content.decode()
    assert 'data-testid="task-form"' in page and 'data-testid="step-kind-0"' in page
    reply = admin.post(url, task_post(allowed_users=[str(accountant.pk)], allowed_roles=["accountant"]))
    assert reply.status_code == 302 and reply.url.endswith("#tasks")
    task = ExchangeTask.objects.get()
    assert task.node == node and task.name == "nightly" and task.cron == "0 2 * * *" and task.is_active
    assert task.steps == [{"kind": "import-folder", "policy_record": "skip", "policy_step": "stop"},
                          {"kind": "export-orders", "policy_record": "stop_run", "policy_step": "go_on"}]
    assert list(task.allowed_users.all()) == [accountant] and task.allowed_roles == ["accountant"]
    entries = ChangeJournal.objects.filter(object_id=task.pk)
    assert {e.operation for e in entries} == {"create", "update"}       # the people are journaled too
    assert any("allowed_users" in e.changes for e in entries)
    node_page = admin.get(reverse("onec:node_detail", args=[node.pk])).content.decode()
    assert 'data-testid="task-run-nightly"' in node_page and 'data-testid="task-dry-run-nightly"' in node_page
    assert "Import the node&#x27;s folder" in node_page or "Import the node's folder" in node_page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"cron": "61 2 * * *"}, "id_cron_error", "The schedule 61 2 * * * cannot be read: 61 is not a valid input"),
    ({"cron": "every night"}, "id_cron_error", "A schedule has five fields"),
    ({"cron": "0,x 2 * * *"}, "id_cron_error", "x is not a valid input"),
    ({"step_kind": [], "step_policy_record": [], "step_policy_step": []}, "task-steps-error",
     "A task needs at least one step."),
    ({"step_kind": ["import-folder", "dance"]}, "step-error-1", "Unknown step 'dance'"),
    ({"step_policy_record": ["skip", "cry"]}, "step-error-1", "One of skip, end_step, stop_run."),
    ({"name": "night ly"}, "id_name_error", "A name of letters, digits, - and _ is expected."),
])
def test_a_wrong_task_is_refused_on_the_form_and_nothing_is_saved(admin, node, changes, field, message):
    reply = admin.post(reverse("exchange:task_create", args=[node.pk]), task_post(**changes))
    page = text(reply)
    assert reply.status_code == 422
    assert re.search(rf'(id|data-testid)="{field}"[^>]*>[^<]*{re.escape(message)}', page), page[-4000:]
    assert not ExchangeTask.objects.exists() and not ChangeJournal.objects.filter(
        content_type__model="exchangetask").exists()


def test_every_problem_is_shown_at_once(admin, node):
    reply = admin.post(reverse("exchange:task_create", args=[node.pk]),
                       task_post(cron="0 25 * * *", step_kind=["import-folder", "dance"]))
    page = text(reply)
    assert 'id="id_cron_error"' in page and 'data-testid="step-error-1"' in page
    assert not ExchangeTask.objects.exists()


def test_people_whose_role_cannot_run_exchange_tasks_are_refused(admin, admin_user, node, manager, accountant):
    url = reverse("exchange:task_create", args=[node.pk])
    page = admin.get(url).content.decode()
    assert f'value="{accountant.pk}"' in page and f'value="{manager.pk}"' not in page   # not offered
    reply = admin.post(url, task_post(allowed_users=[str(manager.pk)]))
    assert reply.status_code == 422 and 'data-testid="task-allowed_users-error"' in reply.content.decode()
    # The service refuses them too, whoever calls it.
    with pytest.raises(TaskInvalid) as caught:
        task_create(user=admin_user, node=node, data={"name": "n", "steps": [{"kind": "import-folder"}],
                                                      "allowed_users": [manager]})
    assert caught.value.extra["errors"]["allowed_users"] == [
        f"{manager} may not run exchange tasks: their role lacks the right."]
    assert not ExchangeTask.objects.exists()


def test_a_second_task_of_the_same_name_is_refused(admin, node):
    task_save(user=None, node=node, data={"name": "nightly", "steps": [{"kind": "import-folder"}]})
    reply = admin.post(reverse("exchange:task_create", args=[node.pk]), task_post())
    assert reply.status_code == 422 and "The node has a task of this name already." in text(reply)
    assert ExchangeTask.objects.count() == 1


def test_steps_are_added_removed_and_moved_without_saving(admin, node):
    url = reverse("exchange:task_create", args=[node.pk])

    def kinds(reply):
        rows = re.findall(r'data-testid="step-kind-\d+">(.*?)</select>', reply.content.decode(), re.S)
        return [re.search(r'<option value="([^"]+)" selected', row).group(1) for row in rows]

    base = task_post()
    added = admin.post(url, {**base, "step_action": "add"})
    assert added.status_code == 200 and kinds(added) == ["import-folder", "export-orders", "import-folder"]
    moved = admin.post(url, {**base, "step_action": "up-1"})
    assert kinds(moved) == ["export-orders", "import-folder"]
    assert 'value="stop_run" selected' in moved.content.decode().split('data-testid="step-policy-record-0"')[1][:600]
    assert kinds(admin.post(url, {**base, "step_action": "down-0"})) == ["export-orders", "import-folder"]
    assert kinds(admin.post(url, {**base, "step_action": "remove-0"})) == ["export-orders"]
    assert kinds(admin.post(url, {**base, "step_action": "down-9"})) == ["import-folder", "export-orders"]
    assert not ExchangeTask.objects.exists()


def test_the_next_three_starts_are_previewed_as_the_dispatcher_reads_the_schedule(admin):
    url = reverse("exchange:task_cron_preview")
    page = admin.get(url, {"cron": "30 2 * * 1-5"}).content.decode()
    times = re.findall(r'<time datetime="([^"]+)"', page)
    assert len(times) == 3
    expected = cron_next("30 2 * * 1-5", after=timezone.now())
    assert times == [t.isoformat() for t in expected]
    test = cron_parse("30 2 * * 1-5")
    assert all(test(timezone.localtime(t).replace(tzinfo=None)) for t in expected)
    assert all(timezone.localtime(t).weekday() < 5 and (timezone.localtime(t).hour, t.minute) == (2, 30)
               for t in expected)
    assert "cannot be read" in text(admin.get(url, {"cron": "0 2 * * mon"}))
    assert "never comes" in admin.get(url, {"cron": "0 0 31 2 *"}).content.decode()
    assert "only when started by hand" in admin.get(url, {"cron": ""}).content.decode()


def test_a_task_is_renamed_and_deleted(admin, node):
    task = task_save(user=None, node=node, data={"name": "nightly", "steps": [{"kind": "import-folder"}]})
    edit = reverse("exchange:task_edit", args=[task.pk])
    assert 'value="nightly"' in admin.get(edit).content.decode()
    assert admin.post(edit, task_post(name="hourly", cron="0 * * * 1-5")).status_code == 302
    task.refresh_from_db()
    assert (task.name, task.cron, len(task.steps)) == ("hourly", "0 * * * 1-5", 2)
    NodeLock.objects.create(node=node, task=task)
    reply = admin.post(reverse("exchange:task_delete", args=[task.pk]), follow=True)
    assert "runs right now" in text(reply) and ExchangeTask.objects.exists()
    NodeLock.objects.all().delete()
    admin.post(reverse("exchange:task_delete", args=[task.pk]))
    assert not ExchangeTask.objects.exists()
    assert ChangeJournal.objects.filter(object_id=task.pk, operation="delete").exists()


@pytest.mark.django_db(transaction=True)   # the worker is handed the task when the request commits
def test_run_now_runs_the_task_as_the_person_and_shows_its_run(admin, admin_user, node, huey_immediate):
    task = task_save(user=None, node=node, data={"name": "nightly", "steps": [{"kind": "import-folder"}]})
    reply = admin.post(reverse("exchange:task_run", args=[task.pk]))
    run = Run.objects.get()
    assert reply.status_code == 302 and reply.url == reverse("exchange:run_detail", args=[run.pk])
    assert run.task == task and run.user == admin_user and run.status == "succeeded" and run.kind == "import"
    assert Product.objects.count() == 4 and not NodeLock.objects.exists()


@pytest.mark.django_db(transaction=True)   # the worker is handed the task when the request commits
def test_dry_run_writes_nothing(admin, node, huey_immediate):
    task = task_save(user=None, node=node, data={"name": "nightly", "steps": [{"kind": "import-folder"}]})
    reply = admin.post(reverse("exchange:task_run", args=[task.pk]), {"dry_run": "1"})
    run = Run.objects.get()
    assert reply.url == reverse("exchange:run_detail", args=[run.pk])
    assert run.kind == "dry-run" and run.created >= 4 and Product.objects.count() == 0


@pytest.mark.django_db(transaction=True)   # the worker is handed the task when the request commits
def test_a_task_of_several_steps_goes_to_the_nodes_runs(admin, node, huey_immediate):
    task = task_save(user=None, node=node, data={"name": "both", "steps": [{"kind": "import-folder"},
                                                                           {"kind": "export-orders"}]})
    reply = admin.post(reverse("exchange:task_run", args=[task.pk]))
    assert Run.objects.count() == 2
    assert reply.url == reverse("exchange:run_list") + f"?node={node.code}"


def test_a_busy_node_refuses_run_now_with_a_clear_message(admin, node, huey_immediate):
    running = task_save(user=None, node=node, data={"name": "long", "steps": [{"kind": "import-folder"}]})
    task = task_save(user=None, node=node, data={"name": "nightly", "steps": [{"kind": "import-folder"}]})
    NodeLock.objects.create(node=node, task=running)
    back = reverse("onec:node_detail", args=[node.pk])
    reply = admin.post(reverse("exchange:task_run", args=[task.pk]), {"next": back})
    assert reply.status_code == 302 and reply.url == back
    page = text(admin.get(back))
    assert "The node drop runs the task long since" in page and "one run at a time" in page
    assert not Run.objects.exists()


@pytest.mark.django_db(transaction=True)   # the worker is handed the task when the request commits
def test_run_now_rights(client, node, accountant, manager, huey_immediate):
    other = UserFactory(username="olga", role="accountant")
    task = task_save(user=None, node=node, data={"name": "nightly", "steps": [{"kind": "import-folder"}]})
    task.allowed_users.set([accountant])
    url = reverse("exchange:task_run", args=[task.pk])
    client.force_login(manager)                       # no exchange right at all: the task is not there
    assert client.post(url).status_code == 404
    assert client.get(reverse("exchange:task_list")).status_code == 404
    client.force_login(other)                         # sees the exchange, not named on the task
    assert client.post(url).status_code == 403
    assert 'data-testid="task-run-nightly"' not in client.get(reverse("exchange:task_list")).content.decode()
    assert not Run.objects.exists()
    client.force_login(accountant)                    # named on the task
    listing = client.get(reverse("exchange:task_list")).content.decode()
    assert 'data-testid="task-run-nightly"' in listing
    reply = client.post(url)
    run = Run.objects.get()
    assert reply.url == reverse("exchange:run_detail", args=[run.pk]) and run.user == accountant
    assert client.get(reply.url).status_code == 200
    # A role named on the task lets the other accountant run it as well.
    task.allowed_roles = ["accountant"]
    task.save()
    client.force_login(other)
    assert client.post(url).status_code == 302 and Run.objects.count() == 2


def test_switched_off_tasks_are_not_offered_to_accountants(client, node, accountant, huey_immediate):
    task = task_save(user=None, node=node, data={"name": "nightly", "is_active": False,
                                                 "steps": [{"kind": "import-folder"}]})
    client.force_login(accountant)
    assert 'data-testid="task-run-nightly"' not in client.get(reverse("exchange:task_list")).content.decode()
    assert client.post(reverse("exchange:task_run", args=[task.pk])).status_code == 403
    assert not Run.objects.exists()


def test_managers_reach_no_task_page(client, node, manager):
    task = task_save(user=None, node=node, data={"name": "nightly", "steps": [{"kind": "import-folder"}]})
    client.force_login(manager)
    assert client.get(reverse("exchange:task_create", args=[node.pk])).status_code == 404
    assert client.post(reverse("exchange:task_create", args=[node.pk]), task_post(name="x")).status_code == 404
    assert client.get(reverse("exchange:task_edit", args=[task.pk])).status_code == 404
    assert client.post(reverse("exchange:task_delete", args=[task.pk])).status_code == 404
    assert client.get(reverse("exchange:task_cron_preview"), {"cron": "* * * * *"}).status_code == 404
    assert list(ExchangeTask.objects.values_list("name", flat=True)) == ["nightly"]
