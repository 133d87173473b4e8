"""Writing e-mail from the CRM in a real browser, through the aiosmtpd sink and a Dovecot for the Sent folder.

A manager opens the client's card, clicks "Write e-mail", picks a template (htmx fills subject and text with
the client's values), sends, and is told where the copy went; an address that is not on the card asks first.
In Russian: an invoice's e-mail with its PDF ticked, and a reply with the quoted original.

Screenshots: tests/e2e/screenshots/120-mail-compose-card.png, 121-mail-compose-template.png,
122-mail-sent-card.png, 123-mail-compose-confirm.png, 124-mail-compose-invoice-ru.png, 125-mail-reply-ru.png,
126-mail-message-reply-ru.png.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from raccordo.comms.models import MessageTemplate
from raccordo.mail.models import Mailbox, MailMessage, Security
from raccordo.parties.models import Email
from raccordo.sales.services import LineInput, invoice_create, invoice_issue
from tests.e2e.conftest import login
from tests.factories import ContactPersonFactory, CounterpartyFactory, UserFactory, reference_data
from tests.imap_server import PASSWORD, imap_server  # noqa: F401  (the Dovecot fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(imap_server, smtp_server, settings):  # noqa: F811
    ref = reference_data()
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager",
                       email="anna@firm.test")
    cp = CounterpartyFactory(name="Romashka", full_name="LLC Romashka", country="RU", responsible=anna)
    olga = ContactPersonFactory(counterparty=cp, first_name="Olga", last_name="Petrova", position="Buyer")
    Email.objects.create(counterparty=cp, contact=olga, address="olga@romashka.test", is_primary=True)
    Email.objects.create(counterparty=cp, address="office@romashka.test")
    imap_server.add_user("anna@firm.test")
    box = Mailbox.objects.create(owner=anna, name="Anna Ivanova", address="anna@firm.test",
                                 imap_host=imap_server.host, imap_port=imap_server.port, imap_security=Security.NONE,
                                 imap_login="anna@firm.test", imap_password=PASSWORD, smtp_host="127.0.0.1",
                                 smtp_port=settings.EMAIL_PORT, smtp_security=Security.NONE)
    MessageTemplate.objects.create(
        name="Commercial offer", channel="email", subject="Offer for {{ client.name }}",
        body="Dear {{ contact.first_name }},\n\nplease find our offer for {{ client.full_name }} below.\n\n"
             "Best regards,\n{{ manager.name }}")
    return {"ref": ref, "anna": anna, "cp": cp, "olga": olga, "box": box, "sink": smtp_server}


def test_write_from_the_card_with_a_template(page, story, shot):
    login(page, "anna", "pass-12345")
    page.goto(f"{page.base_url}/counterparties/{story['cp'].pk}/")
    page.get_by_test_id("card-write").click()
    expect(page.locator("h1")).to_contain_text("Write e-mail")
    expect(page.get_by_label("Petrova Olga <olga@romashka.test>")).to_be_checked()
    expect(page.get_by_label("Romashka <office@romashka.test>")).not_to_be_checked()
    shot(page, "120-mail-compose-card")

    page.get_by_test_id("compose-template").select_option(label="Commercial offer")
    expect(page.get_by_test_id("compose-subject")).to_have_value("Offer for Romashka")
    expect(page.get_by_test_id("compose-body")).to_have_value(re.compile(r"^Dear Olga,"))
    expect(page.get_by_test_id("compose-body")).to_have_value(re.compile(r"LLC Romashka.*Anna Ivanova", re.S))
    page.get_by_test_id("compose-body").press("End")
    shot(page, "121-mail-compose-template")

    page.get_by_test_id("compose-send").click()
    toast = page.locator("#toasts [data-level=success]")
    # Bootstrap fades the toast in ("showing", then "show"): the picture waits for it to be there in full.
    expect(toast).to_have_class(re.compile(r"\bshow\b"))
    expect(toast).not_to_have_class(re.compile(r"\bshowing\b"))
    expect(toast).to_contain_text("Sent to olga@romashka.test. A copy is in the folder Sent of anna@firm.test")
    # The card's feed shows the message once (the mail app's feed source), linked to its page.
    expect(page.get_by_test_id("feed")).to_contain_text("Offer for Romashka")
    expect(page.get_by_test_id("feed")).to_contain_text("E-mail sent to olga@romashka.test")
    shot(page, "122-mail-sent-card")
    (wire,) = story["sink"].messages
    assert wire["Subject"] == "Offer for Romashka" and wire["To"] == "olga@romashka.test"
    assert MailMessage.objects.get(mailbox=story["box"]).counterparty == story["cp"]


def test_a_strangers_address_asks_first(page, story, shot):
    login(page, "anna", "pass-12345")
    page.goto(f"{page.base_url}/mail/write/?counterparty={story['cp'].pk}")
    page.get_by_test_id("compose-to").fill("someone@elsewhere.test")
    page.get_by_test_id("compose-subject").fill("Samples")
    page.get_by_test_id("compose-body").fill("The samples left today.")
    page.get_by_test_id("compose-send").click()
    warning = page.get_by_test_id("compose-unknown")
    expect(warning).to_contain_text("someone@elsewhere.test")
    assert story["sink"].messages == []
    shot(page, "123-mail-compose-confirm", full_page=True)
    warning.get_by_label("Yes, send to these addresses").check()
    page.get_by_test_id("compose-send").click()
    expect(page.locator("body")).to_contain_text("Sent to olga@romashka.test, someone@elsewhere.test")
    assert sorted(story["sink"].envelopes[0].rcpt_tos) == ["olga@romashka.test", "someone@elsewhere.test"]


def test_in_russian_an_invoice_with_its_pdf_and_a_reply(page, story, shot):
    anna, cp = story["anna"], story["cp"]
    invoice = invoice_issue(user=anna, invoice=invoice_create(user=anna, data={
        "own_company": story["ref"]["own_company"], "counterparty": cp, "date": dt.date(2026, 11, 2)},
        lines=[LineInput(description="Поставка", quantity=Decimal("2"), price=Decimal("500"),
                         vat_rate=Decimal("20"))]))
    login(page, "anna", "pass-12345")
    page.select_option("#language-switch", "ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto(f"{page.base_url}/invoices/{invoice.pk}/")
    page.get_by_test_id("invoice-write").click()
    expect(page.locator("h1")).to_contain_text("Написать письмо")
    expect(page.get_by_label("Приложить счёт в PDF")).to_be_checked()
    page.get_by_test_id("compose-subject").fill(f"Счёт {invoice.number}")
    page.get_by_test_id("compose-body").fill("Добрый день, Ольга!\n\nСчёт во вложении.")
    shot(page, "124-mail-compose-invoice-ru")
    page.get_by_test_id("compose-send").click()
    expect(page.locator("body")).to_contain_text("Отправлено: olga@romashka.test")
    (wire,) = story["sink"].messages
    assert [p.get_filename() for p in wire.iter_attachments()] == [f"invoice-{invoice.number}.pdf"]

    sent = MailMessage.objects.get(mailbox=story["box"])
    answer = MailMessage.objects.create(
        mailbox=story["box"], thread=sent.thread, message_id="answer-1@romashka.test", in_reply_to=sent.message_id,
        subject=f"RE: Счёт {invoice.number}", from_address="olga@romashka.test", from_name="Ольга Петрова",
        to_addresses=[{"address": "anna@firm.test", "name": ""}], sent_at=dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC),
        body_text="Спасибо, оплатим в пятницу.\nОльга", counterparty=cp)
    page.goto(f"{page.base_url}/mail/messages/{answer.pk}/")
    expect(page.get_by_test_id("mail-reply-all")).to_be_visible()
    shot(page, "126-mail-message-reply-ru")
    page.get_by_test_id("mail-reply").click()
    expect(page.get_by_test_id("compose-subject")).to_have_value(f"Re: Счёт {invoice.number}")
    expect(page.get_by_test_id("compose-body")).to_have_value(re.compile(r"> Спасибо, оплатим в пятницу\."))
    page.get_by_test_id("compose-body").press("Control+Home")
    page.get_by_test_id("compose-body").type("Спасибо, ждём оплату.")
    shot(page, "125-mail-reply-ru")
    page.get_by_test_id("compose-send").click()
    expect(page.locator("#toasts [data-level=success]")).to_contain_text("Отправлено: olga@romashka.test")
    assert page.url.endswith(f"/mail/messages/{answer.pk}/")
    assert story["sink"].messages[-1]["In-Reply-To"] == "<answer-1@romashka.test>"
    assert MailMessage.objects.filter(thread=sent.thread).count() == 3
