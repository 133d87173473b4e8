"""Writing e-mail from the CRM through a real SMTP sink (aiosmtpd) and a real IMAP server (Dovecot) for Sent.

A reply keeps the thread (In-Reply-To/References on the wire, the same MailThread in the CRM, the copy in the
mailbox's Sent folder found again by the sync without a duplicate); templates fill their variables; an invoice
goes with its PDF; a mailbox not mine, a hidden client, and a stranger's address without confirmation are refused
with nothing sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from raccordo.activities.models import Interaction
from raccordo.comms import channels
from raccordo.comms.models import MessageTemplate
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.models import ChangeJournal
from raccordo.mail import compose, imap, sync
from raccordo.mail.models import Mailbox, MailDirection, MailFolder, MailLocation, MailMessage, Security
from raccordo.mail.sending import send_mail_message
from raccordo.parties.models import Email
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.factories import ContactPersonFactory, CounterpartyFactory
from tests.imap_server import make_message

CLIENT = "buyer@romashka.test"


@pytest.fixture
def client_card(manager):
    cp = CounterpartyFactory(name="Romashka", country="RU", responsible=manager)
    contact = ContactPersonFactory(counterparty=cp, first_name="Olga", last_name="Petrova")
    Email.objects.create(counterparty=cp, contact=contact, address=CLIENT, is_primary=True)
    Email.objects.create(counterparty=cp, address="office@romashka.test")
    return cp


@pytest.fixture
def sending_box(mailbox_of, smtp_server, settings):
    """make(owner, user=...) -> a mailbox reading Dovecot and sending through the aiosmtpd sink."""

    def make(owner, user="anna@firm.test", **fields):
        return mailbox_of(owner, user=user, smtp_host="127.0.0.1", smtp_port=settings.EMAIL_PORT,
                          smtp_security=Security.NONE, **fields)

    return make


def _sent_folder_ids(imap_server, user: str) -> list[str]:
    """The Message-IDs in the user's Sent folder, read over IMAP."""
    with imap_server.client(user) as c:
        c.select_folder("Sent", readonly=True)
        uids = c.search("ALL")
        data = c.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return [v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1].strip() for v in data.values()]


def _sync(box):
    with imap.connect(box) as client:
        return sync.mailbox_sync(box, client)


def test_a_reply_keeps_the_thread_on_the_wire_in_the_crm_and_in_sent(manager, client_card, sending_box,
                                                                      imap_server, smtp_server):
    box = sending_box(manager)
    imap_server.deliver(box.imap_login, make_message(sender=CLIENT, to=box.address, subject="Delivery dates",
                                                     message_id="<q1@romashka.test>", body="When do you ship?"))
    _sync(box)
    question = MailMessage.objects.get(message_id="q1@romashka.test")
    assert question.counterparty == client_card

    draft = compose.reply_draft(question, mailbox=box)
    assert draft.to == [CLIENT] and draft.subject == "Re: Delivery dates"
    assert "> When do you ship?" in draft.body
    sent = send_mail_message(user=manager, mailbox=box, to=draft.to, subject=draft.subject,
                             body="On Monday." + draft.body, in_reply_to=question)

    wire = smtp_server.messages[-1]
    assert wire["In-Reply-To"] == "<q1@romashka.test>"
    assert "<q1@romashka.test>" in wire["References"]
    assert wire["Subject"] == "Re: Delivery dates"
    assert smtp_server.envelopes[-1].rcpt_tos == [CLIENT]
    reply = sent.message
    assert reply.thread_id == question.thread_id and reply.direction == MailDirection.OUTBOUND
    assert reply.counterparty == client_card and reply.contact.first_name == "Olga" and reply.sent_by == manager
    assert wire["Message-ID"] == f"<{reply.message_id}>"
    question.refresh_from_db()
    assert question.answered and question.thread.message_count == 2
    entry = ChangeJournal.objects.get(object_id=reply.pk)  # the send is journaled, by whom, what went out
    assert entry.operation == "create" and entry.user == manager
    assert entry.changes["subject"][1] == "Re: Delivery dates"
    assert sent.sent_folder == "Sent" and not sent.warning
    assert f"<{reply.message_id}>" in _sent_folder_ids(imap_server, box.imap_login)

    # The next sync reads Sent and meets the reply it already has: no second copy, one more place it sits.
    _sync(box)
    assert MailMessage.objects.filter(mailbox=box, message_id=reply.message_id).count() == 1
    sent_folder = MailFolder.objects.get(mailbox=box, name="Sent")
    assert MailLocation.objects.filter(message=reply, folder=sent_folder).exists()


def test_the_client_answering_the_reply_lands_in_the_same_thread(manager, client_card, sending_box, imap_server):
    box = sending_box(manager)
    sent = send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Our offer", body="See below.",
                             counterparty=client_card)
    imap_server.deliver(box.imap_login, make_message(sender=CLIENT, to=box.address, subject="RE: Our offer",
                                                     in_reply_to=f"<{sent.message.message_id}>", body="Agreed"))
    _sync(box)
    answer = MailMessage.objects.get(mailbox=box, subject="RE: Our offer")
    assert answer.thread_id == sent.message.thread_id


def test_a_template_fills_its_variables_and_the_invoice_goes_as_pdf(manager, client_card, sending_box,
                                                                    smtp_server, reference_data):
    box = sending_box(manager)
    template = MessageTemplate.objects.create(
        name="Invoice", channel="email", subject="Счёт {{ invoice.number }} для {{ client.name }}",
        body="{{ contact.first_name }}, к оплате {{ invoice.total }}. {{ manager.name }}")
    invoice = invoice_issue(user=manager, invoice=invoice_create(user=manager, data={
        "own_company": reference_data["own_company"], "counterparty": client_card, "date": dt.date(2026, 11, 2)},
        lines=[LineInput(description="Service", quantity=Decimal("1"), price=Decimal("1000.00"),
                         vat_rate=Decimal("20"))]))
    contact = client_card.contacts.get()
    draft = compose.template_draft(template, user=manager, contact=contact, invoice=invoice)
    assert draft.subject == f"Счёт {invoice.number} для Romashka"
    assert draft.body.startswith("Olga, к оплате 1") and "Anna Ivanova" in draft.body
    assert "{{" not in draft.body

    sent = send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject=draft.subject, body=draft.body,
                             invoice=invoice, contact=contact, attach_invoice=True,
                             attachments=[("terms.txt", b"Terms", "text/plain")])
    wire = smtp_server.messages[-1]
    assert wire["Subject"] == draft.subject
    assert wire.get_body(("plain",)).get_content().strip() == draft.body
    files = {part.get_filename(): part for part in wire.iter_attachments()}
    assert set(files) == {f"invoice-{invoice.number}.pdf", "terms.txt"}
    assert files[f"invoice-{invoice.number}.pdf"].get_content().startswith(b"%PDF")
    assert sent.message.deal_id == invoice.deal_id and sent.message.counterparty == client_card
    assert sorted(a.filename for a in sent.message.attachments.all()) == [f"invoice-{invoice.number}.pdf",
                                                                          "terms.txt"]


def test_a_draft_invoice_is_not_attached(manager, client_card, sending_box, smtp_server, reference_data):
    box = sending_box(manager)
    draft_invoice = invoice_create(user=manager, data={"own_company": reference_data["own_company"],
                                                       "counterparty": client_card, "date": dt.date(2026, 11, 2)},
                                   lines=[LineInput(description="S", quantity=Decimal("1"), price=Decimal("5"),
                                                    vat_rate=Decimal("20"))])
    with pytest.raises(ApplicationError) as caught:
        send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Invoice", body="",
                          invoice=draft_invoice, attach_invoice=True)
    assert caught.value.code == "sales.invoice.not_sendable"
    assert smtp_server.messages == [] and not MailMessage.objects.exists()


def test_a_colleagues_mailbox_is_refused(manager, other_manager, client_card, sending_box, smtp_server):
    box = sending_box(other_manager, user="marco@firm.test")
    with pytest.raises(PermissionDenied):
        send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Hello", body="x",
                          counterparty=client_card)
    assert smtp_server.messages == [] and not MailMessage.objects.exists()
    assert compose.sender_mailboxes(manager) == []


def test_a_hidden_client_is_refused(manager, other_manager, sending_box, smtp_server):
    box = sending_box(manager)
    hidden = CounterpartyFactory(name="Not yours", responsible=other_manager)
    Email.objects.create(counterparty=hidden, address="ceo@notyours.test")
    with pytest.raises(PermissionDenied):
        send_mail_message(user=manager, mailbox=box, to=["ceo@notyours.test"], subject="Hello", body="x",
                          counterparty=hidden)
    assert smtp_server.messages == [] and not MailMessage.objects.exists()


def test_a_strangers_address_needs_a_confirmation(manager, client_card, sending_box, smtp_server):
    box = sending_box(manager)
    with pytest.raises(ApplicationError) as caught:
        send_mail_message(user=manager, mailbox=box, to=[CLIENT], cc=["someone@elsewhere.test"], subject="Offer",
                          body="x", counterparty=client_card)
    assert caught.value.code == "mail.send.unknown_recipients"
    assert caught.value.extra["addresses"] == ["someone@elsewhere.test"]
    assert smtp_server.messages == []
    sent = send_mail_message(user=manager, mailbox=box, to=[CLIENT], cc=["someone@elsewhere.test"],
                             subject="Offer", body="x", counterparty=client_card, confirm_unknown=True)
    assert sorted(smtp_server.envelopes[-1].rcpt_tos) == [CLIENT, "someone@elsewhere.test"]
    assert sent.message.cc_addresses == [{"address": "someone@elsewhere.test", "name": ""}]


def test_a_refused_connection_stores_nothing_and_says_so(manager, client_card, mailbox_of):
    box = mailbox_of(manager, smtp_host="127.0.0.1", smtp_port=9, smtp_security=Security.NONE)
    with pytest.raises(ApplicationError) as caught:
        send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Hello", body="x",
                          counterparty=client_card)
    assert caught.value.code == "mail.send.failed"
    assert "127.0.0.1:9" in caught.value.message and "nothing was sent" in caught.value.message
    assert not MailMessage.objects.exists()


def test_a_sent_message_without_imap_keeps_a_warning_not_an_error(manager, client_card, sending_box, smtp_server):
    box = sending_box(manager)
    box.imap_port = 9
    box.save()
    sent = send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Hello", body="x",
                             counterparty=client_card)
    assert len(smtp_server.messages) == 1 and sent.message.pk
    assert "Sent folder" in sent.warning and sent.sent_folder == ""


def test_the_email_channel_sends_from_the_own_mailbox_else_the_company_server(manager, other_manager, client_card,
                                                                              sending_box, smtp_server):
    template = MessageTemplate.objects.create(name="Hi", channel="email", subject="Hi {{ client.name }}",
                                              body="Dear {{ client.name }}")
    box = sending_box(manager)
    result = channels.send_from_template(user=manager, template=template, counterparty=client_card)
    assert isinstance(result, MailMessage) and result.mailbox == box and result.subject == "Hi Romashka"
    assert smtp_server.messages[-1]["From"].addresses[0].addr_spec == box.address
    assert not Interaction.objects.exists()

    # Marco has no mailbox: the company server carries it, logged on the timeline as before.
    client_card.responsible = other_manager
    client_card.save()
    logged = channels.send_from_template(user=other_manager, template=template, counterparty=client_card)
    assert isinstance(logged, Interaction) and logged.subject == "Hi Romashka"
    assert len(smtp_server.messages) == 2


@pytest.fixture
def smtp_with_login():
    """An aiosmtpd server that requires AUTH (over plain text: loopback only) with one login and password."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.smtp_server import Inbox, _free_port

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"anna@firm.test" and auth_data.password == b"smtp-app-password"
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_login_uses_the_encrypted_password(manager, client_card, mailbox_of, smtp_with_login):
    inbox, port = smtp_with_login
    box = mailbox_of(manager, smtp_host="127.0.0.1", smtp_port=port, smtp_security=Security.NONE,
                     smtp_login="anna@firm.test", smtp_password="wrong-password")
    with pytest.raises(ApplicationError) as caught:
        send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Hello", body="x",
                          counterparty=client_card)
    assert "refused the login or password" in caught.value.message, caught.value.extra
    assert inbox.messages == []
    box.smtp_password = "smtp-app-password"
    box.save()
    # Read back from the database: the password the send logs in with is the one the encrypted field decrypts.
    send_mail_message(user=manager, mailbox=Mailbox.objects.get(pk=box.pk), to=[CLIENT], subject="Hello",
                      body="x", counterparty=client_card)
    assert len(inbox.messages) == 1


def _self_signed(folder):
    """A certificate for 127.0.0.1 and its key (server.pem), and the same certificate as a CA file (ca.pem)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SMTP test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / "server.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    (folder / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "server.pem", folder / "ca.pem"


@pytest.fixture
def smtp_starttls(tmp_path):
    """An aiosmtpd server that takes mail only after STARTTLS, with a self-signed certificate."""
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.imap_server import PASSWORD
    from tests.smtp_server import Inbox, _free_port

    pem, ca = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem)
    inbox, port = Inbox(), _free_port()
    # Once on TLS the server offers AUTH, and the mailbox logs in with its IMAP login and password.
    accept = lambda server, session, envelope, mechanism, data: AuthResult(  # noqa: E731
        success=data.password == PASSWORD.encode(), handled=False)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=accept)
    controller.start()
    try:
        yield inbox, port, ca
    finally:
        controller.stop()


def test_starttls_checks_the_certificate(manager, client_card, mailbox_of, smtp_starttls, monkeypatch):
    inbox, port, ca = smtp_starttls
    box = mailbox_of(manager, smtp_host="127.0.0.1", smtp_port=port, smtp_security=Security.STARTTLS)
    with pytest.raises(ApplicationError) as caught:  # a certificate nobody vouches for: refused, nothing sent
        send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Hello", body="x",
                          counterparty=client_card)
    assert "secure connection" in caught.value.message and inbox.messages == []
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # now the system trusts it, as it would a real provider's
    send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Hello", body="x", counterparty=client_card)
    assert len(inbox.messages) == 1
    # Without STARTTLS this server refuses the message: the setting is what made it go over TLS.
    box.smtp_security = Security.NONE
    box.save()
    with pytest.raises(ApplicationError):
        send_mail_message(user=manager, mailbox=box, to=[CLIENT], subject="Hello", body="x",
                          counterparty=client_card)
    assert len(inbox.messages) == 1
