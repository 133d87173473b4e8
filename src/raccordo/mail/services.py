"""Write services of e-mail: connecting a mailbox, choosing folders, running a sync, marking mail read."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.access.records import check_fields, record_create, record_delete, record_update

from . import imap, sync
from .models import Mailbox, MailFolder, MailMessage

log = logging.getLogger(__name__)

# What a user sets on their own mailbox; administrators also choose a company mailbox's department.
MAILBOX_FIELDS = ("name", "address", "imap_host", "imap_port", "imap_security", "imap_login", "imap_password",
                  "smtp_host", "smtp_port", "smtp_security", "smtp_login", "smtp_password", "sync_since",
                  "import_all", "is_active")
COMPANY_FIELDS = (*MAILBOX_FIELDS, "shared_with")
SECRET_FIELDS = ("imap_password", "smtp_password")
# A sync holds its mailbox this long without news before another may take it over (a worker that died).
LOCK_LEASE = dt.timedelta(minutes=10)


def _fields_for(user, mailbox: Mailbox | None, data: dict) -> tuple[str, ...]:
    company = (mailbox.owner_id is None) if mailbox is not None else data.get("owner") is None
    return COMPANY_FIELDS if company and policy.is_admin(user) else MAILBOX_FIELDS


def _keep_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """An empty password in a form keeps the stored one: secrets are never shown back to be re-typed."""
    return {k: v for k, v in data.items() if not (k in SECRET_FIELDS and not v)}


def mailbox_create(*, user, data: dict[str, Any], owner=None) -> Mailbox:
    """Connect a mailbox: the user's own (owner=user), or a company mailbox (owner=None, administrators)."""
    if owner is None and not policy.is_admin(user):
        raise ValidationError(_("Only administrators connect company mailboxes."))
    if owner is not None and user is not None and owner.pk != user.pk and not policy.is_admin(user):
        raise ValidationError(_("You may connect only your own mailbox."))
    data = _keep_secrets(data)
    check_fields(Mailbox, data, _fields_for(user, None, {"owner": owner}))
    if owner is not None:
        data.pop("shared_with", None)
    return record_create(Mailbox, user=user, data={**data, "owner": owner},
                         fields=(*COMPANY_FIELDS, "owner"))


def mailbox_update(*, user, mailbox: Mailbox, data: dict[str, Any]) -> Mailbox:
    """Change a mailbox's settings; a changed server or login makes it "not connected" until the next sync."""
    data = _keep_secrets(data)
    check_fields(Mailbox, data, _fields_for(user, mailbox, {}))
    reconnect = any(k in data and data[k] != getattr(mailbox, k)
                    for k in ("imap_host", "imap_port", "imap_security", "imap_login", "imap_password"))
    if reconnect:
        data["is_connected"] = False
    return record_update(mailbox, user=user, data=data, fields=(*COMPANY_FIELDS, "is_connected"))


def mailbox_delete(*, user, mailbox: Mailbox) -> None:
    """Disconnect a mailbox and forget its imported messages (the server keeps them)."""
    record_delete(mailbox, user=user)


def mailbox_test(*, user, mailbox: Mailbox) -> list[str]:
    """Try the IMAP login (and the SMTP one when a server is set); the folders found. Records the state."""
    policy.require(user, "view", mailbox)
    try:
        with imap.connect(mailbox) as client:
            names = [f.name for f in imap.remote_folders(client)]
        if mailbox.smtp_host:
            imap.test_smtp(mailbox)
    except imap.MailConnectionError as exc:
        _record_failure(mailbox, str(exc))
        raise ValidationError(str(exc)) from exc
    Mailbox.objects.filter(pk=mailbox.pk).update(is_connected=True, last_error="")
    return names


def folder_select(*, user, folder: MailFolder, selected: bool) -> MailFolder:
    """Sync a folder or leave it out (Spam, Trash); its messages already imported stay."""
    return record_update(folder, user=user, data={"is_selected": selected}, fields=("is_selected",))


def message_mark(*, user, message: MailMessage, seen: bool) -> MailMessage:
    """Mark a message read or unread in Raccordo (the server's flag follows on the next change there)."""
    policy.require(user, "change", message)
    MailMessage.objects.filter(pk=message.pk).update(seen=seen)
    message.seen = seen
    return message


# --- Running a sync ----------------------------------------------------------------------------------------

def _lock(mailbox_id) -> bool:
    """Take the mailbox's sync lease (one sync per mailbox at a time, across workers); False when held."""
    now = timezone.now()
    return bool(Mailbox.objects.filter(pk=mailbox_id).filter(Q(sync_lock_until__isnull=True)
                                                             | Q(sync_lock_until__lt=now))
                .update(sync_lock_until=now + LOCK_LEASE))


def _renew(mailbox_id) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(sync_lock_until=timezone.now() + LOCK_LEASE)


def _record_failure(mailbox: Mailbox, message: str) -> None:
    now = timezone.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(is_connected=False, last_error=message[:2000], last_error_at=now)
    mailbox.is_connected, mailbox.last_error, mailbox.last_error_at = False, message[:2000], now


def mailbox_sync_run(*, mailbox_id, user=None, extensions: set[str] | None = None) -> sync.SyncReport | None:
    """Sync one mailbox now (the worker every few minutes, or its user's "Sync now"); None when another sync
    of it is running. The outcome is recorded on the mailbox: connected and when, or the error."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None or not mailbox.is_active:
        return None
    if user is not None:
        policy.require(user, "view", mailbox)
    if not _lock(mailbox.pk):
        return None
    try:
        with imap.connect(mailbox) as client:
            report = sync.mailbox_sync(mailbox, client, extensions=extensions,
                                       heartbeat=lambda: _renew(mailbox.pk))
    except imap.MailConnectionError as exc:
        _record_failure(mailbox, str(exc))
        return None
    except imap.CONNECTION_ERRORS as exc:
        _record_failure(mailbox, _("The connection to the IMAP server was lost: %(error)s") % {"error": exc})
        return None
    finally:
        Mailbox.objects.filter(pk=mailbox.pk).update(sync_lock_until=None)
    Mailbox.objects.filter(pk=mailbox.pk).update(is_connected=True, last_sync_at=timezone.now(), last_error="")
    log.info("mailbox %s synced: %s new", mailbox.pk, report.new)
    return report


def mailboxes_due() -> list:
    """The mailboxes the worker syncs now: active ones whose lease is free."""
    now = timezone.now()
    return list(Mailbox.objects.filter(is_active=True).filter(Q(sync_lock_until__isnull=True)
                                                              | Q(sync_lock_until__lt=now))
                .values_list("pk", flat=True))
