"""Storing what a sync read: a message once per mailbox (by Message-ID), where it sits, its thread and links.

The sync (mail.sync) hands over one window of a folder at a time; everything here costs a fixed number of
queries per window plus a few per new message, and keeps nothing after the window is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, F, OuterRef

from .linking import Linker, deal_for
from .models import (
    ATTACHMENT_MAX_BYTES,
    MailAttachment,
    MailDirection,
    MailFolder,
    MailLocation,
    MailMessage,
    MailThread,
)
from .parsing import Parsed, subject_key

# A subject alone joins a thread only if its last message is this recent (a yearly "Price list" starts anew).
SUBJECT_THREAD_WINDOW = dt.timedelta(days=30)


@dataclass
class Seen:
    """One message of a folder as the server listed it (headers, flags), before its body is read."""

    uid: int
    flags: tuple
    modseq: int | None
    headers: Parsed
    size: int = 0


def flag_fields(flags: tuple) -> dict[str, bool]:
    names = {f.decode() if isinstance(f, bytes) else str(f) for f in flags}
    return {"seen": "\\Seen" in names, "flagged": "\\Flagged" in names, "answered": "\\Answered" in names}


def known_messages(folder: MailFolder, seen: list[Seen]) -> dict[str, object]:
    """The Message-IDs of the window already stored in the mailbox (from another folder, or before a
    UIDVALIDITY change), with their primary keys."""
    ids = list({s.headers.message_id for s in seen})
    return dict(MailMessage.objects.filter(mailbox_id=folder.mailbox_id, message_id__in=ids)
                .values_list("message_id", "pk"))


def wanted(folder: MailFolder, parsed: Parsed, linker: Linker) -> bool:
    """Is a new message imported? Every one for a company mailbox; for a personal one, only mail to or from
    someone the CRM knows (the rest of a person's mail stays out of the CRM)."""
    if folder.mailbox.import_all:
        return True
    return linker.first_match(parsed.addresses()).counterparty_id is not None


@transaction.atomic
def locate_known(folder: MailFolder, seen: list[Seen], known: dict[str, object]) -> int:
    """Record where already stored messages sit in this folder and take their flags; how many."""
    rows = [MailLocation(message_id=known[s.headers.message_id], folder=folder, uid=s.uid, modseq=s.modseq)
            for s in seen if s.headers.message_id in known]
    MailLocation.objects.bulk_create(rows, ignore_conflicts=True)
    for s in seen:
        if s.headers.message_id in known:
            MailMessage.objects.filter(pk=known[s.headers.message_id]).update(deleted_on_server=False,
                                                                              **flag_fields(s.flags))
    return len(rows)


def _other_party(folder: MailFolder, parsed: Parsed) -> tuple[str, list[str]]:
    """The direction, and the addresses of the other side in the order that should decide the link."""
    recipients = [a["address"] for a in parsed.to + parsed.cc]
    if parsed.from_address and parsed.from_address.lower() == folder.mailbox.address.lower():
        return MailDirection.OUTBOUND, recipients
    return MailDirection.INBOUND, [parsed.from_address, *recipients]


def _thread_for(folder: MailFolder, parsed: Parsed, counterparty_id) -> MailThread | None:
    """The thread a new message joins: by In-Reply-To/References, by a stored reply to it, then by subject."""
    mailbox_id = folder.mailbox_id
    refs = [r for r in [parsed.in_reply_to, *reversed(parsed.references)] if r]
    messages = MailMessage.objects.filter(mailbox_id=mailbox_id, thread__isnull=False)
    thread_id = None
    if refs:
        thread_id = messages.filter(message_id__in=refs).values_list("thread_id", flat=True).first()
    if thread_id is None:
        # A reply read before the message it answers (another folder, an earlier window).
        thread_id = messages.filter(in_reply_to=parsed.message_id).values_list("thread_id", flat=True).first()
    if thread_id is not None:
        return MailThread.objects.filter(pk=thread_id).first()
    key = subject_key(parsed.subject)
    if not key or parsed.sent_at is None:
        return None
    return (MailThread.objects.filter(mailbox_id=mailbox_id, subject_key=key, counterparty_id=counterparty_id,
                                      last_message_at__gte=parsed.sent_at - SUBJECT_THREAD_WINDOW,
                                      last_message_at__lte=parsed.sent_at + SUBJECT_THREAD_WINDOW)
            .order_by("-last_message_at").first())


def _join_thread(folder: MailFolder, message: MailMessage, parsed: Parsed) -> None:
    thread = _thread_for(folder, parsed, message.counterparty_id)
    if thread is None:
        thread = MailThread.objects.create(mailbox_id=folder.mailbox_id, subject=parsed.subject,
                                           subject_key=subject_key(parsed.subject), last_message_at=message.sent_at,
                                           counterparty_id=message.counterparty_id, deal_id=message.deal_id,
                                           message_count=1)
    else:
        changes: dict = {"message_count": F("message_count") + 1}
        if thread.last_message_at is None or message.sent_at > thread.last_message_at:
            changes["last_message_at"] = message.sent_at
        if message.counterparty_id and not thread.counterparty_id:
            changes["counterparty_id"] = message.counterparty_id
        if message.deal_id and not thread.deal_id:
            changes["deal_id"] = message.deal_id
        MailThread.objects.filter(pk=thread.pk).update(**changes)
    message.thread = thread
    MailMessage.objects.filter(pk=message.pk).update(thread=thread)


@transaction.atomic
def message_store(folder: MailFolder, seen: Seen, parsed: Parsed, linker: Linker) -> MailMessage:
    """Store a new message read from `folder`: linked, threaded, located, with its attachments."""
    direction, others = _other_party(folder, parsed)
    match = linker.first_match(others)
    message = MailMessage.objects.create(
        mailbox_id=folder.mailbox_id, message_id=parsed.message_id, in_reply_to=parsed.in_reply_to,
        references=" ".join(f"<{r}>" for r in parsed.references), subject=parsed.subject,
        from_address=parsed.from_address, from_name=parsed.from_name, to_addresses=parsed.to,
        cc_addresses=parsed.cc, sent_at=parsed.sent_at, direction=direction, snippet=parsed.snippet,
        body_text=parsed.text, body_html=parsed.html, size=seen.size,
        counterparty_id=match.counterparty_id, contact_id=match.contact_id,
        deal_id=deal_for(subject=parsed.subject, counterparty_id=match.counterparty_id,
                         deal_header=parsed.deal_header),
        **flag_fields(seen.flags))
    MailLocation.objects.create(message=message, folder=folder, uid=seen.uid, modseq=seen.modseq)
    _join_thread(folder, message, parsed)
    for item in parsed.attachments:
        attachment = MailAttachment(message=message, filename=item.filename, content_type=item.content_type,
                                    size=item.size)
        if item.payload is not None and item.size <= ATTACHMENT_MAX_BYTES:
            attachment.file.save(item.filename, ContentFile(item.payload), save=False)
        attachment.save()
    return message


@transaction.atomic
def flags_update(folder: MailFolder, changes: dict[int, tuple[tuple, int | None]]) -> int:
    """Take the server's flags (and MODSEQ) of the messages at these UIDs of `folder`; how many changed."""
    if not changes:
        return 0
    located = dict(MailLocation.objects.filter(folder=folder, uid__in=list(changes)).values_list("uid", "message_id"))
    count = 0
    for uid, (flags, modseq) in changes.items():
        if uid not in located:
            continue
        count += MailMessage.objects.filter(pk=located[uid]).update(**flag_fields(flags))
        if modseq is not None:
            MailLocation.objects.filter(folder=folder, uid=uid).update(modseq=modseq)
    return count


@transaction.atomic
def uids_vanish(folder: MailFolder, uids: list[int]) -> int:
    """The messages at these UIDs are gone from `folder`: forget where they sat, and mark those that sit
    nowhere else any more as deleted on the server (the CRM keeps them). How many locations went."""
    if not uids:
        return 0
    locations = MailLocation.objects.filter(folder=folder, uid__in=uids)
    message_ids = list(locations.values_list("message_id", flat=True))
    gone, _ = locations.delete()
    (MailMessage.objects.filter(pk__in=message_ids)
     .exclude(Exists(MailLocation.objects.filter(message=OuterRef("pk"))))
     .update(deleted_on_server=True))
    return gone


@transaction.atomic
def folder_reset(folder: MailFolder) -> None:
    """The folder's UIDVALIDITY changed: its UIDs mean nothing any more. Forget them (the messages stay, and
    are matched again by Message-ID when the folder is read anew)."""
    MailLocation.objects.filter(folder=folder).delete()
    folder.last_uid = 0
    folder.highestmodseq = None
    folder.synced = 0
