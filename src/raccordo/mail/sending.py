"""Writing e-mail from the CRM: a new message about a client, a deal or an invoice, or a reply in a thread.

`send_mail_message` is the one way a manager's message leaves through a connected mailbox, whoever asks (the
composer, the REST API, the "email" channel of comms). It checks who may send from the mailbox and about what
(access.policy.mail), asks for an explicit confirmation before writing to an address that is not on the client's
card, sends through the mailbox's SMTP server, stores the message in the mailbox (direction out, linked to the
client, in its thread) and puts a copy in the mailbox's Sent folder over IMAP. The stored message is what the
client's feed shows (the mail app's feed source), so no interaction is logged besides it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.access.records import record_create
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.parties.models import Email
from raccordo.sales.printing import invoice_filename, invoice_pdf
from raccordo.sales.selectors import invoice_sendable

from .delivery import DeliveryError, build_message, new_message_id, save_sent_copy, smtp_deliver
from .models import ATTACHMENT_MAX_BYTES, MailAttachment, MailDirection, MailLocation, MailMessage, MailThread
from .parsing import subject_key
from .subjects import reply_subject

log = logging.getLogger(__name__)

# What one message may carry in all (most providers refuse more than 20-25 MB once encoded).
MAX_SEND_BYTES = 20 * 1024 * 1024
MAX_RECIPIENTS = 50
MESSAGE_FIELDS = ("mailbox", "message_id", "in_reply_to", "references", "subject", "from_address", "from_name",
                  "to_addresses", "cc_addresses", "sent_at", "direction", "snippet", "body_text", "size", "seen",
                  "counterparty", "contact", "deal", "sent_by")


@dataclass
class Sent:
    """A sent message: what was stored, and where its copy went (or why it did not: the message left anyway)."""

    message: MailMessage
    sent_folder: str = ""
    warning: str = ""


@dataclass
class About:
    """The records a message is about (each may be None), made consistent with one another."""

    counterparty: object = None
    contact: object = None
    deal: object = None
    invoice: object = None
    replied: MailMessage | None = None


def _addresses(values, field: str) -> list[str]:
    """Addresses from a list (or a comma/semicolon separated text), checked one by one, duplicates dropped."""
    if isinstance(values, str):
        values = values.replace(";", ",").split(",")
    found = list(dict.fromkeys(v.strip() for v in values or () if v and v.strip()))
    for address in found:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError({field: [_("“%(address)s” is not an e-mail address.") % {"address": address}]}) \
                from exc
    return found


def _about(*, counterparty, contact, deal, invoice, replied) -> About:
    """Fill the client from the deal, the invoice or the replied message, and refuse records of two clients."""
    counterparty = counterparty or getattr(invoice, "counterparty", None) or getattr(deal, "counterparty", None) \
        or getattr(replied, "counterparty", None)
    deal = deal or getattr(invoice, "deal", None) or getattr(replied, "deal", None)
    for record in (contact, deal, invoice):
        if record is not None and counterparty is not None and record.counterparty_id != counterparty.pk:
            raise ValidationError(_("The contact, deal and invoice of a message must belong to its client."))
    return About(counterparty=counterparty, contact=contact, deal=deal, invoice=invoice, replied=replied)


def _participants(message: MailMessage | None) -> list[str]:
    if message is None:
        return []
    return [message.from_address, *(a.get("address", "") for a in message.to_addresses + message.cc_addresses)]


def _check(user, mailbox, about: About, recipients: list[str], confirm_unknown: bool) -> None:
    refused = policy.mail_send_refused(user, mailbox=mailbox, counterparty=about.counterparty, deal=about.deal,
                                       invoice=about.invoice, replied=about.replied)
    if refused:
        raise PermissionDenied(" ".join(refused), code="mail.send.refused")
    unknown = policy.mail_unknown_recipients(about.counterparty, recipients, known=_participants(about.replied))
    if unknown and not confirm_unknown:
        raise ApplicationError(
            _("Not an address on the client's card: %(addresses)s. Confirm that the message goes to it.")
            % {"addresses": ", ".join(unknown)}, code="mail.send.unknown_recipients", extra={"addresses": unknown})


def _attachments(attachments, about: About, attach_invoice: bool) -> list[tuple[str, bytes, str]]:
    files = [(name, bytes(content), mimetype or "application/octet-stream") for name, content, mimetype in attachments]
    if attach_invoice:
        if about.invoice is None or not invoice_sendable(about.invoice):
            raise ApplicationError(_("Issue the invoice before sending it."), code="sales.invoice.not_sendable")
        files.insert(0, (invoice_filename(about.invoice), invoice_pdf(about.invoice), "application/pdf"))
    if sum(len(content) for _name, content, _type in files) > MAX_SEND_BYTES:
        raise ValidationError({"attachments": [_("The attachments exceed %(size)s MB in all; send fewer files.")
                                               % {"size": MAX_SEND_BYTES // (1024 * 1024)}]})
    return files


def contact_for(counterparty, addresses) -> object | None:
    """The client's contact person the first of `addresses` belongs to (on the card), None when none does."""
    if counterparty is None:
        return None
    wanted = [a.strip().lower() for a in addresses if a and a.strip()]
    rows = {row.address: row.contact for row in Email.objects.filter(
        counterparty_id=counterparty.pk, contact__isnull=False, address__in=wanted).select_related("contact")}
    return next((rows[a] for a in wanted if a in rows), None)


def _sender_name(user, mailbox) -> str:
    if mailbox.owner_id is not None:
        return user.get_full_name() or mailbox.name
    return mailbox.name


def send_mail_message(*, user, mailbox, to, cc=(), subject: str, body: str, attachments=(), in_reply_to=None,
                      counterparty=None, contact=None, deal=None, invoice=None, attach_invoice: bool = False,
                      confirm_unknown: bool = False) -> Sent:
    """Send a message from `mailbox` and keep it in the CRM.

    `to`/`cc`: addresses (a list, or text separated by commas); `attachments`: (file name, bytes, MIME type);
    `in_reply_to`: the MailMessage answered (the reply joins its thread, with In-Reply-To and References);
    counterparty/contact/deal/invoice: what the message is about (the client is taken from the others when
    not given); `attach_invoice`: the invoice's PDF goes with it; `confirm_unknown`: the sender confirmed the
    addresses that are not on the client's card. Raises ValidationError (bad input), PermissionDenied, or
    ApplicationError (`mail.send.unknown_recipients`, `mail.send.failed`); a failed send stores nothing.
    """
    about = _about(counterparty=counterparty, contact=contact, deal=deal, invoice=invoice, replied=in_reply_to)
    to_list, cc_list = _addresses(to, "to"), _addresses(cc, "cc")
    cc_list = [a for a in cc_list if a.lower() not in {t.lower() for t in to_list}]
    if not to_list:
        raise ValidationError({"to": [_("Give at least one recipient.")]})
    if len(to_list) + len(cc_list) > MAX_RECIPIENTS:
        raise ValidationError({"to": [_("At most %(count)s recipients per message.") % {"count": MAX_RECIPIENTS}]})
    subject = " ".join((subject or "").split())
    if not subject:
        raise ValidationError({"subject": [_("Give the message a subject.")]})
    _check(user, mailbox, about, to_list + cc_list, confirm_unknown)
    files = _attachments(attachments, about, attach_invoice)
    about.contact = about.contact or contact_for(about.counterparty, to_list + cc_list)
    sent_at = timezone.now().replace(microsecond=0)
    message_id = new_message_id(mailbox)
    wire = build_message(mailbox=mailbox, from_name=_sender_name(user, mailbox), to=to_list, cc=cc_list,
                         subject=subject, body=body, attachments=files, message_id=message_id, sent_at=sent_at,
                         replied=about.replied, deal_id=getattr(about.deal, "pk", None))
    try:
        smtp_deliver(mailbox, wire, to_list + cc_list)
    except DeliveryError as exc:
        raise ApplicationError(exc.text, code="mail.send.failed", extra={"error": exc.reason}) from exc
    raw = wire.as_bytes()
    stored = _store(user=user, mailbox=mailbox, wire=wire, raw=raw, about=about, files=files, body=body,
                    sent_at=sent_at, message_id=message_id, to_list=to_list, cc_list=cc_list)
    return _copy_to_sent(mailbox, stored, raw, sent_at, about.replied)


@transaction.atomic
def _store(*, user, mailbox, wire, raw: bytes, about: About, files, body: str, sent_at, message_id: str,
           to_list: list[str], cc_list: list[str]) -> MailMessage:
    """The sent message in the mailbox (journaled), in its thread, with its attachments; the answered one marked."""
    message = record_create(MailMessage, user=user, fields=MESSAGE_FIELDS, data={
        "mailbox": mailbox, "message_id": message_id, "in_reply_to": (wire["In-Reply-To"] or "").strip("<>"),
        "references": wire["References"] or "", "subject": wire["Subject"][:998],
        "from_address": mailbox.address.lower(), "from_name": _sender_name(user, mailbox)[:255],
        "to_addresses": [{"address": a.lower(), "name": ""} for a in to_list],
        "cc_addresses": [{"address": a.lower(), "name": ""} for a in cc_list], "sent_at": sent_at,
        "direction": MailDirection.OUTBOUND, "snippet": " ".join((body or "").split())[:200],
        "body_text": body or "", "size": len(raw), "seen": True, "counterparty": about.counterparty,
        "contact": about.contact, "deal": about.deal, "sent_by": user})
    _join_thread(message, about.replied)
    for name, content, mimetype in files:
        attachment = MailAttachment(message=message, filename=name[:255], content_type=mimetype[:255],
                                    size=len(content))
        if len(content) <= ATTACHMENT_MAX_BYTES:
            attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()
    if about.replied is not None:
        MailMessage.objects.filter(pk=about.replied.pk).update(answered=True)
    return message


def _join_thread(message: MailMessage, replied: MailMessage | None) -> None:
    """A reply joins the answered message's thread; a new message starts its own."""
    thread = None
    if replied is not None and replied.thread_id and replied.mailbox_id == message.mailbox_id:
        thread = MailThread.objects.filter(pk=replied.thread_id).first()
    if thread is None:
        thread = MailThread.objects.create(mailbox_id=message.mailbox_id, subject=message.subject,
                                           subject_key=subject_key(message.subject),
                                           counterparty_id=message.counterparty_id, deal_id=message.deal_id,
                                           last_message_at=message.sent_at, message_count=1)
    else:
        changes: dict = {"message_count": F("message_count") + 1, "last_message_at": message.sent_at}
        if message.counterparty_id and not thread.counterparty_id:
            changes["counterparty_id"] = message.counterparty_id
        if message.deal_id and not thread.deal_id:
            changes["deal_id"] = message.deal_id
        MailThread.objects.filter(pk=thread.pk).update(**changes)
    MailMessage.objects.filter(pk=message.pk).update(thread=thread)
    message.thread = thread


def _copy_to_sent(mailbox, message: MailMessage, raw: bytes, sent_at, replied: MailMessage | None) -> Sent:
    """Save the copy in Sent; a failure here is a warning (the message has left), never an error."""
    answered = []
    if replied is not None and replied.mailbox_id == mailbox.pk:
        answered = list(MailLocation.objects.filter(message=replied).values_list("folder__name", "uid"))
    try:
        copy = save_sent_copy(mailbox, raw, sent_at, answered)
    except DeliveryError as exc:
        log.warning("mailbox %s: message %s sent, no copy in Sent: %s", mailbox.pk, message.pk, exc.reason)
        return Sent(message=message, warning=exc.text)
    if copy.uid is not None:
        folder = mailbox.folders.filter(name=copy.folder, uidvalidity=copy.uidvalidity).first()
        if folder is not None:
            # The sync will meet this UID and find the message by its Message-ID: it knows where it sits already.
            MailLocation.objects.get_or_create(folder=folder, uid=copy.uid, defaults={"message": message})
    return Sent(message=message, sent_folder=copy.folder)


def reply_recipients(message: MailMessage, *, mailbox, reply_all: bool) -> tuple[list[str], list[str]]:
    """(To, Cc) of a reply: the sender (or, to our own sent message, its recipients); with "Reply all" the other
    recipients too, never the mailbox itself."""
    own = mailbox.address.lower()
    to_all = [a.get("address", "") for a in message.to_addresses]
    cc_all = [a.get("address", "") for a in message.cc_addresses]
    if message.direction == MailDirection.OUTBOUND or message.from_address.lower() == own:
        to, cc = to_all, (cc_all if reply_all else [])
    else:
        to, cc = [message.from_address], ((to_all + cc_all) if reply_all else [])
    to = [a for a in dict.fromkeys(to) if a and a.lower() != own]
    cc = [a for a in dict.fromkeys(cc) if a and a.lower() != own and a not in to]
    return to, cc


__all__ = ["MAX_SEND_BYTES", "Sent", "contact_for", "reply_recipients", "reply_subject", "send_mail_message"]
