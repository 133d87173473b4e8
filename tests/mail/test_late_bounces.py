"""Bounces that come back after the mail server accepted a mass e-mail: a delivery report (RFC 3464, as Postfix
writes it) lands in the company mailbox, the sync finds it, and the recipient is marked bounced with the remote
server's reason. The same report read again, a delay notice and a report about other mail change nothing."""

from __future__ import annotations

import pytest

from raccordo.mail import services
from raccordo.mail.reports import parse_report
from raccordo.segments.bounces import record_late_bounce
from raccordo.segments.mailing import mailing_start, mailing_step, recipient_message_id
from raccordo.segments.models import RecipientStatus
from raccordo.segments.services import segment_create
from tests.segments.test_mailing import _clients, sink, template  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def postfix_report(address: str, original_id: str, *, status: str = "5.1.1", action: str = "failed") -> bytes:
    """A delivery status notification shaped like Postfix's (bounce(8)): text, delivery-status, the headers."""
    return f"""Return-Path: <>
From: MAILER-DAEMON@mx.firm.test (Mail Delivery System)
To: sales@firm.test
Subject: Undelivered Mail Returned to Sender
Message-Id: <20261207103000.1A2B3C@mx.firm.test>
Date: Mon, 07 Dec 2026 10:30:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="1A2B3C.1765103400/mx.firm.test"

This is a MIME-encapsulated message.

--1A2B3C.1765103400/mx.firm.test
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.firm.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--1A2B3C.1765103400/mx.firm.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.firm.test
X-Postfix-Queue-ID: 1A2B3C
Arrival-Date: Mon,  7 Dec 2026 10:29:58 +0000 (UTC)

Final-Recipient: rfc822; {address}
Original-Recipient: rfc822;{address}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.client.test
Diagnostic-Code: smtp; 550 {status} <{address}>: Recipient address rejected:
    User unknown in virtual mailbox table

--1A2B3C.1765103400/mx.firm.test
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: sales@firm.test
To: {address}
Subject: Offer for Client 00001
Message-ID: {original_id}

--1A2B3C.1765103400/mx.firm.test--
""".replace("\n", "\r\n").encode()


@pytest.fixture
def sent_mailing(manager, other_manager, sink, template, settings):  # noqa: F811
    settings.MAILING_RATE_PER_MINUTE = 100
    settings.DEFAULT_FROM_EMAIL = "Firm <sales@firm.test>"
    _clients(manager, other_manager, 3)
    segment = segment_create(user=manager, data={"name": "All", "filters": {}})
    mailing = mailing_start(user=manager, segment=segment, template=template)
    assert mailing_step(mailing=mailing) is None
    recipients = list(mailing.recipients.order_by("address"))
    assert {r.status for r in recipients} == {RecipientStatus.SENT}
    # The e-mail carries the Message-ID the report will quote.
    by_address = {m["To"]: m["Message-ID"] for m in sink.messages}
    assert by_address[recipients[0].address] == recipient_message_id(recipients[0])
    return mailing, recipients


def test_a_report_marks_the_recipient_bounced_once(sent_mailing):
    _mailing, recipients = sent_mailing
    target = recipients[1]
    report = parse_report(postfix_report(target.address, recipient_message_id(target)))
    assert [f.address for f in report.failed] == [target.address]
    assert record_late_bounce(report) == 1
    target.refresh_from_db()
    assert target.status == RecipientStatus.BOUNCED
    assert target.error.startswith("5.1.1 smtp; 550 5.1.1") and "User unknown" in target.error
    assert record_late_bounce(report) == 0   # read again: nothing changes


def test_a_delay_or_someone_elses_mail_changes_nothing(sent_mailing):
    _mailing, recipients = sent_mailing
    delay = parse_report(postfix_report(recipients[0].address, recipient_message_id(recipients[0]),
                                        status="4.4.1", action="delayed"))
    assert delay.failed == [] and record_late_bounce(delay) == 0
    other = parse_report(postfix_report(recipients[0].address, "<invoice-77@firm.test>"))
    assert record_late_bounce(other) == 0
    # The report names another address than the row's: not this recipient's bounce.
    wrong = parse_report(postfix_report("someone@else.test", recipient_message_id(recipients[0])))
    assert record_late_bounce(wrong) == 0
    assert {r.status for r in recipients[0].mailing.recipients.all()} == {RecipientStatus.SENT}


def test_the_mailbox_sync_reads_the_report(sent_mailing, imap_server):
    from raccordo.mail.models import Mailbox, Security
    from tests.mail.conftest import PASSWORD

    _mailing, recipients = sent_mailing
    imap_server.add_user("sales@firm.test")
    box = Mailbox.objects.create(owner=None, name="Sales", address="sales@firm.test", imap_host=imap_server.host,
                                 imap_port=imap_server.port, imap_security=Security.NONE,
                                 imap_login="sales@firm.test", imap_password=PASSWORD, import_all=True)
    target = recipients[2]
    imap_server.deliver(box.imap_login, postfix_report(target.address, recipient_message_id(target)))
    report = services.mailbox_sync_run(mailbox_id=box.pk)
    assert report is not None, Mailbox.objects.get(pk=box.pk).last_error
    target.refresh_from_db()
    assert target.status == RecipientStatus.BOUNCED
    # A second sync (nothing new) leaves it as it is; the other recipients stay sent.
    services.mailbox_sync_run(mailbox_id=box.pk)
    assert sorted(r.status for r in target.mailing.recipients.all()) == sorted(
        [RecipientStatus.BOUNCED, RecipientStatus.SENT, RecipientStatus.SENT])
