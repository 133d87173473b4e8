"""Who reads which mailbox and message: personal mail is its owner's alone; a company mailbox shared with a
department reaches that department and the ones below it, a linked message only those who see the client."""

from __future__ import annotations

import pytest
from django.utils import timezone

from raccordo.access import policy
from raccordo.access.models import Department
from raccordo.access.rules import RULES, Rule
from raccordo.mail.models import Mailbox, MailMessage
from tests import factories

pytestmark = pytest.mark.django_db


def _mailbox(owner=None, shared_with=None, name="box"):
    return Mailbox.objects.create(owner=owner, shared_with=shared_with, name=name, address=f"{name}@firm.test",
                                  imap_host="127.0.0.1", imap_login=name)


def _message(mailbox, counterparty=None, mid="m1"):
    return MailMessage.objects.create(mailbox=mailbox, message_id=mid, subject="Offer", sent_at=timezone.now(),
                                      counterparty=counterparty)


@pytest.fixture
def tree():
    sales = Department.objects.create(name="Sales")
    moscow = Department.objects.create(name="Moscow", parent=sales)
    other = Department.objects.create(name="Purchasing")
    return {"sales": sales, "moscow": moscow, "other": other}


def test_personal_mail_is_the_owners_alone(manager, other_manager, admin_user, tree):
    manager.department = tree["moscow"]
    manager.save()
    head = factories.UserFactory(username="head", role="head", department=tree["sales"])
    client = factories.CounterpartyFactory(responsible=head)  # the head sees the client, not anna's mail
    box = _mailbox(owner=manager)
    msg = _message(box, counterparty=client)
    seen = lambda user: list(policy.visible(MailMessage.objects.all(), user))  # noqa: E731
    assert seen(manager) == [msg]
    assert seen(other_manager) == [] and seen(head) == [] and seen(admin_user) == []
    assert policy.can(manager, "view", msg) and not policy.can(head, "view", msg)
    assert not policy.can(admin_user, "view", msg)
    # The administrator still sees that the mailbox exists (its state), and may fix its settings.
    assert list(policy.visible(Mailbox.objects.all(), admin_user)) == [box]
    assert list(policy.visible(Mailbox.objects.all(), other_manager)) == []
    assert policy.can_send_from(manager, box) and not policy.can_send_from(other_manager, box)


def test_company_mailbox_reaches_its_department_and_below(manager, other_manager, tree):
    manager.department = tree["moscow"]
    manager.save()
    other_manager.department = tree["other"]
    other_manager.save()
    box = _mailbox(shared_with=tree["sales"], name="sales")
    plain = _message(box, mid="plain")
    assert list(policy.visible(MailMessage.objects.all(), manager)) == [plain]
    assert list(policy.visible(MailMessage.objects.all(), other_manager)) == []
    assert policy.can(manager, "change", plain)       # marking it read goes with reading
    assert not policy.can(manager, "delete", plain)   # deleting is the administrators' on a company mailbox
    assert policy.can_send_from(manager, box) and not policy.can_send_from(other_manager, box)
    assert list(policy.visible(Mailbox.objects.all(), manager)) == [box]
    assert not policy.can(manager, "change", box)


def test_linked_company_mail_needs_the_client_too(manager, other_manager, admin_user, tree):
    for user in (manager, other_manager):
        user.department = tree["sales"]
        user.save()
    box = _mailbox(shared_with=tree["sales"], name="sales")
    vip = factories.CounterpartyFactory(responsible=other_manager, is_vip=True)
    mine = factories.CounterpartyFactory(responsible=manager)
    vip_msg, my_msg = _message(box, vip, "vip"), _message(box, mine, "mine")
    assert set(policy.visible(MailMessage.objects.all(), manager)) == {my_msg}
    assert set(policy.visible(MailMessage.objects.all(), other_manager)) == {vip_msg}
    assert not policy.can(manager, "view", vip_msg) and policy.can(other_manager, "view", vip_msg)
    assert set(policy.visible(MailMessage.objects.all(), admin_user)) == {vip_msg, my_msg}


def test_a_rule_naming_an_unregistered_scope_is_an_error(manager, monkeypatch):
    monkeypatch.setitem(RULES, "mail.mailmessage", Rule(subject="activities", scope="nobody.registered"))
    with pytest.raises(LookupError):
        policy.visible(MailMessage.objects.all(), manager)


def test_a_registered_scope_decides_rows(manager, other_manager, monkeypatch):
    """The general mechanism: a rule's scope name hands the decision to the registered functions."""
    box = _mailbox(owner=manager)
    msg = _message(box)
    monkeypatch.setattr(policy.rows, "SCOPES", dict(policy.rows.SCOPES))
    policy.register_scope("test.nobody", visible=lambda qs, user, action: qs.none(),
                          can=lambda user, action, obj: False)
    monkeypatch.setitem(RULES, "mail.mailmessage", Rule(subject="activities", scope="test.nobody"))
    assert list(policy.visible(MailMessage.objects.all(), manager)) == []
    assert not policy.can(manager, "view", msg)
    # Without the role's grant on the subject, the scope is not even asked.
    monkeypatch.setitem(RULES, "mail.mailmessage", Rule(subject="exchange", scope="mail.message"))
    assert list(policy.visible(MailMessage.objects.all(), manager)) == []
