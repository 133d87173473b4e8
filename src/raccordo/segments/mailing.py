"""Mass e-mail to a segment from a comms template, at a rate, honouring unsubscribes and bounces.

    mailing_preview(user=, segment=) -> Preview          who would get it, and why the rest would not
    mailing_start(user=, segment=, template=, name=, expected=, queue=, campaign=)  recipients frozen, queued
    mailing_step(mailing=, now=) -> seconds to wait, or None when done
    mailing_cancel(user=, mailing=)

The rate (settings.MAILING_RATE_PER_MINUTE) is counted, never slept: a step sends at most the rate minus what this
mailing sent in the minute before `now`, and tells the worker when to come back; tests pass `now` and count.
A mailing of a campaign records a touch of that campaign (campaigns.CampaignTouch) on each client it was sent to,
so the client's card shows it and the campaign's first and last touches count it.
An address that opted out (comms.OptOut) after the start is skipped when its turn comes; an address refused by
the mail server is recorded as bounced, and one that bounced MAILING_BOUNCE_LIMIT times is not written to again.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access.policy import may_mass_email, visible
from raccordo.access.records import record_create, record_update
from raccordo.campaigns.models import CampaignTouch
from raccordo.campaigns.selectors import campaign_list
from raccordo.comms.models import Channel, OptOut
from raccordo.comms.recipients import sort_members
from raccordo.comms.rendering import client_language, render, template_context
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.journal import journal_bulk
from raccordo.core.models import Operation
from raccordo.parties.models import Email

from .models import Mailing, MailingRecipient, MailingStatus, RecipientStatus, SegmentTarget
from .selectors import segment_members

WINDOW = dt.timedelta(minutes=1)
MESSAGE_ID_PREFIX = "raccordo-mailing."
SALT = "raccordo.segments.unsubscribe"
MAILING_FIELDS = ("name", "segment", "campaign", "template", "created_by", "total", "skipped_opted_out", "skipped_no_email",
                  "skipped_bounced", "skipped_duplicates")


@dataclass
class Preview:
    """Who a mailing would reach: (counterparty id, contact id, address) per recipient, and who it would not."""

    recipients: list[tuple] = field(default_factory=list)
    members: int = 0
    no_email: int = 0
    opted_out: int = 0
    bounced: int = 0
    duplicates: int = 0

    @property
    def count(self) -> int:
        return len(self.recipients)


def _addresses(user, segment, members) -> dict:
    """The first e-mail of each member: primary first; for a counterparty its own before a contact's."""
    found: dict = {}
    if segment.target == SegmentTarget.CONTACTS:
        emails = visible(Email.objects.filter(contact__in=members.values("pk")), user).order_by(
            "contact_id", "-is_primary", "address").values_list("contact_id", "counterparty_id", "contact_id",
                                                                "address")
    else:
        emails = visible(Email.objects.filter(counterparty__in=members.values("pk")), user).order_by(
            "counterparty_id", "-is_primary", "contact_id", "address").values_list(
            "counterparty_id", "counterparty_id", "contact_id", "address")
    for key, counterparty_id, contact_id, address in emails.iterator(chunk_size=2000):
        found.setdefault(key, (counterparty_id, contact_id, address.lower()))
    return found


def bounced_addresses(addresses) -> set[str]:
    """Of these addresses, those refused by the mail server at least MAILING_BOUNCE_LIMIT times."""
    rows = (MailingRecipient.objects.filter(address__in=list(addresses), status=RecipientStatus.BOUNCED)
            .values("address").order_by().annotate(n=Count("pk")))
    return {row["address"] for row in rows if row["n"] >= settings.MAILING_BOUNCE_LIMIT}


def mailing_preview(*, user, segment) -> Preview:
    """The recipients of a mailing to `segment` as `user` sees it: members with an e-mail, minus addresses that
    unsubscribed or bounced too often, minus repeated addresses (two clients sharing one get one e-mail)."""
    members = segment_members(user=user, segment=segment)
    ids = list(members.values_list("pk", flat=True))
    addresses = _addresses(user, segment, members)
    used = {address for _c, _ct, address in addresses.values()}
    refused = set(OptOut.objects.filter(channel=Channel.EMAIL, address__in=used).values_list("address", flat=True))
    bounced = bounced_addresses(used)
    found = sort_members(ids, addresses, address=lambda entry: entry[2], refused=refused, bounced=bounced)
    return Preview(recipients=[entry for _pk, entry in found.recipients], members=len(ids),
                   no_email=found.no_address, opted_out=found.opted_out, bounced=found.bounced,
                   duplicates=found.duplicates)


@transaction.atomic
def mailing_start(*, user, segment, template, name: str = "", expected: int | None = None, queue=None,
                  campaign=None) -> Mailing:
    """Freeze the segment's recipients as queued and hand the mailing to the worker.

    `expected` is the count the sender saw: when the segment changed since, nothing is sent and the error says
    the new count. `queue(mailing_id)` hands it to the worker once committed (segments.tasks). `campaign` (one
    the sender sees) is the campaign the e-mails are a touch of."""
    if not may_mass_email(user):
        raise PermissionDenied(_("You may not send mass e-mail."), code="segments.mailing.denied")
    if campaign is not None and not campaign_list(user=user).filter(pk=campaign.pk).exists():
        raise ApplicationError(_("Choose a campaign you can see."), code="segments.mailing.campaign")
    if template.channel != Channel.EMAIL or not template.is_active:
        raise ApplicationError(_("Choose an active e-mail template."), code="segments.mailing.template")
    preview = mailing_preview(user=user, segment=segment)
    if not preview.count:
        raise ApplicationError(_("Nobody in this segment can get an e-mail."), code="segments.mailing.empty")
    if expected is not None and expected != preview.count:
        raise ApplicationError(_("The segment changed: it now has %(n)s recipients. Check the count again.") % {
            "n": preview.count}, code="segments.mailing.changed", extra={"count": preview.count})
    mailing = record_create(Mailing, user=user, data={
        "name": (name or "").strip()[:150] or template.name, "segment": segment, "campaign": campaign,
        "template": template,
        "created_by": user, "total": preview.count, "skipped_opted_out": preview.opted_out,
        "skipped_no_email": preview.no_email, "skipped_bounced": preview.bounced,
        "skipped_duplicates": preview.duplicates}, fields=MAILING_FIELDS)
    rows = [MailingRecipient(mailing=mailing, counterparty_id=counterparty_id, contact_id=contact_id,
                             address=address) for counterparty_id, contact_id, address in preview.recipients]
    MailingRecipient.objects.bulk_create(rows, batch_size=500)
    journal_bulk(entries=[(r, Operation.CREATE, {"address": [None, r.address], "mailing": [None, str(mailing.pk)]})
                          for r in rows], user=user)
    if queue is not None:
        transaction.on_commit(lambda: queue(mailing.pk))
    return mailing


def unsubscribe_token(address: str, counterparty_id=None) -> str:
    """A signed token naming the address (no login needed to use it; it cannot be forged for another)."""
    return signing.dumps({"a": address, "c": str(counterparty_id or "")}, salt=SALT, compress=True)


def unsubscribe_url(address: str, counterparty_id=None) -> str:
    return settings.PUBLIC_URL + reverse("segments:unsubscribe", args=[unsubscribe_token(address, counterparty_id)])


def read_unsubscribe_token(token: str) -> dict:
    """The address and counterparty a token names; ApplicationError when it was tampered with."""
    try:
        return signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise ApplicationError(_("This unsubscribe link is damaged: open the link from the e-mail again."),
                               code="segments.unsubscribe.bad") from exc


def _message(recipient: MailingRecipient, template, connection) -> EmailMessage:
    """The personalised e-mail with its unsubscribe link in the text and in the List-Unsubscribe header."""
    language = client_language(recipient.counterparty)
    rendered = render(template, template_context(counterparty=recipient.counterparty, contact=recipient.contact,
                                                  language=language), language=language)
    url = unsubscribe_url(recipient.address, recipient.counterparty_id)
    body = f"{rendered.body}\n\n-- \n{_('Unsubscribe')}: {url}\n"
    return EmailMessage(subject=rendered.subject, body=body, to=[recipient.address], connection=connection,
                        headers={"List-Unsubscribe": f"<{url}>",
                                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                                 "Message-ID": recipient_message_id(recipient)})


def recipient_message_id(recipient: MailingRecipient) -> str:
    """The e-mail's Message-ID names its recipient row: a bounce notice that arrives days later quotes it, and
    segments.bounces finds the recipient from it without storing anything per e-mail."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "raccordo.invalid"
    return f"<{MESSAGE_ID_PREFIX}{recipient.pk}@{domain}>"


def _deliver(recipient: MailingRecipient, template, connection, now) -> bool:
    """Send one e-mail; a refusal of this recipient by the server is a bounce. False when the server itself
    failed (nothing recorded: the recipient stays queued for the next step)."""
    try:
        _message(recipient, template, connection).send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (550, b""))
        recipient.status, recipient.error = RecipientStatus.BOUNCED, _reason(code, text)
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code < 500:
            return False
        recipient.status, recipient.error = RecipientStatus.BOUNCED, _reason(exc.smtp_code, exc.smtp_error)
    except (smtplib.SMTPException, OSError):
        return False
    else:
        recipient.status = RecipientStatus.SENT
    recipient.sent_at = now
    return True


def _reason(code, text) -> str:
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}"[:255]


def _skip(recipient, refused: set, bounced: set) -> bool:
    if recipient.address in refused:
        recipient.status, recipient.error = RecipientStatus.OPTED_OUT, _("Unsubscribed after the start.")
    elif recipient.address in bounced:
        recipient.status, recipient.error = RecipientStatus.SKIPPED, _("The address bounced before.")
    else:
        return False
    return True


def mailing_step(*, mailing: Mailing, now=None) -> float | None:
    """Send the queued e-mails the rate allows at `now`; the seconds until the next step, None when done."""
    now = now or timezone.now()
    mailing.refresh_from_db(fields=["status"])
    if mailing.status != MailingStatus.RUNNING:
        return None
    rate = settings.MAILING_RATE_PER_MINUTE
    sent = list(mailing.recipients.filter(sent_at__gt=now - WINDOW, sent_at__lte=now).values_list("sent_at",
                                                                                                 flat=True))
    queued = mailing.recipients.filter(status=RecipientStatus.QUEUED).select_related(
        "counterparty__responsible", "contact").order_by("created_at", "id")
    connection, failed = get_connection(fail_silently=False), False
    with connection:
        while len(sent) < rate and not failed:
            batch = list(queued[:rate - len(sent)])
            if not batch:
                break
            addresses = {r.address for r in batch}
            refused = set(OptOut.objects.filter(channel=Channel.EMAIL, address__in=addresses)
                          .values_list("address", flat=True))
            bounced, done = bounced_addresses(addresses), []
            for recipient in batch:
                if _skip(recipient, refused, bounced):
                    done.append(recipient)
                elif _deliver(recipient, mailing.template, connection, now):
                    done.append(recipient)
                    sent.append(now)
                else:
                    failed = True
                    break
            _record(mailing, done)
    return _next(mailing, sent, rate, now, failed)


def _record(mailing: Mailing, done: list[MailingRecipient]) -> None:
    """The step's recipients as they ended, and for a campaign's mailing a touch per e-mail sent, in one go."""
    MailingRecipient.objects.bulk_update(done, ["status", "error", "sent_at"], batch_size=500)
    entries: list = [(r, Operation.UPDATE, {"status": [RecipientStatus.QUEUED, r.status]}) for r in done]
    if mailing.campaign_id:
        # Objects, not ids: the journal names each touch ("campaign / client / day") without a query per row.
        touches = [CampaignTouch(campaign=mailing.campaign, counterparty=r.counterparty, contact=r.contact,
                                 at=r.sent_at, utm_source="raccordo", utm_medium="email",
                                 utm_campaign=mailing.name[:150])
                   for r in done if r.status == RecipientStatus.SENT]
        CampaignTouch.objects.bulk_create(touches, batch_size=500)
        entries += [(t, Operation.CREATE, {"campaign": [None, str(t.campaign_id)], "utm_medium": [None, "email"]})
                    for t in touches]
    journal_bulk(entries=entries)


def _next(mailing: Mailing, sent: list, rate: int, now, failed: bool) -> float | None:
    if not mailing.recipients.filter(status=RecipientStatus.QUEUED).exists():
        record_update(mailing, user=None, data={"status": MailingStatus.DONE, "finished_at": now},
                      fields=("status", "finished_at"))
        return None
    if failed:
        return 60.0  # the mail server is down: try again in a minute
    # Come back when the oldest send of the window leaves it (or at once, when the budget is not used up).
    oldest = min(sent) if len(sent) >= rate else now
    return max((oldest + WINDOW - now).total_seconds(), 0.0)


def mailing_cancel(*, user, mailing: Mailing) -> Mailing:
    """Stop a running mailing: what is still queued is not sent (marked skipped, "cancelled")."""
    now = timezone.now()
    record_update(mailing, user=user, data={"status": MailingStatus.CANCELLED, "finished_at": now},
                  fields=("status", "finished_at"))
    queued = list(mailing.recipients.filter(status=RecipientStatus.QUEUED))
    for recipient in queued:
        recipient.status, recipient.error = RecipientStatus.SKIPPED, _("Cancelled")
    MailingRecipient.objects.bulk_update(queued, ["status", "error"], batch_size=500)
    journal_bulk(entries=[(r, Operation.UPDATE, {"status": [RecipientStatus.QUEUED, r.status]}) for r in queued],
                 user=user)
    return mailing
