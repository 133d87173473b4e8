"""Issue #18 in a real browser, against a real Dovecot: a manager connects her mailbox, tests the connection,
syncs it, reads a conversation with a client and finds the mail on the client's card; the same Mail page in
Russian. Her private mail (a friend on a public mail service) is not imported.

Screenshots: tests/e2e/screenshots/110-mail-mailbox.png, 111-mail-thread.png, 112-card-feed-mail.png,
113-mail-mailboxes.png, 114-mail-mailbox-ru.png.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from raccordo.access.models import Department
from raccordo.parties.models import Email
from raccordo.parties.services import counterparty_create
from tests.e2e.conftest import login
from tests.factories import ContactPersonFactory, UserFactory, inn10
from tests.imap_server import PASSWORD, imap_server, make_message  # noqa: F401  (the Dovecot fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ANNA = "anna@firm.test"


@pytest.fixture
def mail_story(transactional_db, imap_server):  # noqa: F811
    sales = Department.objects.create(name="Sales Russia")
    anna = UserFactory(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=sales)
    cp = counterparty_create(user=anna, data={"kind": "legal", "name": "Romashka", "inn": inn10(77)})
    ivan = ContactPersonFactory(counterparty=cp, first_name="Ivan", last_name="Petrov")
    Email.objects.create(counterparty=cp, contact=ivan, address="ivan@romashka.test")
    imap_server.add_user(ANNA)
    now = timezone.now()
    letters = [
        ("ivan@romashka.test", ANNA, "Boiler room: the drawings", "<d1@romashka.test>", "", "INBOX", 50,
         "Good morning Anna,\n\nplease send the drawings of the boiler room by Friday.\n\nIvan Petrov"),
        (ANNA, "ivan@romashka.test", "Re: Boiler room: the drawings", "<r1@firm.test>", "<d1@romashka.test>", "Sent",
         30, "Ivan,\n\nthe drawings are attached to the offer; the pipes ship in March.\n\nAnna"),
        ("olga@romashka.test", ANNA, "Re: Boiler room: the drawings", "<d2@romashka.test>", "<r1@firm.test>",
         "INBOX", 10, "Hello, I am Ivan's colleague from accounting: which contract do we pay against?\n\nOlga"),
        ("masha.friend@gmail.com", ANNA, "Dinner on Saturday?", "<p1@gmail.com>", "", "INBOX", 5,
         "See you at eight!"),
    ]
    for sender, to, subject, mid, reply, folder, hours, body in letters:
        imap_server.deliver(ANNA, make_message(sender=sender, to=to, subject=subject, message_id=mid,
                                               in_reply_to=reply, body=body, date=now - dt.timedelta(hours=hours)),
                            folder=folder)
    return {"anna": anna, "cp": cp}


def _connect_mailbox(page, server) -> None:
    page.goto(f"{page.base_url}/mail/")
    page.get_by_role("link", name="Connect a mailbox").click()
    form = page.get_by_test_id("mailbox-form")
    for name, value in (("name", "Anna Ivanova"), ("address", ANNA), ("imap_host", server.host),
                        ("imap_port", str(server.port)), ("imap_login", ANNA), ("imap_password", PASSWORD),
                        ("sync_since", "2020-01-01")):
        form.locator(f"[name={name}]").fill(value)
    form.locator("[name=imap_security]").select_option("none")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Mailbox saved.")).to_be_visible()


def test_connect_sync_read_and_see_mail_on_the_card(page, shot, mail_story, imap_server, huey_immediate):  # noqa: F811
    login(page, "anna", "pass-12345")
    _connect_mailbox(page, imap_server)
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connected: 3 folders found.")).to_be_visible()
    shot(page, "113-mail-mailboxes")
    page.get_by_role("button", name="Sync now").click()
    threads = page.get_by_test_id("mail-threads")
    expect(threads).to_contain_text("Boiler room: the drawings")
    expect(threads).to_contain_text("Romashka")
    expect(threads).not_to_contain_text("Dinner")           # private mail stays out of the CRM
    expect(page.get_by_test_id("mail-folders")).to_contain_text("3 of 3")
    expect(page.get_by_test_id("mail-mailboxes")).to_contain_text("connected")
    shot(page, "110-mail-mailbox")

    threads.get_by_role("link", name="Boiler room: the drawings").click()
    expect(page.get_by_test_id("mail-message")).to_have_count(3)
    expect(page.locator("main")).to_contain_text("which contract do we pay against?")
    shot(page, "111-mail-thread", full_page=True)

    page.get_by_role("link", name="Romashka").first.click()
    feed = page.get_by_test_id("feed")
    expect(feed).to_contain_text("Boiler room: the drawings")
    expect(feed).to_contain_text("E-mail sent to ivan@romashka.test")
    expect(feed).to_contain_text("E-mail from Petrov Ivan")
    shot(page, "112-card-feed-mail")


def test_the_mail_page_in_russian(browser, live_server, shot, mail_story, imap_server):  # noqa: F811
    from raccordo.mail import services
    from raccordo.mail.models import Mailbox, Security

    box = Mailbox.objects.create(owner=mail_story["anna"], name="Анна Иванова", address=ANNA,
                                 imap_host=imap_server.host, imap_port=imap_server.port, imap_security=Security.NONE,
                                 imap_login=ANNA, imap_password=PASSWORD)
    assert services.mailbox_sync_run(mailbox_id=box.pk) is not None
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ru-RU")
    page = context.new_page()
    page.base_url = live_server.url
    try:
        login(page, "anna", "pass-12345")
        page.goto(f"{live_server.url}/mail/")
        expect(page.get_by_role("heading", name="Почта")).to_be_visible()
        expect(page.get_by_test_id("mail-threads")).to_contain_text("Romashka")
        expect(page.get_by_test_id("mail-folders")).to_contain_text("Отправленные")
        shot(page, "114-mail-mailbox-ru")
    finally:
        context.close()
