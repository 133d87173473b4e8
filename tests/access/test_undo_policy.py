"""Who may undo what (#17): the policy decides, from the roles' permissions and their reach.

Cancelling an invoice is a change of it, deleting a draft or a counterparty, contact or deal is their
"delete", and reversing a payment is the payments' "delete": a manager's own client, not another manager's;
the head over her department; administrators everywhere; a VIP client is out of reach (and out of sight) for
everyone but its manager, their head and roles granted VIP.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from raccordo.access import policy
from raccordo.access.models import CounterpartyShare, Department
from raccordo.core.errors import PermissionDenied
from raccordo.parties.models import Counterparty
from raccordo.parties.services import contact_create, counterparty_delete
from raccordo.sales.models import Invoice
from raccordo.sales.services import (
    LineInput,
    deal_create,
    invoice_create,
    invoice_issue,
    invoice_payment_record,
    payment_reverse,
)
from tests.factories import CounterpartyFactory, UserFactory

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
        "acc": UserFactory(username="acc", role="accountant"),
        "root": UserFactory(username="root", role="admin", is_staff=True, is_superuser=True),
    }


def _records(owner, ref, *, vip=False):
    cp = CounterpartyFactory(responsible=owner, is_vip=vip)
    draft = invoice_create(user=owner, data={"own_company": ref["own_company"], "counterparty": cp,
                                             "date": dt.date(2026, 11, 1)},
                           lines=[LineInput(description="Service", quantity=Decimal("1"), price=Decimal("100"))])
    issued = invoice_issue(user=owner, invoice=invoice_create(
        user=owner, data={"own_company": ref["own_company"], "counterparty": cp, "date": dt.date(2026, 11, 1)},
        lines=[LineInput(description="Service", quantity=Decimal("1"), price=Decimal("100"))]))
    payment = invoice_payment_record(user=owner, invoice=issued, amount=Decimal("50"), date=dt.date(2026, 11, 2))
    return {"counterparty": cp, "draft": draft, "issued": Invoice.objects.get(pk=issued.pk), "payment": payment,
            "contact": contact_create(user=owner, counterparty=cp, data={"first_name": "Ivan"}),
            "deal": deal_create(user=owner, data={"title": "Pumps", "counterparty": cp})}


# (action, record) -> who may, among anna, dmitry, elena, giulia, acc, root; the records are anna's client's.
MAY = {
    ("change", "issued"): {"anna", "elena", "acc", "root"},      # cancel with a reason
    ("delete", "draft"): {"anna", "elena", "acc", "root"},       # delete a draft
    ("delete", "payment"): {"acc", "root"},                      # reverse a payment
    ("delete", "counterparty"): {"anna", "elena", "root"},       # delete or archive
    ("delete", "contact"): {"anna", "elena", "root"},
    ("delete", "deal"): {"anna", "elena", "root"},
}


@pytest.mark.parametrize("action,record", list(MAY))
def test_who_may_undo_on_a_managers_own_client(people, reference_data, action, record):
    obj = _records(people["anna"], reference_data)[record]
    allowed = {name for name, user in people.items() if policy.can(user, action, obj)}
    assert allowed == MAY[(action, record)]


@pytest.mark.parametrize("action,record", list(MAY))
def test_a_vip_client_is_reached_only_by_its_manager_their_head_and_admins(people, reference_data, action, record):
    obj = _records(people["dmitry"], reference_data, vip=True)[record]
    allowed = {name for name, user in people.items() if policy.can(user, action, obj)}
    # The accountant's role reaches every client but VIP ones.
    expected = (MAY[(action, record)] - {"anna", "acc"}) | ({"dmitry"} if "anna" in MAY[(action, record)] else set())
    assert allowed == expected
    model = type(obj)
    assert not policy.visible(model.objects.filter(pk=obj.pk), people["anna"]).exists()


def test_a_colleague_it_is_shared_with_may_cancel_but_not_delete(people, reference_data):
    records = _records(people["anna"], reference_data)
    CounterpartyShare.objects.create(counterparty=records["counterparty"], user=people["giulia"])
    assert policy.can(people["giulia"], "change", records["issued"])
    assert not policy.can(people["giulia"], "delete", records["draft"])
    assert not policy.can(people["giulia"], "delete", records["counterparty"])
    with pytest.raises(PermissionDenied):
        counterparty_delete(user=people["giulia"], counterparty=records["counterparty"])


def test_services_follow_the_same_decisions(people, reference_data):
    records = _records(people["anna"], reference_data)
    with pytest.raises(PermissionDenied):
        payment_reverse(user=people["elena"], payment=records["payment"], reason="head")
    payment_reverse(user=people["acc"], payment=records["payment"], reason="accounting")
    with pytest.raises(PermissionDenied):
        counterparty_delete(user=people["dmitry"], counterparty=records["counterparty"])
    assert counterparty_delete(user=people["elena"], counterparty=records["counterparty"]) == "archived"


@pytest.mark.parametrize("name,record", [("web:invoice_cancel", "issued"), ("web:invoice_delete", "draft"),
                                         ("web:payment_reverse", "payment"),
                                         ("web:counterparty_delete", "counterparty"),
                                         ("web:contact_delete", "contact"), ("web:deal_delete", "deal")])
def test_confirmation_pages_answer_as_the_policy_says(client, people, reference_data, name, record):
    mine = _records(people["anna"], reference_data)
    vip = _records(people["dmitry"], reference_data, vip=True)
    action = "change" if record == "issued" else "delete"
    for username, user in people.items():
        client.force_login(user)
        status = client.get(reverse(name, args=[mine[record].pk])).status_code
        expected = 200 if username in MAY[(action, record)] else \
            403 if policy.can(user, "view", mine[record]) else 404
        assert status == expected, (name, username)
        # Hidden, not forbidden: a VIP client's records are 404 for those who do not see them.
        if not policy.can(user, "view", vip[record]):
            assert client.get(reverse(name, args=[vip[record].pk])).status_code == 404
    assert Counterparty.objects.filter(pk=mine["counterparty"].pk).exists()
