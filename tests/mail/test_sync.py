"""The IMAP sync against a real Dovecot: first sync, new mail, flags, deletions, a changed UIDVALIDITY, the
"since" date, a personal mailbox's filter, errors and the one-sync-at-a-time lease."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from raccordo.mail import services
from raccordo.mail.models import Mailbox, MailFolder, MailLocation, MailMessage, MailThread
from raccordo.parties.models import Email
from tests import factories
from tests.imap_server import make_message

pytestmark = pytest.mark.django_db

BOTH = None            # what the server offers (Dovecot: CONDSTORE and QRESYNC)
NEITHER: set = set()   # as a server without them: the windowed walk over the stored UIDs


def _sync(box, extensions=BOTH):
    report = services.mailbox_sync_run(mailbox_id=box.pk, extensions=extensions)
    assert report is not None, Mailbox.objects.get(pk=box.pk).last_error
    return report


def _deliver(server, box, n, folder="INBOX", prefix="Offer", sender="buyer@client.test", **kw):
    ids = []
    for i in range(n):
        mid = f"<{prefix.lower()}-{i}@client.test>"
        server.deliver(box.imap_login, make_message(sender=sender, to=box.address, subject=f"{prefix} {i}",
                                                    message_id=mid, body=f"Body {i}", **kw), folder=folder)
        ids.append(mid.strip("<>"))
    return ids


def test_first_sync_imports_folders_with_roles_progress_and_state(mailbox_of, imap_server):
    box = mailbox_of(None)
    _deliver(imap_server, box, 3)
    report = _sync(box)
    assert report.new == 3
    assert MailMessage.objects.filter(mailbox=box).count() == 3
    inbox = MailFolder.objects.get(mailbox=box, name="INBOX")
    assert (inbox.role, inbox.total, inbox.synced, inbox.last_uid) == ("inbox", 3, 3, 3)
    assert inbox.uidvalidity and inbox.highestmodseq
    assert MailFolder.objects.get(mailbox=box, name="Sent").role == "sent"
    assert not MailFolder.objects.get(mailbox=box, name="Trash").is_selected   # \Trash is left out by default
    box.refresh_from_db()
    assert box.is_connected and box.last_sync_at and box.last_error == "" and box.sync_lock_until is None
    message = MailMessage.objects.get(message_id="offer-1@client.test")
    assert (message.subject, message.from_address, message.body_text.strip(), message.seen) == \
        ("Offer 1", "buyer@client.test", "Body 1", False)


def test_new_mail_only_and_a_second_sync_writes_nothing(mailbox_of, imap_server):
    box = mailbox_of(None)
    _deliver(imap_server, box, 2)
    _sync(box)
    first = set(MailMessage.objects.values_list("pk", flat=True))
    assert _sync(box).new == 0
    imap_server.deliver(box.imap_login, make_message(sender="new@client.test", to=box.address, subject="Fresh",
                                                     message_id="<fresh@client.test>"))
    assert _sync(box).new == 1
    assert set(MailMessage.objects.values_list("pk", flat=True)) - first == {
        MailMessage.objects.get(message_id="fresh@client.test").pk}
    assert MailFolder.objects.get(mailbox=box, name="INBOX").last_uid == 3


@pytest.mark.parametrize("extensions", [BOTH, NEITHER], ids=["condstore", "plain"])
def test_flags_follow_the_server(mailbox_of, imap_server, extensions):
    box = mailbox_of(None)
    _deliver(imap_server, box, 3)
    _sync(box, extensions)
    with imap_server.client(box.imap_login) as c:
        c.select_folder("INBOX")
        c.add_flags([1], [b"\\Seen"])
        c.add_flags([2], [b"\\Flagged", b"\\Answered"])
    report = _sync(box, extensions)
    assert sum(f.flags for f in report.folders) >= 2
    flags = {m.message_id: (m.seen, m.flagged, m.answered) for m in MailMessage.objects.all()}
    assert flags == {"offer-0@client.test": (True, False, False), "offer-1@client.test": (False, True, True),
                     "offer-2@client.test": (False, False, False)}


@pytest.mark.parametrize("extensions", [BOTH, {"CONDSTORE"}, NEITHER], ids=["qresync", "condstore", "plain"])
def test_a_message_deleted_on_the_server_is_marked_not_lost(mailbox_of, imap_server, extensions):
    box = mailbox_of(None)
    _deliver(imap_server, box, 3)
    _sync(box, extensions)
    with imap_server.client(box.imap_login) as c:
        c.select_folder("INBOX")
        c.delete_messages([2])
        c.expunge()
    report = _sync(box, extensions)
    assert sum(f.vanished for f in report.folders) == 1
    gone = MailMessage.objects.get(message_id="offer-1@client.test")
    assert gone.deleted_on_server and not gone.locations.exists()
    assert MailMessage.objects.filter(deleted_on_server=False).count() == 2


def test_a_message_moved_to_another_folder_is_not_deleted_nor_duplicated(mailbox_of, imap_server):
    box = mailbox_of(None)
    _deliver(imap_server, box, 2)
    with imap_server.client(box.imap_login) as c:
        c.create_folder("Clients")
    _sync(box)
    with imap_server.client(box.imap_login) as c:
        c.select_folder("INBOX")
        c.move([1], "Clients")
    _sync(box)
    moved = MailMessage.objects.get(message_id="offer-0@client.test")
    assert not moved.deleted_on_server
    assert list(moved.locations.values_list("folder__name", flat=True)) == ["Clients"]
    assert MailMessage.objects.count() == 2


def test_changed_uidvalidity_rereads_the_folder_without_duplicates(mailbox_of, imap_server):
    box = mailbox_of(None)
    with imap_server.client(box.imap_login) as c:
        c.create_folder("Projects")
    _deliver(imap_server, box, 3, folder="Projects")
    _sync(box)
    folder = MailFolder.objects.get(mailbox=box, name="Projects")
    before, pks = folder.uidvalidity, set(MailMessage.objects.values_list("pk", flat=True))
    # The folder is recreated on the server (a migration, a restore): new UIDVALIDITY, the same messages.
    with imap_server.client(box.imap_login) as c:
        c.delete_folder("Projects")
        c.create_folder("Projects")
    _deliver(imap_server, box, 3, folder="Projects")
    _deliver(imap_server, box, 1, folder="Projects", prefix="Later")
    report = _sync(box)
    folder.refresh_from_db()
    assert folder.uidvalidity != before
    assert next(f for f in report.folders if f.name == "Projects").reset
    assert MailMessage.objects.count() == 4                        # 3 matched by Message-ID, 1 new
    assert pks <= set(MailMessage.objects.values_list("pk", flat=True))
    assert MailLocation.objects.filter(folder=folder).count() == 4 and folder.last_uid == 4


def test_the_first_import_starts_at_the_since_date(mailbox_of, imap_server):
    box = mailbox_of(None, sync_since=dt.date(2024, 1, 1))
    with imap_server.client(box.imap_login) as c:
        for subject, when in (("Old", dt.datetime(2022, 5, 1, 10)), ("New", dt.datetime(2024, 3, 1, 10))):
            c.append("INBOX", make_message(sender="a@client.test", to=box.address, subject=subject),
                     msg_time=when.replace(tzinfo=dt.UTC))
    _sync(box)
    assert list(MailMessage.objects.values_list("subject", flat=True)) == ["New"]


def test_a_personal_mailbox_imports_only_mail_with_crm_contacts(mailbox_of, imap_server, manager):
    client = factories.CounterpartyFactory(responsible=manager, name="Acme")
    contact = factories.ContactPersonFactory(counterparty=client)
    Email.objects.create(counterparty=client, contact=contact, address="ivan@acme.test")
    box = mailbox_of(manager)
    for sender, subject in (("ivan@acme.test", "Contract"), ("mum@gmail.com", "Dinner"),
                            ("olga@acme.test", "Invoice question"), ("news@shop.test", "Sale!")):
        imap_server.deliver(box.imap_login, make_message(sender=sender, to=box.address, subject=subject))
    _sync(box)
    stored = {m.subject: (m.counterparty_id, m.contact_id) for m in MailMessage.objects.all()}
    # The contact's address exactly; a colleague of theirs by the company's domain; private mail stays out.
    assert stored == {"Contract": (client.pk, contact.pk), "Invoice question": (client.pk, None)}


def test_wrong_password_is_reported_on_the_mailbox(mailbox_of, imap_server):
    box = mailbox_of(None, imap_password="wrong")
    assert services.mailbox_sync_run(mailbox_id=box.pk) is None
    box.refresh_from_db()
    assert not box.is_connected and "refused the login" in box.last_error and box.last_error_at
    assert box.sync_lock_until is None


def test_a_folder_error_is_shown_on_the_folder_and_the_others_go_on(mailbox_of, imap_server):
    box = mailbox_of(None)
    _deliver(imap_server, box, 1)
    MailFolder.objects.create(mailbox=box, name="Vanished folder", is_selected=True)
    _sync(box)
    broken = MailFolder.objects.get(mailbox=box, name="Vanished folder")
    assert broken.last_error and broken.last_error_at
    assert MailMessage.objects.count() == 1


def test_one_sync_per_mailbox_at_a_time(mailbox_of, imap_server):
    box = mailbox_of(None)
    _deliver(imap_server, box, 1)
    Mailbox.objects.filter(pk=box.pk).update(sync_lock_until=timezone.now() + dt.timedelta(minutes=5))
    assert services.mailbox_sync_run(mailbox_id=box.pk) is None
    assert MailMessage.objects.count() == 0
    # A lease left by a worker that died expires, and the next sync takes it over.
    Mailbox.objects.filter(pk=box.pk).update(sync_lock_until=timezone.now() - dt.timedelta(seconds=1))
    assert _sync(box).new == 1


def test_threads_by_references_then_by_subject(mailbox_of, imap_server):
    box = mailbox_of(None, address="sales@firm.test")
    now = timezone.now()
    imap_server.deliver(box.imap_login, make_message(sender="ivan@acme.test", to=box.address, subject="Quote",
                                                     message_id="<q1@acme.test>", date=now - dt.timedelta(hours=3)))
    imap_server.deliver(box.imap_login, make_message(sender=box.address, to="ivan@acme.test", subject="Re: Quote",
                                                     message_id="<r1@firm.test>", in_reply_to="<q1@acme.test>",
                                                     date=now - dt.timedelta(hours=2)), folder="Sent")
    # A reply from a client whose mail program dropped the headers: joined by its subject.
    imap_server.deliver(box.imap_login, make_message(sender="ivan@acme.test", to=box.address, subject="RE: quote",
                                                     message_id="<q2@acme.test>", date=now - dt.timedelta(hours=1)))
    imap_server.deliver(box.imap_login, make_message(sender="ivan@acme.test", to=box.address, subject="Other",
                                                     message_id="<o1@acme.test>", date=now))
    _sync(box)
    threads = {t.subject: t for t in MailThread.objects.all()}
    assert set(threads) == {"Quote", "Other"}
    assert threads["Quote"].message_count == 3
    assert MailMessage.objects.get(message_id="r1@firm.test").direction == "out"
    assert set(threads["Quote"].messages.values_list("message_id", flat=True)) == {
        "q1@acme.test", "r1@firm.test", "q2@acme.test"}
