"""Fixtures of the mail tests: a real Dovecot, and a mailbox of the test user pointed at it."""

from __future__ import annotations

import pytest

from raccordo.mail.models import Mailbox, Security
from tests.imap_server import PASSWORD, imap_server  # noqa: F401  (the fixture, used by the tests here)


@pytest.fixture
def mailbox_of(imap_server):  # noqa: F811
    """make(owner, user="anna@firm.test", **fields) -> a Mailbox reading that Dovecot user."""

    def make(owner=None, user="anna@firm.test", **fields):
        imap_server.add_user(user)
        data = dict(owner=owner, name=user, address=user, imap_host=imap_server.host, imap_port=imap_server.port,
                    imap_security=Security.NONE, imap_login=user, imap_password=PASSWORD, import_all=owner is None)
        data.update(fields)
        return Mailbox.objects.create(**data)

    return make
