"""Addresses and bank accounts on a counterparty's card: "No address yet." has an add button, and whoever may
change the counterparty adds, corrects and removes them (journaled); others cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from raccordo.core.models import ChangeJournal
from raccordo.parties.models import Address, BankAccount
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(manager):
    return factories.CounterpartyFactory(responsible=manager, name="Romashka")


def test_the_card_offers_to_add_an_address_and_a_bank_account(client, manager, card):
    client.force_login(manager)
    page = client.get(reverse("web:counterparty_detail", args=[card.pk])).content.decode()
    assert "No address yet." in page
    assert reverse("web:counterparty_address_add", args=[card.pk]) in page
    assert reverse("web:counterparty_bank_account_add", args=[card.pk]) in page


def test_add_edit_and_remove_an_address(client, manager, card):
    client.force_login(manager)
    add = reverse("web:counterparty_address_add", args=[card.pk])
    response = client.post(add, {"kind": "legal", "text": "", "country": "RU"})
    assert "text" in response.context["form"].errors
    response = client.post(add, {"kind": "legal", "text": "Moscow, Lenina 1", "postcode": "101000", "country": "RU"})
    assert response.status_code == 302
    address = Address.objects.get(counterparty=card)
    assert "Moscow, Lenina 1" in client.get(reverse("web:counterparty_detail", args=[card.pk])).content.decode()
    client.post(reverse("web:counterparty_address_edit", args=[card.pk, address.pk]),
                {"kind": "actual", "text": "Moscow, Lenina 2", "country": "RU"})
    address.refresh_from_db()
    assert (address.kind, address.text) == ("actual", "Moscow, Lenina 2")
    client.post(reverse("web:counterparty_address_delete", args=[card.pk, address.pk]))
    assert not Address.objects.filter(pk=address.pk).exists()
    assert list(ChangeJournal.objects.filter(object_id=address.pk).order_by("seq")
                .values_list("operation", flat=True)) == ["create", "update", "delete"]


def test_add_a_bank_account_with_errors_next_to_the_fields(client, manager, card):
    client.force_login(manager)
    add = reverse("web:counterparty_bank_account_add", args=[card.pk])
    response = client.post(add, {"bank_name": "Sber", "currency": "RUB", "iban": "DE00 0000"})
    assert "iban" in response.context["form"].errors
    response = client.post(add, {"bank_name": "Sber", "bic": "044525225", "account_number": "40702810938000012345",
                                 "currency": "RUB"})
    assert response.status_code == 302
    account = BankAccount.objects.get(counterparty=card)
    client.post(reverse("web:counterparty_bank_account_delete", args=[card.pk, account.pk]))
    assert not BankAccount.objects.filter(pk=account.pk).exists()


def test_another_manager_reaches_none_of_it(client, other_manager, card):
    address = Address.objects.create(counterparty=card, text="Moscow")
    client.force_login(other_manager)
    for url in (reverse("web:counterparty_address_add", args=[card.pk]),
                reverse("web:counterparty_address_edit", args=[card.pk, address.pk]),
                reverse("web:counterparty_bank_account_add", args=[card.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("web:counterparty_address_delete", args=[card.pk, address.pk])).status_code == 404
    assert Address.objects.filter(pk=address.pk).exists()


def test_who_sees_but_may_not_change_gets_no_buttons_and_403(client, card):
    marketer_ro = factories.UserFactory(username="viewer", role="accountant")      # sees every client, read only
    address = Address.objects.create(counterparty=card, text="Moscow")
    client.force_login(marketer_ro)
    page = client.get(reverse("web:counterparty_detail", args=[card.pk])).content.decode()
    assert reverse("web:counterparty_address_add", args=[card.pk]) not in page
    assert client.get(reverse("web:counterparty_address_add", args=[card.pk])).status_code == 403
    assert client.post(reverse("web:counterparty_address_delete", args=[card.pk, address.pk])).status_code == 403
    assert Address.objects.filter(pk=address.pk).exists()
