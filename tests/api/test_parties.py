"""Counterparties and contact persons through the API: validation, privileged fields, filters, search."""

from __future__ import annotations

import pytest

from raccordo.core.models import ChangeJournal
from raccordo.parties.models import ContactPerson, Counterparty, Email, Phone
from tests import factories

from .conftest import ids

pytestmark = pytest.mark.django_db

URL = "/api/v1/counterparties/"


def test_create_counterparty_with_phones_and_emails(api, manager, other_manager):
    response = api.post(URL, {
        "name": "Romashka", "inn": factories.inn10(1), "phones": ["8 (495) 123-45-67", "+7 916 123 45 67"],
        "emails": ["Info@Romashka.ru"], "responsible": str(other_manager.pk)}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert [p["number"] for p in body["phones"]] == ["+74951234567", "+79161234567"]
    assert [e["address"] for e in body["emails"]] == ["info@romashka.ru"]
    # A manager cannot hand the record to someone else: `responsible` is theirs, whatever they send.
    assert body["responsible"] == str(manager.pk)
    counterparty = Counterparty.objects.get(pk=body["id"])
    assert counterparty.responsible == manager
    entry = ChangeJournal.objects.filter(object_id=counterparty.pk).get()
    assert entry.origin == "api" and entry.user == manager


def test_admin_sets_responsible(admin_api, other_manager):
    response = admin_api.post(URL, {"name": "Assigned", "responsible": str(other_manager.pk)}, format="json")
    assert response.status_code == 201
    assert Counterparty.objects.get(pk=response.json()["id"]).responsible == other_manager


def test_bad_inn_is_400_with_the_field_and_saves_nothing(api):
    response = api.post(URL, {"name": "Bad", "inn": "1234567890", "phones": ["+74951234567"]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation.failed"
    assert "inn" in body["extra"]
    assert not Counterparty.objects.exists() and not Phone.objects.exists()
    assert not ChangeJournal.objects.exists()


def test_malformed_phone_is_400_and_saves_nothing(api):
    response = api.post(URL, {"name": "Phoney", "phones": ["+74951234567", "call me maybe"]}, format="json")
    assert response.status_code == 400
    assert "1" in response.json()["extra"]["phones"]
    assert not Counterparty.objects.exists() and not Phone.objects.exists()


def test_phones_must_be_a_list_of_strings(api):
    assert api.post(URL, {"name": "X", "phones": "+74951234567"}, format="json").status_code == 400
    assert api.post(URL, {"name": "X", "phones": [{"number": "+74951234567"}]}, format="json").status_code == 400
    assert api.post(URL, {"name": "X", "emails": ["not-an-email"]}, format="json").status_code == 400
    assert not Counterparty.objects.exists() and not Email.objects.exists()


def test_manager_cannot_take_over_a_counterparty(api, manager, other_manager):
    counterparty = factories.CounterpartyFactory(responsible=manager)
    response = api.patch(f"{URL}{counterparty.pk}/", {"responsible": str(other_manager.pk), "is_vip": True},
                         format="json")
    assert response.status_code == 200
    counterparty.refresh_from_db()
    assert counterparty.responsible == manager and counterparty.is_vip


def test_update_validates_through_the_model(api, manager):
    counterparty = factories.CounterpartyFactory(responsible=manager)
    response = api.patch(f"{URL}{counterparty.pk}/", {"kpp": "12"}, format="json")
    assert response.status_code == 400
    assert "kpp" in response.json()["extra"]


def test_delete_counterparty_and_archive_one_with_documents(api, manager, reference_data):
    free = factories.CounterpartyFactory(responsible=manager)
    assert api.delete(f"{URL}{free.pk}/").status_code == 204
    assert not Counterparty.objects.filter(pk=free.pk).exists()
    busy = factories.CounterpartyFactory(responsible=manager)
    factories.deal_for(busy, reference_data)
    # A deal is the record of business done: the counterparty is archived instead (#17), and says so.
    response = api.delete(f"{URL}{busy.pk}/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert Counterparty.objects.filter(pk=busy.pk, is_active=False).exists()


def test_filters_narrow_only_visible_records(api, manager, other_manager):
    mine = factories.CounterpartyFactory(responsible=manager, is_vip=True)
    factories.CounterpartyFactory(responsible=manager)
    theirs = factories.CounterpartyFactory(responsible=other_manager, is_vip=True)
    assert ids(api.get(URL, {"is_vip": "true"})) == {str(mine.pk)}
    assert ids(api.get(URL, {"inn": theirs.inn})) == set()
    assert ids(api.get(URL, {"responsible": str(other_manager.pk)})) == set()
    assert api.get(URL, {"responsible": "nonsense"}).status_code == 400


def test_search_by_phone_in_any_format_and_not_across_managers(api, manager, other_manager):
    mine = factories.CounterpartyFactory(responsible=manager, name="Alpha")
    Phone.objects.create(counterparty=mine, number="+74951234567")
    theirs = factories.CounterpartyFactory(responsible=other_manager, name="Alpha Two")
    Phone.objects.create(counterparty=theirs, number="+74951234567")
    assert ids(api.get(URL, {"search": "8 495 123-45-67"})) == {str(mine.pk)}
    assert ids(api.get(URL, {"search": "alpha"})) == {str(mine.pk)}


def test_ordering_and_cursor_pagination(api, manager):
    for name in ("Beta", "Alpha", "Gamma"):
        factories.CounterpartyFactory(responsible=manager, name=name)
    page = api.get(URL, {"ordering": "name", "page_size": 2}).json()
    assert [row["name"] for row in page["results"]] == ["Alpha", "Beta"]
    rest = api.get(page["next"]).json()
    assert [row["name"] for row in rest["results"]] == ["Gamma"]
    newest_first = api.get(URL).json()["results"]
    assert [row["name"] for row in newest_first] == ["Gamma", "Alpha", "Beta"]


def test_contact_on_another_managers_counterparty_is_refused(api, manager, other_manager):
    theirs = factories.CounterpartyFactory(responsible=other_manager)
    response = api.post("/api/v1/contacts/", {"counterparty": str(theirs.pk), "first_name": "Spy"}, format="json")
    assert response.status_code == 400
    assert "counterparty" in response.json()["extra"]
    missing = api.post("/api/v1/contacts/", {"counterparty": "00000000-0000-0000-0000-000000000000",
                                             "first_name": "Spy"}, format="json")
    # Someone else's record and no record at all look the same.
    assert (missing.json()["extra"]["counterparty"][0].replace("00000000-0000-0000-0000-000000000000", "?")
            == response.json()["extra"]["counterparty"][0].replace(str(theirs.pk), "?"))
    assert not ContactPerson.objects.exists()


def test_contact_create_with_phones_and_filter(api, manager, other_manager):
    mine = factories.CounterpartyFactory(responsible=manager)
    theirs = factories.CounterpartyFactory(responsible=other_manager)
    factories.ContactPersonFactory(counterparty=theirs)
    response = api.post("/api/v1/contacts/", {"counterparty": str(mine.pk), "first_name": "Olga",
                                              "phones": ["+79161234567"], "emails": ["olga@example.com"]},
                        format="json")
    assert response.status_code == 201, response.content
    contact = ContactPerson.objects.get(pk=response.json()["id"])
    assert contact.phones.get().counterparty == mine
    assert ids(api.get("/api/v1/contacts/", {"counterparty": str(mine.pk)})) == {str(contact.pk)}
    assert ids(api.get("/api/v1/contacts/", {"counterparty": str(theirs.pk)})) == set()
    # A contact is not moved to another counterparty by an update.
    other_mine = factories.CounterpartyFactory(responsible=manager)
    api.patch(f"/api/v1/contacts/{contact.pk}/", {"counterparty": str(other_mine.pk)}, format="json")
    contact.refresh_from_db()
    assert contact.counterparty == mine


def test_phones_are_not_replaced_by_an_update(api, manager):
    response = api.post(URL, {"name": "Keep", "phones": ["+74951234567"]}, format="json")
    url = f"{URL}{response.json()['id']}/"
    updated = api.patch(url, {"phones": ["+79161234567"], "notes": "n"}, format="json")
    assert updated.status_code == 200
    assert [p["number"] for p in updated.json()["phones"]] == ["+74951234567"]


def test_admin_reassigns_a_counterparty(admin_api, manager, other_manager):
    counterparty = factories.CounterpartyFactory(responsible=manager)
    response = admin_api.patch(f"{URL}{counterparty.pk}/", {"responsible": str(other_manager.pk)}, format="json")
    assert response.status_code == 200
    counterparty.refresh_from_db()
    assert counterparty.responsible == other_manager
