"""POST /api/v1/mail/send/ and /mail-messages/{id}/reply/: the composer's service over the API, against the
aiosmtpd sink and Dovecot: sent and stored, the thread kept, strangers refused until confirmed, other people's
mailboxes and messages 404/403, attachments in base64."""

from __future__ import annotations

import base64

import pytest

from raccordo.mail.models import Mailbox, MailMessage, Security
from raccordo.parties.models import Email
from tests.api.conftest import client_for
from tests.factories import CounterpartyFactory
from tests.imap_server import PASSWORD, imap_server  # noqa: F401  (the Dovecot fixture)

SEND = "/api/v1/mail/send/"


@pytest.fixture
def box(manager, imap_server, smtp_server, settings):  # noqa: F811
    imap_server.add_user("anna@firm.test")
    return Mailbox.objects.create(owner=manager, name="Anna", address="anna@firm.test", imap_host=imap_server.host,
                                  imap_port=imap_server.port, imap_security=Security.NONE, imap_login="anna@firm.test",
                                  imap_password=PASSWORD, smtp_host="127.0.0.1", smtp_port=settings.EMAIL_PORT,
                                  smtp_security=Security.NONE)


@pytest.fixture
def cp(manager):
    cp = CounterpartyFactory(name="Romashka", responsible=manager)
    Email.objects.create(counterparty=cp, address="buyer@romashka.test", is_primary=True)
    return cp


def test_send_then_reply_in_the_thread(manager, box, cp, smtp_server):
    api = client_for(manager)
    response = api.post(SEND, {"mailbox": str(box.pk), "to": ["buyer@romashka.test"], "subject": "Offer",
                               "body": "Our offer.", "counterparty": str(cp.pk),
                               "attachments": [{"filename": "offer.txt", "content_type": "text/plain",
                                                "content": base64.b64encode(b"Price: 10").decode()}]},
                        format="json")
    assert response.status_code == 201, response.json()
    sent = response.json()
    assert sent["sent_folder"] == "Sent" and sent["warning"] == "" and sent["counterparty"] == str(cp.pk)
    wire = smtp_server.messages[-1]
    assert [p.get_content() for p in wire.iter_attachments()] == ["Price: 10"]

    first = MailMessage.objects.get(pk=sent["id"])
    response = api.post(f"/api/v1/mail-messages/{first.pk}/reply/", {"body": "A reminder."}, format="json")
    assert response.status_code == 201, response.json()
    reply = response.json()
    assert reply["thread"] == sent["thread"] and reply["subject"] == "Re: Offer"
    assert smtp_server.messages[-1]["In-Reply-To"] == f"<{first.message_id}>"
    assert smtp_server.envelopes[-1].rcpt_tos == ["buyer@romashka.test"]


def test_a_stranger_is_refused_until_confirmed(manager, box, cp, smtp_server):
    api = client_for(manager)
    data = {"mailbox": str(box.pk), "to": ["x@elsewhere.test"], "subject": "Hi", "counterparty": str(cp.pk)}
    response = api.post(SEND, data, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "mail.send.unknown_recipients"
    assert response.json()["extra"]["addresses"] == ["x@elsewhere.test"]
    assert smtp_server.messages == []
    assert api.post(SEND, {**data, "confirm_unknown": True}, format="json").status_code == 201


def test_other_peoples_mailboxes_clients_and_messages(manager, other_manager, box, cp, smtp_server):
    api = client_for(other_manager)
    response = api.post(SEND, {"mailbox": str(box.pk), "to": ["buyer@romashka.test"], "subject": "Hi"},
                        format="json")
    assert response.status_code == 404
    own = Mailbox.objects.create(owner=other_manager, name="Marco", address="marco@firm.test", imap_host="127.0.0.1",
                                 imap_login="marco", smtp_host="127.0.0.1", smtp_port=box.smtp_port,
                                 smtp_security=Security.NONE)
    response = api.post(SEND, {"mailbox": str(own.pk), "to": ["buyer@romashka.test"], "subject": "Hi",
                               "counterparty": str(cp.pk)}, format="json")
    assert response.status_code == 404  # Anna's client is not Marco's to see
    message = MailMessage.objects.create(mailbox=box, message_id="m1@x", subject="Private",
                                         from_address="buyer@romashka.test", sent_at="2026-11-02T10:00:00Z")
    assert api.post(f"/api/v1/mail-messages/{message.pk}/reply/", {"body": "x"},
                    format="json").status_code == 404
    assert smtp_server.messages == []
