"""The duplicate check of counterparties (issue #17): one check, through the access policy, for the service,
the web form, the API (409) and the tabular import; warn or block by settings.DUPLICATE_CHECK."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from raccordo.access.models import Department
from raccordo.activities.models import Task
from raccordo.exchange import tabular
from raccordo.exchange.models import RunItem
from raccordo.parties.duplicates import DuplicateCounterparty, same_tax_id, tax_id_matches
from raccordo.parties.models import Counterparty
from raccordo.parties.services import access_request, counterparty_create, counterparty_update
from tests.factories import UserFactory, inn10

KPP_A, KPP_B = "773601001", "770801001"


@pytest.fixture
def people(db):
    russia = Department.objects.create(name="Sales Russia")
    italy = Department.objects.create(name="Sales Italy")
    return {
        "anna": UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager",
                            department=russia),
        "dmitry": UserFactory(username="dmitry", first_name="Dmitry", last_name="Orlov", role="manager",
                              department=russia),
        "elena": UserFactory(username="elena", role="head", department=russia),
        "giulia": UserFactory(username="giulia", role="manager", department=italy),
        "root": UserFactory(username="root", role="admin", is_staff=True, is_superuser=True),
    }


def _create(user, name, inn, kpp="", **extra):
    return counterparty_create(user=user, data={"name": name, "inn": inn, "kpp": kpp, **extra},
                               duplicate_confirmed=True)


# --- the rule -----------------------------------------------------------------------------------------------------

def test_same_tax_id_compares_kpp_only_when_both_have_one():
    assert same_tax_id("7707083893", "", "7707083893", KPP_A)
    assert same_tax_id("7707083893", KPP_A, "7707083893", "")
    assert same_tax_id("7707083893", KPP_A, "7707083893", KPP_A)
    assert not same_tax_id("7707083893", KPP_A, "7707083893", KPP_B)
    assert not same_tax_id("", "", "", "")
    assert not same_tax_id("7707083893", "", "7736207543", "")


# --- the service ---------------------------------------------------------------------------------------------------

def test_a_visible_duplicate_is_named(people):
    anna = people["anna"]
    mine = _create(anna, "Волга-Терм", inn10(1), KPP_A)
    with pytest.raises(DuplicateCounterparty) as caught:
        counterparty_create(user=anna, data={"name": "Volgaterm", "inn": inn10(1), "kpp": KPP_A})
    match = caught.value.extra["matches"][0]
    assert match == {"visible": True, "responsible": str(anna), "id": str(mine.pk), "name": "Волга-Терм",
                     "inn": inn10(1), "kpp": KPP_A}
    assert "Волга-Терм" in caught.value.message
    assert Counterparty.objects.filter(inn=inn10(1)).count() == 1


def test_an_invisible_duplicate_names_only_its_manager(people):
    dmitry, giulia = people["dmitry"], people["giulia"]
    theirs = _create(dmitry, "Hidden Ltd", inn10(2))
    with pytest.raises(DuplicateCounterparty) as caught:
        counterparty_create(user=giulia, data={"name": "Probe", "inn": inn10(2)})
    assert caught.value.extra["matches"] == [{"visible": False, "responsible": str(dmitry)}]
    assert "Hidden Ltd" not in caught.value.message and str(theirs.pk) not in str(caught.value.as_dict())
    assert str(dmitry) in caught.value.message


def test_a_vip_duplicate_hides_even_its_name(people):
    dmitry, anna = people["dmitry"], people["anna"]
    _create(dmitry, "ЭнергоРесурс VIP", inn10(3), is_vip=True)
    with pytest.raises(DuplicateCounterparty) as caught:
        counterparty_create(user=anna, data={"name": "Probe", "inn": inn10(3)})
    told = caught.value.as_dict()
    assert told["extra"]["matches"] == [{"visible": False, "responsible": str(dmitry)}]
    assert "ЭнергоРесурс" not in str(told)
    # dmitry's head sees the VIP: told in full
    with pytest.raises(DuplicateCounterparty) as caught:
        counterparty_create(user=people["elena"], data={"name": "Probe", "inn": inn10(3)})
    assert caught.value.extra["matches"][0]["name"] == "ЭнергоРесурс VIP"


def test_inn_only_and_inn_with_kpp(people):
    anna = people["anna"]
    _create(anna, "Head office", inn10(4), KPP_A)
    # a branch: the same INN with another KPP is another counterparty
    branch = counterparty_create(user=anna, data={"name": "Branch", "inn": inn10(4), "kpp": KPP_B})
    assert branch.pk
    # no KPP: the same INN as both of them
    with pytest.raises(DuplicateCounterparty) as caught:
        counterparty_create(user=anna, data={"name": "Which one", "inn": inn10(4)})
    assert {m["name"] for m in caught.value.extra["matches"]} == {"Head office", "Branch"}
    # no INN: nothing to compare
    assert counterparty_create(user=anna, data={"name": "No INN"}).pk
    assert counterparty_create(user=anna, data={"name": "No INN"}).pk


def test_editing_a_record_is_not_its_own_duplicate(people):
    anna = people["anna"]
    cp = _create(anna, "Self", inn10(5), KPP_A)
    counterparty_update(user=anna, counterparty=cp, data={"name": "Self renamed", "inn": inn10(5), "kpp": KPP_A})
    other = _create(anna, "Other", inn10(6))
    with pytest.raises(DuplicateCounterparty):
        counterparty_update(user=anna, counterparty=other, data={"inn": inn10(5)})
    other.refresh_from_db()
    assert other.inn == inn10(6)
    # an existing duplicate is not asked about again when only its other fields change
    twin = _create(anna, "Twin", inn10(5), KPP_A)
    counterparty_update(user=anna, counterparty=twin, data={"notes": "still a twin"})


def test_warn_saves_once_confirmed(people, settings):
    settings.DUPLICATE_CHECK = "warn"
    anna = people["anna"]
    _create(anna, "First", inn10(7))
    with pytest.raises(DuplicateCounterparty) as caught:
        counterparty_create(user=anna, data={"name": "Second", "inn": inn10(7)})
    assert caught.value.extra["blocked"] is False
    assert counterparty_create(user=anna, data={"name": "Second", "inn": inn10(7)}, duplicate_confirmed=True).pk


def test_block_refuses_even_when_confirmed(people, settings):
    settings.DUPLICATE_CHECK = "block"
    anna = people["anna"]
    _create(anna, "First", inn10(8))
    with pytest.raises(DuplicateCounterparty) as caught:
        counterparty_create(user=anna, data={"name": "Second", "inn": inn10(8)}, duplicate_confirmed=True)
    assert caught.value.extra["blocked"] is True
    assert Counterparty.objects.filter(inn=inn10(8)).count() == 1


def test_the_system_is_not_checked(people):
    _create(people["anna"], "First", inn10(9))
    assert counterparty_create(user=None, data={"name": "From 1C", "inn": inn10(9)}).pk


def test_matches_list_the_visible_first(people):
    dmitry, anna = people["dmitry"], people["anna"]
    _create(dmitry, "Theirs", inn10(10))
    _create(anna, "Mine", inn10(10))
    matches = tax_id_matches(user=anna, inn=inn10(10))
    assert [m.visible for m in matches] == [True, False]


# --- asking for access -------------------------------------------------------------------------------------------

def test_access_request_gives_the_manager_a_task(people):
    dmitry, giulia = people["dmitry"], people["giulia"]
    theirs = _create(dmitry, "Hidden Ltd", inn10(11))
    tasks = access_request(user=giulia, inn=inn10(11))
    assert len(tasks) == 1
    task = tasks[0]
    assert (task.assignee, task.author, task.counterparty) == (dmitry, giulia, theirs)
    # asked twice: still one open task
    assert access_request(user=giulia, inn=inn10(11)) == [task]
    assert Task.objects.filter(assignee=dmitry).count() == 1
    # nothing to ask for a visible one
    _create(giulia, "Mine", inn10(12))
    assert access_request(user=giulia, inn=inn10(12)) == []


# --- the web form ------------------------------------------------------------------------------------------------

def _form(name, inn, kpp="", **extra):
    return {"kind": "legal", "name": name, "inn": inn, "kpp": kpp, "country": "RU", **extra}


def test_the_form_shows_a_visible_match_and_saves_once_confirmed(people, client):
    anna = people["anna"]
    mine = _create(anna, "Волга-Терм", inn10(13), KPP_A)
    client.force_login(anna)
    response = client.post(reverse("web:counterparty_create"), _form("Volgaterm", inn10(13), KPP_A))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("web:counterparty_detail", args=[mine.pk]) in page and "Волга-Терм" in page
    assert 'name="duplicate_confirmed"' in page
    assert Counterparty.objects.filter(inn=inn10(13)).count() == 1
    response = client.post(reverse("web:counterparty_create"),
                           _form("Volgaterm", inn10(13), KPP_A, duplicate_confirmed="on"))
    assert response.status_code == 302
    assert Counterparty.objects.filter(inn=inn10(13)).count() == 2


def test_the_form_shows_only_the_manager_of_an_invisible_match(people, client):
    dmitry, giulia = people["dmitry"], people["giulia"]
    theirs = _create(dmitry, "Hidden Ltd", inn10(14), is_vip=True)
    client.force_login(giulia)
    page = client.post(reverse("web:counterparty_create"), _form("Probe", inn10(14))).content.decode()
    assert "Hidden Ltd" not in page and str(theirs.pk) not in page
    assert str(dmitry) in page and reverse("web:counterparty_access_request") in page
    response = client.post(reverse("web:counterparty_access_request"), _form("Probe", inn10(14)))
    assert response.status_code == 302
    assert Task.objects.filter(assignee=dmitry, author=giulia, counterparty=theirs).exists()


def test_the_form_blocks_without_a_confirmation_box(people, client, settings):
    settings.DUPLICATE_CHECK = "block"
    anna = people["anna"]
    _create(anna, "First", inn10(15))
    client.force_login(anna)
    page = client.post(reverse("web:counterparty_create"),
                       _form("Second", inn10(15), duplicate_confirmed="on")).content.decode()
    assert 'name="duplicate_confirmed"' not in page and "merge" in page
    assert Counterparty.objects.filter(inn=inn10(15)).count() == 1


def test_the_live_check_while_typing(people, client):
    anna = people["anna"]
    mine = _create(anna, "Typed", inn10(16))
    client.force_login(anna)
    url = reverse("web:counterparty_duplicates")
    page = client.get(url, {"inn": inn10(16)}).content.decode()
    assert "Typed" in page
    # the record being edited is not its own duplicate
    assert "Typed" not in client.get(url, {"inn": inn10(16), "exclude": str(mine.pk)}).content.decode()


def test_editing_in_the_form_is_not_a_duplicate_of_itself(people, client):
    anna = people["anna"]
    cp = _create(anna, "Self", inn10(17))
    client.force_login(anna)
    response = client.post(reverse("web:counterparty_edit", args=[cp.pk]), _form("Self renamed", inn10(17)))
    assert response.status_code == 302


# --- the API ------------------------------------------------------------------------------------------------------

def test_the_api_answers_409_with_what_the_caller_may_see(people):
    dmitry, giulia, anna = people["dmitry"], people["giulia"], people["anna"]
    theirs = _create(dmitry, "Hidden Ltd", inn10(18))
    api = APIClient()
    api.force_authenticate(giulia)
    response = api.post("/api/v1/counterparties/", {"name": "Probe", "inn": inn10(18)}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "parties.counterparty.duplicate"
    assert body["extra"]["matches"] == [{"visible": False, "responsible": str(dmitry)}]
    assert str(theirs.pk) not in response.content.decode() and "Hidden" not in response.content.decode()
    confirmed = api.post("/api/v1/counterparties/", {"name": "Probe", "inn": inn10(18), "duplicate_confirmed": True},
                         format="json")
    assert confirmed.status_code == 201, confirmed.content
    # the one she sees is named, with its id
    mine = _create(anna, "Mine", inn10(19))
    api.force_authenticate(anna)
    response = api.post("/api/v1/counterparties/", {"name": "Again", "inn": inn10(19)}, format="json")
    assert response.status_code == 409
    assert response.json()["extra"]["matches"][0]["id"] == str(mine.pk)
    # a change to another record's INN too
    other = _create(anna, "Other", inn10(20))
    response = api.patch(f"/api/v1/counterparties/{other.pk}/", {"inn": inn10(19)}, format="json")
    assert response.status_code == 409


# --- the tabular import -------------------------------------------------------------------------------------------

def test_the_import_uses_the_same_check(people, tmp_path, settings):
    anna, dmitry = people["anna"], people["dmitry"]
    _create(dmitry, "Hidden Ltd", inn10(21), KPP_A)
    mine = _create(anna, "Mine", inn10(22))
    path = tmp_path / "rows.csv"
    path.write_text("name;inn;kpp\n"
                    f"Probe;{inn10(21)};{KPP_A}\n"       # another manager's: skipped, manager named
                    f"Mine again;{inn10(22)};{KPP_B}\n"  # hers without KPP: the same client (KPP only when both)
                    f"Branch;{inn10(21)};{KPP_B}\n")     # another KPP: a new counterparty
    run = tabular.tabular_import(path=path, kind="counterparties", user=anna)
    items = {item.line: item for item in RunItem.objects.filter(run=run)}
    assert items[2].outcome == "duplicate" and items[2].object_id is None and str(dmitry) in items[2].message
    assert items[3].outcome == "duplicate" and items[3].object_id == mine.pk
    assert items[4].outcome == "created"
    # "create anyway" in block mode: the check refuses the row
    settings.DUPLICATE_CHECK = "block"
    path.write_text(f"name;inn\nAgain;{inn10(22)}\n")
    run = tabular.tabular_import(path=path, kind="counterparties", user=anna, on_duplicate="create")
    assert run.failed == 1 and Counterparty.objects.filter(inn=inn10(22)).count() == 1
    settings.DUPLICATE_CHECK = "warn"
    run = tabular.tabular_import(path=path, kind="counterparties", user=anna, on_duplicate="create")
    assert run.created == 1 and Counterparty.objects.filter(inn=inn10(22)).count() == 2


def test_who_may_not_write_is_refused_before_being_told(people):
    from raccordo.access.models import CustomRole
    from raccordo.core.errors import PermissionDenied

    dmitry = people["dmitry"]
    _create(dmitry, "Hidden Ltd", inn10(23))
    reader = UserFactory(username="reader", role="manager",
                         custom_role=CustomRole.objects.create(name="Reader", scope="all",
                                                               permissions={"counterparties": ["view"]}))
    with pytest.raises(PermissionDenied):
        counterparty_create(user=reader, data={"name": "Probe", "inn": inn10(23)})
