"""The Mail pages, the card's feed, the API and the mailbox settings: what each shows, and to whom."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from raccordo.access.models import Department
from raccordo.core.models import ChangeJournal
from raccordo.mail.linking import deal_for, is_public_domain
from raccordo.mail.models import Mailbox, MailMessage, MailThread
from raccordo.sales.services import LineInput, invoice_create
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = ('<p>Dear <b>Anna</b></p><script>alert(1)</script><img src="http://track.test/p.gif" onerror="x()">'
           '<a href="javascript:steal()">click</a><a href="https://acme.test/offer">offer</a>'
           '<style>body{display:none}</style>')


@pytest.fixture
def mail_world(manager, other_manager):
    head = factories.UserFactory(username="boss", role="head")
    sales = Department.objects.create(name="Sales")
    for user in (manager, other_manager, head):
        user.department = sales
        user.save()
    client = factories.CounterpartyFactory(responsible=manager, name="Acme")
    box = Mailbox.objects.create(owner=manager, name="Anna", address="anna@firm.test", imap_host="127.0.0.1",
                                 imap_login="anna", imap_password="pw-1")
    thread = MailThread.objects.create(mailbox=box, subject="Offer", counterparty=client,
                                       last_message_at=timezone.now(), message_count=1)
    message = MailMessage.objects.create(mailbox=box, thread=thread, message_id="m1@acme.test", subject="Offer",
                                         from_address="ivan@acme.test", sent_at=timezone.now(), counterparty=client,
                                         body_text="Dear Anna, see the offer.", body_html=HOSTILE,
                                         snippet="Dear Anna, see the offer.")
    return {"head": head, "client": client, "box": box, "thread": thread, "message": message}


def test_the_mail_page_lists_my_conversations(client, manager, mail_world):
    client.force_login(manager)
    page = client.get(reverse("mail:mail_home")).content.decode()
    assert "Offer" in page and "anna@firm.test" in page
    page = client.get(reverse("mail:mail_thread", args=[mail_world["thread"].pk])).content.decode()
    assert "Dear Anna, see the offer." in page


def test_nobody_else_opens_my_mail_not_even_my_head(client, other_manager, mail_world):
    for user in (other_manager, mail_world["head"]):
        client.force_login(user)
        assert client.get(reverse("mail:mail_message", args=[mail_world["message"].pk])).status_code == 404
        assert client.get(reverse("mail:mail_thread", args=[mail_world["thread"].pk])).status_code == 404
        assert "Offer" not in client.get(reverse("mail:mail_home")).content.decode()


def test_the_card_shows_my_mail_to_me_only(client, manager, mail_world):
    url = reverse("web:counterparty_detail", args=[mail_world["client"].pk])
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert reverse("mail:mail_message", args=[mail_world["message"].pk]) in page
    # The head sees the client and its card, not the manager's personal mail about it.
    client.force_login(mail_world["head"])
    response = client.get(url)
    assert response.status_code == 200
    assert reverse("mail:mail_message", args=[mail_world["message"].pk]) not in response.content.decode()


def test_html_is_shown_only_made_safe(client, manager, mail_world):
    client.force_login(manager)
    url = reverse("mail:mail_message", args=[mail_world["message"].pk])
    text = client.get(url).content.decode()
    assert "&lt;script" not in text and "<script>alert" not in text and "Dear Anna, see the offer." in text
    page = client.get(url + "?formatted=1").content.decode()
    body = page.split('data-testid="mail-body">', 1)[1].split("</section>", 1)[0]
    assert "<b>Anna</b>" in body and 'href="https://acme.test/offer"' in body
    for bad in ("<script", "alert(1)", "<img", "onerror", "javascript:", "<style", "track.test"):
        assert bad not in body
    mail_world["message"].refresh_from_db()
    assert mail_world["message"].seen  # opening it marked it read


def test_connect_my_mailbox_keeps_the_password_secret(client, manager):
    client.force_login(manager)
    data = {"name": "Mine", "address": "anna@firm.test", "imap_host": "imap.firm.test", "imap_port": "993",
            "imap_security": "ssl", "imap_login": "anna", "imap_password": "s3cret-pass", "smtp_host": "",
            "smtp_port": "465", "smtp_security": "ssl", "smtp_login": "", "smtp_password": "", "sync_since": "",
            "is_active": "on"}
    response = client.post(reverse("mail:mail_mailbox_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    box = Mailbox.objects.get(owner=manager)
    assert box.imap_password == "s3cret-pass" and not box.import_all
    with connection.cursor() as cursor:
        cursor.execute("SELECT imap_password FROM mail_mailbox WHERE id = %s", [box.pk.hex])
        stored = cursor.fetchone()[0]
    assert stored.startswith("fernet:")
    assert "s3cret-pass" not in stored
    form = client.get(reverse("mail:mail_mailbox_edit", args=[box.pk])).content.decode()
    assert "s3cret-pass" not in form and "Set (not shown)" in form
    # Saving with the password left empty keeps it.
    client.post(reverse("mail:mail_mailbox_edit", args=[box.pk]), {**data, "name": "Renamed", "imap_password": ""})
    box.refresh_from_db()
    assert (box.name, box.imap_password) == ("Renamed", "s3cret-pass")
    assert "s3cret-pass" not in str(list(ChangeJournal.objects.values_list("changes", flat=True)))


def test_bad_port_is_a_message_next_to_the_field(client, manager):
    client.force_login(manager)
    response = client.post(reverse("mail:mail_mailbox_create"), {
        "name": "Mine", "address": "anna@firm.test", "imap_host": "imap.firm.test", "imap_port": "70000",
        "imap_security": "ssl", "imap_login": "anna", "smtp_port": "465", "smtp_security": "ssl"})
    assert response.status_code == 200
    assert "A port is a number from 1 to 65535." in response.content.decode()
    assert not Mailbox.objects.exists()


def test_only_administrators_add_company_mailboxes(client, manager):
    client.force_login(manager)
    assert client.get(reverse("mail:mail_mailbox_create") + "?company=1").status_code == 404


def test_api_lists_only_what_the_caller_reads(client, manager, other_manager, mail_world):
    client.force_login(manager)
    messages = client.get("/api/v1/mail-messages/").json()
    assert [m["id"] for m in messages["results"]] == [str(mail_world["message"].pk)]
    boxes = client.get("/api/v1/mailboxes/").json()["results"]
    assert boxes[0]["has_imap_password"] is True and "imap_password" not in boxes[0]
    client.force_login(other_manager)
    assert client.get("/api/v1/mail-messages/").json()["results"] == []
    assert client.get(f"/api/v1/mail-messages/{mail_world['message'].pk}/").status_code == 404
    assert client.get("/api/v1/mailboxes/").json()["results"] == []
    assert client.get(f"/api/v1/mail-threads/?mailbox={mail_world['box'].pk}").json()["results"] == []


def test_deal_found_by_an_invoice_number_of_the_same_client_only(manager, reference_data):
    ref = reference_data
    acme = factories.CounterpartyFactory(responsible=manager)
    other = factories.CounterpartyFactory(responsible=manager)
    deal = factories.deal_for(acme, ref, title="Supply", amount=Decimal("10"))
    invoice = invoice_create(user=manager, data={"own_company": ref["own_company"], "counterparty": acme,
                                                 "deal": deal, "currency": "RUB", "date": timezone.localdate(),
                                                 "due_date": timezone.localdate() + dt.timedelta(days=5)},
                             lines=[LineInput(description="W", quantity=Decimal("1"), price=Decimal("10"))])
    invoice.number = "INV-2024-17"
    invoice.save(update_fields=["number"])
    assert deal_for(subject="Re: invoice INV-2024-17, payment", counterparty_id=acme.pk) == deal.pk
    assert deal_for(subject="Re: invoice INV-2024-17", counterparty_id=other.pk) is None
    assert deal_for(subject="Hello", counterparty_id=acme.pk, deal_header=str(deal.pk)) == deal.pk
    assert deal_for(subject="Hello", counterparty_id=other.pk, deal_header=str(deal.pk)) is None


def test_public_domains_are_one_list():
    assert is_public_domain("Gmail.com") and is_public_domain("mail.ru") and is_public_domain("yandex.ru")
    assert not is_public_domain("acme.test")


def test_an_administrator_shares_a_company_mailbox_with_a_department(client, admin_user, manager, other_manager):
    sales = Department.objects.create(name="Sales")
    manager.department = sales
    manager.save()
    client.force_login(admin_user)
    response = client.post(reverse("mail:mail_mailbox_create") + "?company=1", {
        "name": "Sales desk", "address": "sales@firm.test", "imap_host": "imap.firm.test", "imap_port": "993",
        "imap_security": "ssl", "imap_login": "sales", "imap_password": "pw", "smtp_port": "465",
        "smtp_security": "ssl", "import_all": "on", "is_active": "on", "shared_with": str(sales.pk)})
    assert response.status_code == 302, response.content.decode()[:2000]
    box = Mailbox.objects.get(address="sales@firm.test")
    assert (box.owner, box.shared_with, box.import_all) == (None, sales, True)
    client.force_login(manager)
    assert "Sales desk" in client.get(reverse("mail:mail_home")).content.decode()
    # A member reads it but does not change its settings; someone of another department does not see it.
    assert client.get(reverse("mail:mail_mailbox_edit", args=[box.pk])).status_code == 404
    client.force_login(other_manager)
    assert "Sales desk" not in client.get(reverse("mail:mail_home")).content.decode()
