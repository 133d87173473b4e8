"""Who may send from which mailbox and about what (access.policy.mail, the sending part): one's own personal
mailbox, a company mailbox shared with one's department (or one above it); never a colleague's personal one,
administrators included; never about a client one does not see; strangers' addresses need a confirmation."""

from __future__ import annotations

import pytest

from raccordo.access import policy
from raccordo.access.models import Department
from raccordo.mail.models import Mailbox
from raccordo.parties.models import Email
from tests import factories

pytestmark = pytest.mark.django_db


def _mailbox(owner=None, shared_with=None, name="box", smtp_host="smtp.firm.test", **fields):
    return Mailbox.objects.create(owner=owner, shared_with=shared_with, name=name, address=f"{name}@firm.test",
                                  imap_host="127.0.0.1", imap_login=name, smtp_host=smtp_host, **fields)


def test_who_may_send_from_which_mailbox(manager, other_manager, admin_user):
    sales = Department.objects.create(name="Sales")
    moscow = Department.objects.create(name="Moscow", parent=sales)
    manager.department = moscow
    manager.save()
    own, theirs = _mailbox(owner=manager, name="anna"), _mailbox(owner=other_manager, name="marco")
    company = _mailbox(shared_with=sales, name="sales")
    unshared = _mailbox(name="info")
    assert policy.may_send_from(manager, own) and not policy.may_send_from(manager, theirs)
    assert policy.may_send_from(manager, company)           # shared with the department above hers
    assert not policy.may_send_from(other_manager, company) and not policy.may_send_from(manager, unshared)
    assert not policy.may_send_from(admin_user, own)        # administrators: company mailboxes, not people's
    assert policy.may_send_from(admin_user, unshared)
    assert not policy.may_send_from(manager, _mailbox(owner=manager, name="nosmtp", smtp_host=""))
    assert not policy.may_send_from(manager, _mailbox(owner=manager, name="off", is_active=False))


def test_writing_about_a_hidden_client_or_a_stranger(manager, other_manager):
    own = _mailbox(owner=manager, name="anna")
    mine = factories.CounterpartyFactory(responsible=manager)
    hidden = factories.CounterpartyFactory(responsible=other_manager)
    assert policy.mail_send_refused(manager, mailbox=own, counterparty=mine) == []
    assert policy.mail_send_refused(manager, mailbox=own, counterparty=hidden)
    contact = factories.ContactPersonFactory(counterparty=mine)
    Email.objects.create(counterparty=mine, contact=contact, address="buyer@client.test")
    unknown = policy.mail_unknown_recipients(mine, ["Buyer@Client.test", "x@else.test", "thread@else.test"],
                                             known=["thread@else.test"])
    assert unknown == ["x@else.test"]
    assert policy.mail_unknown_recipients(None, ["a@b.test"]) == ["a@b.test"]
