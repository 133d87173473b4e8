"""The e-mail composer's pages: from the card (the card's addresses, a template filling subject and text through
htmx), the confirmation a stranger's address needs, the invoice PDF ticked by default, Reply with the quoted
original, and what a user without a mailbox or without the message is shown."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from raccordo.comms.models import MessageTemplate
from raccordo.mail.models import Mailbox, MailDirection, MailMessage, Security
from raccordo.parties.models import Email
from tests.imap_server import PASSWORD, imap_server  # noqa: F401  (the Dovecot fixture)


@pytest.fixture
def box(manager, imap_server, smtp_server, settings):  # noqa: F811
    imap_server.add_user("anna@firm.test")
    return Mailbox.objects.create(owner=manager, name="Anna", address="anna@firm.test", imap_host=imap_server.host,
                                  imap_port=imap_server.port, imap_security=Security.NONE, imap_login="anna@firm.test",
                                  imap_password=PASSWORD, smtp_host="127.0.0.1", smtp_port=settings.EMAIL_PORT,
                                  smtp_security=Security.NONE)


def test_write_from_the_card_with_a_template(manager_client, world, box, smtp_server):
    cp = world["mine"]["counterparty"]
    template = MessageTemplate.objects.create(name="Hello", channel="email", subject="Offer for {{ client.name }}",
                                              body="Dear {{ client.name }},\nour offer.")
    card = manager_client.get(reverse("web:counterparty_detail", args=[cp.pk])).content.decode()
    compose_url = reverse("web:mail_compose") + f"?counterparty={cp.pk}"
    assert compose_url.replace("&", "&amp;") in card or compose_url in card
    page = manager_client.get(compose_url).content.decode()
    assert "romashka@example.com" in page and "anna@firm.test" in page and "Hello" in page
    filled = manager_client.get(reverse("web:mail_compose_template"),
                                {"template": template.pk, "counterparty": cp.pk}, HTTP_HX_REQUEST="true")
    text = filled.content.decode()
    assert 'id="compose-text"' in text and "Offer for Romashka" in text and "Dear Romashka," in text

    response = manager_client.post(compose_url, {"mailbox": box.pk, "to_card": ["romashka@example.com"],
                                                 "subject": "Offer for Romashka", "body": "Dear Romashka,",
                                                 "counterparty": cp.pk})
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("web:counterparty_detail", args=[cp.pk]))
    (wire,) = smtp_server.messages
    assert wire["To"] == "romashka@example.com" and wire["Subject"] == "Offer for Romashka"
    stored = MailMessage.objects.get(mailbox=box)
    assert stored.counterparty == cp and stored.direction == MailDirection.OUTBOUND
    shown = manager_client.get(response["Location"]).content.decode()
    assert "Sent to romashka@example.com" in shown and "Sent" in shown


def test_a_strangers_address_asks_first(manager_client, world, box, smtp_server):
    cp = world["mine"]["counterparty"]
    data = {"mailbox": box.pk, "to": "someone@elsewhere.test", "subject": "Hi", "body": "x", "counterparty": cp.pk}
    page = manager_client.post(reverse("web:mail_compose"), data)
    assert page.status_code == 200 and smtp_server.messages == []
    html = page.content.decode()
    assert 'data-testid="compose-unknown"' in html and "someone@elsewhere.test" in html
    response = manager_client.post(reverse("web:mail_compose"), {**data, "confirm_unknown": "on"})
    assert response.status_code == 302 and len(smtp_server.messages) == 1


def test_write_about_an_invoice_attaches_its_pdf(manager_client, world, box, smtp_server):
    invoice = world["mine"]["invoice"]
    url = reverse("web:mail_compose") + f"?invoice={invoice.pk}"
    html = manager_client.get(url).content.decode()
    assert "checked" in re.search(r'<input[^>]*name="attach_invoice"[^>]*>', html).group(0)
    response = manager_client.post(url, {"mailbox": box.pk, "to_card": ["romashka@example.com"], "subject": "Invoice",
                                         "body": "Attached.", "attach_invoice": "on", "invoice": invoice.pk})
    assert response["Location"] == reverse("web:invoice_detail", args=[invoice.pk])
    (wire,) = smtp_server.messages
    assert [p.get_filename() for p in wire.iter_attachments()] == [f"invoice-{invoice.number}.pdf"]


def test_reply_quotes_and_keeps_the_thread(manager_client, world, box, smtp_server, manager):
    cp = world["mine"]["counterparty"]
    Email.objects.get_or_create(counterparty=cp, address="romashka@example.com")
    question = MailMessage.objects.create(mailbox=box, message_id="q7@example.com", subject="Prices",
                                          from_address="romashka@example.com", from_name="Ivan",
                                          to_addresses=[{"address": box.address, "name": ""},
                                                        {"address": "colleague@example.com", "name": ""}],
                                          sent_at="2026-11-02T10:00:00Z", body_text="What are your prices?",
                                          counterparty=cp)
    url = reverse("web:mail_reply", args=[question.pk])
    html = manager_client.get(url + "?all=1").content.decode()
    assert "Re: Prices" in html and "&gt; What are your prices?" in html and "colleague@example.com" in html
    response = manager_client.post(url, {"mailbox": box.pk, "to": "romashka@example.com", "subject": "Re: Prices",
                                         "body": "Here they are.", "all": "0"})
    assert response.status_code == 302
    (wire,) = smtp_server.messages
    assert wire["In-Reply-To"] == "<q7@example.com>"
    reply = MailMessage.objects.exclude(pk=question.pk).get()
    assert reply.in_reply_to == "q7@example.com" and reply.counterparty == cp


def test_a_colleague_cannot_open_the_reply_and_without_a_mailbox_the_composer_says_so(
        client, other_manager, world, box):
    question = MailMessage.objects.create(mailbox=box, message_id="q8@example.com", subject="Private",
                                          from_address="romashka@example.com", sent_at="2026-11-02T10:00:00Z")
    client.force_login(other_manager)
    assert client.get(reverse("web:mail_reply", args=[question.pk])).status_code == 404
    cp = world["theirs"]["counterparty"]
    html = client.get(reverse("web:mail_compose") + f"?counterparty={cp.pk}").content.decode()
    assert 'data-testid="compose-no-mailbox"' in html and 'data-testid="composer"' not in html
    assert client.get(reverse("web:mail_compose") + f"?counterparty={world['mine']['counterparty'].pk}"
                      ).status_code == 404
