"""Regression tests of the December 2026 security report (issue #14), one per finding the access policy
decides: M1 (exchange run pages and reports), M7 (sharing), L1 (duplicate detection of the tabular
import), L2 (task assignee through the API), L3 (shared tags), and custom roles wherever built-in roles
are honoured. Each was written to fail on the code the report tested.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from raccordo.access import policy, services
from raccordo.access.models import CounterpartyShare, CustomRole, Department
from raccordo.activities.models import Task
from raccordo.core.context import change_context
from raccordo.core.errors import PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.exchange import tabular
from raccordo.exchange.engine import finish_run, start_run
from raccordo.exchange.models import RunItem
from raccordo.exchange.services import node_create
from raccordo.parties.models import ContactPerson, Counterparty, Tag
from raccordo.parties.services import (
    contact_create,
    counterparty_create,
    counterparty_delete,
    email_add,
    phone_add,
    tag_get_or_create,
)
from tests.factories import UserFactory, inn10

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    russia = Department.objects.create(name="Sales Russia")
    italy = Department.objects.create(name="Sales Italy")
    return {
        "anna": UserFactory(username="anna", role="manager", department=russia),
        "dmitry": UserFactory(username="dmitry", role="manager", department=russia),
        "elena": UserFactory(username="elena", role="head", department=russia),
        "giulia": UserFactory(username="giulia", role="manager", department=italy),
        "marco": UserFactory(username="marco", role="manager", department=italy),
        "acc": UserFactory(username="acc", role="accountant"),
        "root": UserFactory(username="root", role="admin", is_staff=True, is_superuser=True),
    }


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --- M1: run pages and reports narrow the records they name ----------------------------------------------------

def _exchange_run_writing(people):
    """A 1C import as the report's M1 reproduction: it writes to dmitry's VIP client and to a plain one."""
    node = node_create(user=None, code="ut", kind="folder")
    run = start_run(node=node, kind="import", files=["sale.xml"])
    with change_context(origin="exchange", node="ut", request_id=f"run-{run.pk}"):
        vip = counterparty_create(user=None, data={"name": "MKVIPD Energo", "is_vip": True,
                                                   "responsible": people["dmitry"]})
        contact_create(user=None, counterparty=vip, data={"first_name": "MKVIPDCONTACT"})
        counterparty_create(user=None, data={"name": "MKPLAIN Ltd", "responsible": people["dmitry"]})
    run.created = 3
    run.save(update_fields=["created"])
    return finish_run(run)


def test_M1_run_page_hides_journal_rows_of_records_the_reader_cannot_see(client, people):
    run = _exchange_run_writing(people)
    client.force_login(people["acc"])
    response = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "created"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "MKVIPD" not in page                     # the VIP client and its contact are not named
    assert "MKPLAIN Ltd" in page                    # what the accountant may see stays listed
    assert response.context["hidden"] == 2          # and the rest is counted: "2 records you cannot see"
    assert "2 records you cannot see" in page
    # an administrator sees them all
    client.force_login(people["root"])
    page = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "created"}).content.decode()
    assert "MKVIPD Energo" in page


def test_M1_run_report_csv_hides_records_the_reader_cannot_see(client, people):
    run = _exchange_run_writing(people)
    client.force_login(people["acc"])
    rows = _csv_rows(client.get(reverse("exchange:run_report", args=[run.pk])))
    text = "\n".join(",".join(r) for r in rows)
    assert "MKVIPD" not in text and "MKPLAIN Ltd" in text
    summary = {r[0]: r[1] for r in rows[: rows.index([])]}
    assert summary["Records you cannot see"] == "2"
    client.force_login(people["root"])
    assert "MKVIPDCONTACT" in "\n".join(",".join(r) for r in _csv_rows(
        client.get(reverse("exchange:run_report", args=[run.pk]))))


def test_M1_tabular_run_items_of_a_vip_client_are_hidden_from_an_accountant(client, people, tmp_path):
    giulia = people["giulia"]
    counterparty_create(user=giulia, data={"name": "Acquaterm Italia MKVIPGCP", "is_vip": True, "country": "IT"})
    path = tmp_path / "vip-contacts.csv"
    path.write_text("counterparty;last name;first name;phone;email\n"
                    "Acquaterm Italia MKVIPGCP;MKVIPGSECRETCONTACT;Segreto;+39 333 111 2222;segreto@acquaterm.example\n")
    run = tabular.tabular_import(path=path, kind="contacts", user=giulia)
    assert run.created == 1
    client.force_login(people["acc"])
    page = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "created"}).content.decode()
    contact = ContactPerson.objects.get(last_name="MKVIPGSECRETCONTACT")
    assert "MKVIPGSECRET" not in page and str(contact.pk) not in page
    report = "\n".join(",".join(r) for r in _csv_rows(client.get(reverse("exchange:run_report", args=[run.pk]))))
    assert "MKVIPGSECRET" not in report and str(contact.pk) not in report
    # the importer still reads her own run in full
    client.force_login(giulia)
    page = client.get(reverse("exchange:run_detail", args=[run.pk]), {"outcome": "created"}).content.decode()
    assert "MKVIPGSECRETCONTACT" in page


def test_M1_conflicts_of_records_the_reader_cannot_see_are_not_listed_nor_settled(people):
    from raccordo.exchange.conflict_review import conflict_list, conflict_resolve

    run = _exchange_run_writing(people)
    vip = Counterparty.objects.get(name="MKVIPD Energo")
    RunItem.objects.create(run=run, outcome="conflict", object_type="parties.counterparty", object_id=vip.pk,
                           changes={"name": ["MKVIPD Energo", "Energo (accounting)"]}, code="exchange.conflict.ask")
    assert list(conflict_list(user=people["acc"], run=run)) == []
    assert conflict_list(user=people["root"], run=run).count() == 1
    with pytest.raises(PermissionDenied):
        conflict_resolve(user=people["acc"], item=run.items.get(outcome="conflict"), choice="accounting")
    vip.refresh_from_db()
    assert vip.name == "MKVIPD Energo"


# --- M7: a share gives view and edit, never delete or re-share ---------------------------------------------------

def test_M7_a_colleague_a_client_is_shared_with_may_edit_it_but_not_delete_or_share_it(people):
    anna, marco, giulia = people["anna"], people["marco"], people["giulia"]
    cp = counterparty_create(user=anna, data={"name": "Shared Client SHRD"})
    services.counterparty_share(user=anna, counterparty=cp, with_user=marco)
    assert policy.can(marco, "view", cp) and policy.can(marco, "change", cp)
    assert not policy.can(marco, "delete", cp)
    assert not policy.visible(Counterparty.objects.filter(pk=cp.pk), marco, "delete").exists()
    assert not policy.can_share(marco, cp)
    with pytest.raises(PermissionDenied):
        services.counterparty_share(user=marco, counterparty=cp, with_user=giulia)
    with pytest.raises(PermissionDenied):
        services.counterparty_unshare(user=marco, counterparty=cp, with_user=marco)
    with pytest.raises(PermissionDenied):
        counterparty_delete(user=marco, counterparty=cp)
    api = APIClient()
    api.force_authenticate(marco)
    assert api.patch(f"/api/v1/counterparties/{cp.pk}/", {"notes": "marco was here"}, format="json").status_code == 200
    assert api.delete(f"/api/v1/counterparties/{cp.pk}/").status_code in (403, 404)
    assert Counterparty.objects.filter(pk=cp.pk).exists()
    assert set(CounterpartyShare.objects.filter(counterparty=cp).values_list("user__username", flat=True)) == {"marco"}
    # the responsible manager and her head keep all of it
    assert policy.can_share(anna, cp) and policy.can_share(people["elena"], cp)
    assert policy.can(anna, "delete", cp)


def test_M7_the_share_page_refuses_a_colleague(client, people):
    anna, marco, giulia = people["anna"], people["marco"], people["giulia"]
    cp = counterparty_create(user=anna, data={"name": "Shared Client SHRD"})
    services.counterparty_share(user=anna, counterparty=cp, with_user=marco)
    client.force_login(marco)
    client.post(reverse("web:counterparty_share", args=[cp.pk]), {"user": str(giulia.pk)})
    assert not CounterpartyShare.objects.filter(counterparty=cp, user=giulia).exists()
    page = client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    assert reverse("web:counterparty_share", args=[cp.pk]) not in page


# --- L1: duplicate detection looks only among what the importer may see -------------------------------------------
# Issue #17 changed it for the INN: a second record of a colleague's client is what the duplicate check is for, so
# an INN the importer cannot see is reported as "a counterparty you cannot see (responsible: ...)", as the form and
# the API say it; never its name, its id, or a link. Phones and e-mails are still looked for among the visible only.

def test_L1_a_dry_run_names_no_invisible_inn_phone_or_email(people, tmp_path):
    dmitry, anna = people["dmitry"], people["anna"]
    vip = counterparty_create(user=dmitry, data={"name": "ЭнергоРесурс", "is_vip": True, "inn": inn10(71)})
    phone_add(user=dmitry, counterparty=vip, number="+39 320 399 2830")
    email_add(user=dmitry, counterparty=vip, address="info@energo.example")
    mine = counterparty_create(user=anna, data={"name": "Mine", "inn": inn10(72)})
    path = tmp_path / "probe.csv"
    path.write_text("name;inn;kpp;phone;email\n"
                    f"Probe1;{inn10(71)};;;\n"
                    "Probe2;;;+39 320 399 2830;\n"
                    "Probe3;;;;info@energo.example\n"
                    f"Probe4;{inn10(73)};;;\n"
                    f"Probe5;{inn10(72)};;;\n")
    run = tabular.tabular_import(path=path, kind="counterparties", user=anna, dry_run=True)
    outcomes = {item.message.split(" ")[0] if item.outcome == "created" else item.line: item
                for item in RunItem.objects.filter(run=run)}
    # the phone and e-mail of dmitry's VIP client read exactly like new ones: "would be created", no duplicate
    assert {k for k, item in outcomes.items() if item.outcome == "created"} == {"Probe2", "Probe3", "Probe4"}
    # its INN is a duplicate of a record she cannot see: skipped, its manager named, the client not
    hidden = outcomes[2]
    assert hidden.outcome == "duplicate" and hidden.object_id is None
    assert str(dmitry) in hidden.message and "ЭнергоРесурс" not in hidden.message
    # a duplicate of her own client is still found
    assert outcomes[6].outcome == "duplicate" and outcomes[6].object_id == mine.pk
    assert len(outcomes) == 5 and (run.created, run.skipped) == (3, 2)


def test_L1_contacts_duplicates_are_looked_for_among_visible_contacts_only(people, tmp_path):
    marco, anna = people["marco"], people["anna"]
    theirs = counterparty_create(user=marco, data={"name": "Theirs"})
    contact_create(user=marco, counterparty=theirs, data={"first_name": "Hidden"}, emails=["hidden@theirs.example"])
    mine = counterparty_create(user=anna, data={"name": "MineCo"})
    path = tmp_path / "contacts.csv"
    path.write_text("counterparty;first name;email\nMineCo;Probe;hidden@theirs.example\n")
    run = tabular.tabular_import(path=path, kind="contacts", user=anna, dry_run=True)
    assert [i.outcome for i in RunItem.objects.filter(run=run)] == ["created"]
    assert mine.contacts.count() == 0   # a dry run


# --- L2: the task assignee through the API is restricted as in the web form ----------------------------------------

def test_L2_the_api_assigns_tasks_only_to_assignable_users(people):
    anna, giulia, elena, root = people["anna"], people["giulia"], people["elena"], people["root"]
    api = APIClient()
    api.force_authenticate(anna)
    response = api.post("/api/v1/tasks/", {"title": "Phish: re-enter your password", "assignee": str(giulia.pk)},
                        format="json")
    assert response.status_code in (400, 403), response.content
    assert api.post("/api/v1/tasks/", {"title": "x", "assignee": str(root.pk)}, format="json").status_code in (400, 403)
    assert not Task.objects.filter(assignee__in=[giulia, root]).exists()
    own = api.post("/api/v1/tasks/", {"title": "Call back", "assignee": str(anna.pk)}, format="json")
    assert own.status_code == 201
    task_id = own.json()["id"]
    assert api.patch(f"/api/v1/tasks/{task_id}/", {"assignee": str(people["marco"].pk)},
                     format="json").status_code in (400, 403)
    assert Task.objects.get(pk=task_id).assignee == anna
    # a head hands tasks to her department, as the web form lets her
    head = APIClient()
    head.force_authenticate(elena)
    assert head.post("/api/v1/tasks/", {"title": "Visit", "assignee": str(anna.pk)}, format="json").status_code == 201
    assert head.post("/api/v1/tasks/", {"title": "Visit", "assignee": str(giulia.pk)},
                     format="json").status_code in (400, 403)


def test_L2_the_web_form_and_the_api_offer_the_same_people(client, people):
    from raccordo.web.forms import TaskForm

    for name in ("anna", "elena", "root"):
        user = people[name]
        form = TaskForm(user=user)
        offered = set(form.fields["assignee"].queryset) if "assignee" in form.fields else {user}
        assert offered == set(policy.assignable_users(user)), name


# --- L3: shared tags are created only by those the policy lets, and the journal names them ------------------------

def test_L3_a_manager_with_only_view_on_reference_creates_no_shared_tag(people):
    anna, root = people["anna"], people["root"]
    with pytest.raises(PermissionDenied):
        tag_get_or_create(user=anna, name="=cmd|' /C calc'!A0")
    assert not Tag.objects.exists()
    tag = tag_get_or_create(user=root, name="wholesale")
    entry = ChangeJournal.objects.get(object_id=tag.pk)
    assert entry.user == root and entry.operation == "create"
    assert tag_get_or_create(user=anna, name="Wholesale") == tag   # an existing tag is hers to use


def test_L3_the_counterparty_form_refuses_a_new_tag_from_a_manager(client, people):
    client.force_login(people["anna"])
    response = client.post(reverse("web:counterparty_create"), {
        "kind": "legal", "name": "Gvozdika", "country": "RU", "tag_names": "brand-new-tag"})
    assert response.status_code == 200
    assert not Tag.objects.filter(name="brand-new-tag").exists()
    assert not Counterparty.objects.filter(name="Gvozdika").exists()


# --- Custom roles are honoured wherever built-in roles are ---------------------------------------------------------

def test_custom_role_of_a_head_sees_the_overdue_complaints_like_a_head(rf, people):
    from raccordo.web.templatetags.raccordo_sales import head_overdue_complaints

    lead = CustomRole.objects.create(name="Team lead", scope="department", permissions={
        "counterparties": ["view", "add", "change"], "activities": ["view", "add", "change"]})
    lead_user = UserFactory(username="lead", role="manager", custom_role=lead,
                            department=people["anna"].department)
    request = rf.get("/")
    request.user = lead_user
    assert head_overdue_complaints({"request": request})["show"]
    # a built-in role named "head" but replaced by a custom role of one's own records is not a head
    own = CustomRole.objects.create(name="Own only", scope="own", permissions={"activities": ["view"]})
    fake_head = UserFactory(username="fakehead", role="head", custom_role=own)
    request.user = fake_head
    assert not head_overdue_complaints({"request": request})["show"]


def test_custom_role_named_on_an_exchange_task_may_run_it(people):
    from raccordo.exchange import scheduling
    from raccordo.exchange.models import ExchangeTask

    operator = CustomRole.objects.create(name="Exchange operator", scope="all",
                                         permissions={"exchange": ["view", "run"]})
    op = UserFactory(username="op", role="accountant", custom_role=operator)
    other = UserFactory(username="other", role="accountant",
                        custom_role=CustomRole.objects.create(name="Viewer", scope="all",
                                                              permissions={"exchange": ["view", "run"]}))
    node = node_create(user=None, code="ut", kind="folder")
    task = ExchangeTask.objects.create(node=node, name="nightly", steps=[{"kind": "import-folder"}],
                                       allowed_roles=["Exchange operator"])
    assert scheduling.may_run(op, task)
    # the built-in role a custom role replaced no longer names anyone
    task.allowed_roles = ["accountant"]
    task.save()
    assert not scheduling.may_run(other, task)
    assert scheduling.may_run(people["acc"], task)
    assert scheduling.task_check({"name": "n", "steps": [{"kind": "import-folder"}], "allowed_roles": ["Exchange operator"]}) == {}

