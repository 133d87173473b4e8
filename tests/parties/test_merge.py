"""Merging two counterparties (issue #17): everything moves to the survivor, the duplicate goes, one transaction,
journaled on both, administrators only. Runs on PostgreSQL too (RACCORDO_TEST_DB_NAME=...)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from raccordo.access.models import CounterpartyShare
from raccordo.activities.models import Complaint, Interaction, Reminder, Task
from raccordo.core.errors import PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.exchange.models import Binding
from raccordo.exchange.services import node_create
from raccordo.parties import merge as merge_module
from raccordo.parties.merge import counterparty_merge, merge_preview
from raccordo.parties.models import Address, BankAccount, ContactPerson, Counterparty, Email, Phone, Tag
from raccordo.parties.search import contacts_matching, counterparties_matching
from raccordo.sales.models import Contract, Deal, Invoice, InvoiceStatus, Payment
from tests import factories

KINDS = [ContactPerson, Phone, Email, Address, BankAccount, Deal, Contract, Invoice, Payment, Interaction, Task,
         Reminder, Complaint]


@pytest.fixture
def pair(db, admin_user, manager, other_manager):
    ref = factories.reference_data()
    survivor = factories.CounterpartyFactory(name="Волга-Терм", inn=factories.inn10(31), kpp="", responsible=manager,
                                             full_name="")
    duplicate = factories.CounterpartyFactory(name="Волгатерм", inn=factories.inn10(31), responsible=other_manager,
                                              full_name="ООО «Волгатерм»", website="https://volgaterm.example")
    today, now = timezone.localdate(), timezone.now()
    contact = factories.ContactPersonFactory(counterparty=duplicate, first_name="Пётр", last_name="Uniquename")
    Phone.objects.create(counterparty=duplicate, contact=contact, number="+7 916 100-20-31")
    Email.objects.create(counterparty=duplicate, address="info@volgaterm.example")
    Address.objects.create(counterparty=duplicate, text="Самара, ул. Ленина, 1")
    BankAccount.objects.create(counterparty=duplicate, bank_name="Sberbank", bic="044525225",
                               account_number="40702810900000000001", correspondent_account="30101810400000000225")
    factories.deal_for(duplicate, ref, title="Boiler room")
    Contract.objects.create(counterparty=duplicate, own_company=ref["own_company"], number="D-1", date=today)
    Invoice.objects.create(own_company=ref["own_company"], counterparty=duplicate, number="M-1", date=today,
                           due_date=today + dt.timedelta(days=5), status=InvoiceStatus.ISSUED, total=Decimal(10),
                           subtotal=Decimal(10), responsible=other_manager)
    Payment.objects.create(counterparty=duplicate, date=today, amount=Decimal("1"), number="P-1")
    Interaction.objects.create(counterparty=duplicate, subject="Call", occurred_at=now, author=other_manager)
    Task.objects.create(title="Call back", counterparty=duplicate, assignee=other_manager, author=other_manager)
    Reminder.objects.create(counterparty=duplicate, subject="Remind", start_at=now, user=other_manager)
    Reminder.objects.create(subject="Attached", start_at=now, user=other_manager,
                            target_type=ContentType.objects.get_for_model(Counterparty), target_id=duplicate.pk)
    Complaint.objects.create(counterparty=duplicate, subject="Late", received_at=now, responsible=other_manager)
    duplicate.tags.add(Tag.objects.create(name="wholesale"))
    CounterpartyShare.objects.create(counterparty=duplicate, user=manager)   # already the survivor's manager
    giulia = factories.UserFactory(username="giulia", role="manager")
    CounterpartyShare.objects.create(counterparty=duplicate, user=giulia)
    node = node_create(user=None, code="ut", kind="folder")
    other_node = node_create(user=None, code="bp", kind="folder")
    Binding.objects.create(node=node, object_type="parties.counterparty", external_id="1c-dup", object_id=duplicate.pk)
    Binding.objects.create(node=node, object_type="parties.counterparty", external_id="1c-surv", object_id=survivor.pk)
    Binding.objects.create(node=other_node, object_type="parties.counterparty", external_id="bp-dup",
                           object_id=duplicate.pk)
    return {"survivor": survivor, "duplicate": duplicate, "admin": admin_user, "manager": manager, "giulia": giulia,
            "node": node, "other_node": other_node, "contact": contact}


def test_the_preview_counts_what_moves(pair):
    plan = merge_preview(survivor=pair["survivor"], duplicate=pair["duplicate"])
    assert plan.moves["sales.invoice"] == 1 and plan.moves["activities.reminder"] == 2
    assert plan.moves["exchange.binding"] == 2 and plan.moves["access.counterpartyshare"] == 1
    assert plan.moves["parties.tag"] == 1
    assert set(plan.fills) == {"full_name", "website"}
    assert Counterparty.objects.filter(pk=pair["duplicate"].pk).exists()   # nothing done


def test_everything_moves_to_the_survivor(pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    counterparty_merge(user=pair["admin"], survivor=survivor, duplicate=duplicate)
    assert not Counterparty.objects.filter(pk=duplicate.pk).exists()
    for model in KINDS:
        assert model.objects.filter(counterparty=survivor).exists(), model
        assert not model.objects.filter(counterparty_id=duplicate.pk).exists(), model
    assert Reminder.objects.get(subject="Attached").target_id == survivor.pk
    assert list(survivor.tags.values_list("name", flat=True)) == ["wholesale"]
    assert list(CounterpartyShare.objects.filter(counterparty=survivor).values_list("user", flat=True)) == [
        pair["giulia"].pk]
    survivor.refresh_from_db()
    assert survivor.full_name == "ООО «Волгатерм»" and survivor.website == "https://volgaterm.example"
    assert survivor.name == "Волга-Терм" and survivor.responsible == pair["manager"]   # its own stay


def test_bindings_move_except_where_the_survivor_is_bound_already(pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    counterparty_merge(user=pair["admin"], survivor=survivor, duplicate=duplicate)
    bound = dict(Binding.objects.filter(object_type="parties.counterparty").values_list("external_id", "object_id"))
    # node "ut" binds one record of ours to one of its own: the survivor's stays, the duplicate's goes
    assert bound == {"1c-surv": survivor.pk, "bp-dup": survivor.pk}


def test_the_search_finds_the_moved_contacts_under_the_survivor(pair):
    survivor = pair["survivor"]
    counterparty_merge(user=pair["admin"], survivor=survivor, duplicate=pair["duplicate"])
    assert list(counterparties_matching(Counterparty.objects.all(), "volgaterm.example")) == [survivor]
    contact = contacts_matching(ContactPerson.objects.all(), "Uniquename").get()
    assert contact.counterparty == survivor


def test_the_merge_is_journaled_on_both_and_history_stays(pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    ct = ContentType.objects.get_for_model(Counterparty)
    before = ChangeJournal.objects.count()
    counterparty_merge(user=pair["admin"], survivor=survivor, duplicate=duplicate)
    on_survivor = ChangeJournal.objects.filter(content_type=ct, object_id=survivor.pk, changes__has_key="merged")
    assert on_survivor.get().changes["merged_id"][1] == str(duplicate.pk)
    on_duplicate = ChangeJournal.objects.filter(content_type=ct, object_id=duplicate.pk).order_by("seq")
    ops = [(e.operation, sorted(e.changes)) for e in on_duplicate]
    assert ("update", ["merged_into", "merged_into_id"]) in ops and ops[-1][0] == "delete"
    # every moved row has its own entry saying it changed counterparty
    invoice = Invoice.objects.get(number="M-1")
    entry = ChangeJournal.objects.filter(content_type=ContentType.objects.get_for_model(Invoice),
                                         object_id=invoice.pk).latest("seq")
    assert entry.changes == {"counterparty": [str(duplicate.pk), str(survivor.pk)]}
    assert ChangeJournal.objects.count() > before + 15


def test_the_survivors_history_says_it_in_words(pair, client):
    survivor = pair["survivor"]
    counterparty_merge(user=pair["admin"], survivor=survivor, duplicate=pair["duplicate"])
    client.force_login(pair["admin"])
    page = client.get(reverse("web:counterparty_detail", args=[survivor.pk]), {"tab": "history"}).content.decode()
    assert "Merged from" in page and "Волгатерм" in page and "{" not in page.split("Merged from", 1)[1][:300]


def test_only_administrators_merge(pair):
    with pytest.raises(PermissionDenied):
        counterparty_merge(user=pair["manager"], survivor=pair["survivor"], duplicate=pair["duplicate"])
    assert Counterparty.objects.filter(pk=pair["duplicate"].pk).exists()
    assert Invoice.objects.get(number="M-1").counterparty_id == pair["duplicate"].pk


def test_a_failure_leaves_everything_as_it_was(pair, monkeypatch):
    survivor, duplicate = pair["survivor"], pair["duplicate"]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge_module, "record_delete", broken)
    with pytest.raises(RuntimeError):
        counterparty_merge(user=pair["admin"], survivor=survivor, duplicate=duplicate)
    assert Counterparty.objects.filter(pk=duplicate.pk).exists()
    for model in KINDS:
        assert model.objects.filter(counterparty_id=duplicate.pk).exists(), model
    assert Binding.objects.filter(object_id=duplicate.pk).count() == 2
    assert not ChangeJournal.objects.filter(changes__has_key="merged").exists()


def test_the_survivors_primary_phone_stays_the_only_one(pair):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    Phone.objects.create(counterparty=survivor, number="+7 495 111-22-33", is_primary=True)
    Phone.objects.create(counterparty=duplicate, number="+7 495 444-55-66", is_primary=True)
    counterparty_merge(user=pair["admin"], survivor=survivor, duplicate=duplicate)
    primary = Phone.objects.filter(counterparty=survivor, contact__isnull=True, is_primary=True)
    assert [p.number for p in primary] == ["+7 495 111-22-33"]
    assert Phone.objects.filter(counterparty=survivor).count() == 3


def test_a_vip_duplicate_makes_the_survivor_vip(pair):
    duplicate = pair["duplicate"]
    Counterparty.objects.filter(pk=duplicate.pk).update(is_vip=True)
    duplicate.refresh_from_db()
    counterparty_merge(user=pair["admin"], survivor=pair["survivor"], duplicate=duplicate)
    pair["survivor"].refresh_from_db()
    assert pair["survivor"].is_vip


def test_the_merge_page(pair, client):
    survivor, duplicate = pair["survivor"], pair["duplicate"]
    url = reverse("web:counterparty_merge", args=[survivor.pk])
    client.force_login(pair["manager"])
    assert client.get(url).status_code == 403
    client.force_login(pair["admin"])
    page = client.get(url).content.decode()
    assert "Волгатерм" in page and f"?duplicate={duplicate.pk}" in page   # the same INN is offered
    page = client.get(url, {"duplicate": str(duplicate.pk)}).content.decode()
    assert "data-merge-moves" in page and "data-merge-confirm" in page
    response = client.post(url, {"duplicate": str(duplicate.pk)})
    assert response.status_code == 302
    assert not Counterparty.objects.filter(pk=duplicate.pk).exists()
