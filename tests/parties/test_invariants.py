"""The parties services defend their own rules: only the fields they list are set, and saving a
counterparty with its tags, phones and e-mails (what the form does) is one service, all or nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from raccordo.access.records import FieldNotAllowed
from raccordo.parties.models import Counterparty, Tag
from raccordo.parties.services import (
    contact_create,
    counterparty_create,
    counterparty_save,
    counterparty_update,
)
from tests.factories import CounterpartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tags(db):
    # Tags are shared reference data a manager may use but not create (the policy's "add" on "reference").
    for name in ("Wholesale", "Moscow", "Old", "New"):
        Tag.objects.create(name=name)


def test_counterparty_save_creates_it_with_tags_phones_and_emails(manager):
    cp = counterparty_save(user=manager, data={"name": "Romashka", "inn": "7707083893"},
                           tag_names=["wholesale", "Moscow"], phones=["+7 916 100-20-30"],
                           emails=["sales@romashka.example"])
    assert cp.responsible == manager
    assert sorted(t.name for t in cp.tags.all()) == ["Moscow", "Wholesale"]   # a known tag is reused
    assert [p.number for p in cp.phones.all()] == ["+79161002030"]
    assert [e.address for e in cp.emails.all()] == ["sales@romashka.example"]


def test_counterparty_save_changes_it_and_adds_the_new_phone(manager):
    cp = counterparty_save(user=manager, data={"name": "Romashka"}, tag_names=["Old"], phones=["+7 916 100-20-30"])
    cp = counterparty_save(user=manager, counterparty=cp, data={"name": "Romashka LLC"}, tag_names=["New"],
                           phones=["+7 495 765-43-21"], emails=["info@romashka.example"])
    cp = Counterparty.objects.get(pk=cp.pk)
    assert cp.name == "Romashka LLC" and [t.name for t in cp.tags.all()] == ["New"]
    assert cp.phones.count() == 2 and cp.emails.count() == 1


def test_counterparty_save_is_all_or_nothing(admin_user, manager):
    with pytest.raises(ValidationError):
        counterparty_save(user=admin_user, data={"name": "Romashka"}, tag_names=["Fresh"], phones=["not a phone"])
    assert not Counterparty.objects.exists() and not Tag.objects.filter(name="Fresh").exists()
    cp = CounterpartyFactory(responsible=manager, name="Kept")
    with pytest.raises(ValidationError):
        counterparty_save(user=admin_user, counterparty=cp, data={"name": "Changed"}, tag_names=["Fresh"],
                          emails=["not an e-mail"])
    assert Counterparty.objects.get(pk=cp.pk).name == "Kept" and not Tag.objects.filter(name="Fresh").exists()


def test_a_field_the_service_does_not_list_is_refused_by_name(manager):
    with pytest.raises(FieldNotAllowed) as refused:
        counterparty_create(user=manager, data={"name": "Romashka", "created_at": None})
    assert refused.value.extra["field"] == "created_at"
    cp = CounterpartyFactory(responsible=manager)
    with pytest.raises(FieldNotAllowed):
        counterparty_update(user=manager, counterparty=cp, data={"nickname": "R"})
    with pytest.raises(FieldNotAllowed):
        contact_create(user=manager, counterparty=cp, data={"last_name": "Ivanov", "email": "x@example.com"})
    # A foreign key may be given by its id as well.
    cp = counterparty_update(user=manager, counterparty=cp, data={"responsible_id": manager.pk})
    assert cp.responsible == manager
