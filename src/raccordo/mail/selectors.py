"""Read queries of e-mail, always through the access policy (access.policy.mail decides the rows)."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound

from .models import Mailbox, MailFolder, MailMessage, MailThread


def mailbox_list(*, user, mine_only: bool = False) -> QuerySet[Mailbox]:
    """Mailboxes `user` reads (their own, their department's company mailboxes; all for administrators)."""
    qs = visible(Mailbox.objects.select_related("owner", "shared_with"), user)
    if mine_only:
        qs = qs.filter(Q(owner=user) | Q(owner__isnull=True))
    return qs.order_by(F("owner_id").asc(nulls_last=True), "name")


def mailbox_readable(*, user) -> QuerySet[Mailbox]:
    """Mailboxes whose mail `user` reads: their own and the company mailboxes they reach (an administrator
    sees colleagues' mailboxes in the settings, never their mail)."""
    return mailbox_list(user=user).filter(Q(owner=user) | Q(owner__isnull=True))


def mailbox_get(*, user, pk) -> Mailbox:
    """One mailbox `user` may see, or NotFound."""
    obj = mailbox_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Mailbox not found.")
    return obj


def folder_list(*, user, mailbox=None) -> QuerySet[MailFolder]:
    """Folders of the mailboxes `user` sees, with their progress and errors."""
    qs = visible(MailFolder.objects.select_related("mailbox"), user)
    if mailbox is not None:
        qs = qs.filter(mailbox=mailbox)
    return qs.order_by("mailbox__name", "-is_selected", "role", "name")


def thread_list(*, user, mailbox=None, search: str = "") -> QuerySet[MailThread]:
    """Conversations `user` may read, latest first."""
    qs = visible(MailThread.objects.select_related("mailbox", "counterparty", "deal"), user)
    if mailbox is not None:
        qs = qs.filter(mailbox=mailbox)
    if search:
        qs = qs.filter(Q(subject__icontains=search) | Q(counterparty__name__icontains=search))
    return qs.order_by("-last_message_at", "-id")


def thread_get(*, user, pk) -> MailThread:
    obj = thread_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Conversation not found.")
    return obj


def message_list(*, user, mailbox=None, thread=None, counterparty=None, deal=None) -> QuerySet[MailMessage]:
    """Messages `user` may read, newest first."""
    qs = visible(MailMessage.objects.select_related("mailbox", "counterparty", "contact", "deal", "thread"), user)
    for name, value in (("mailbox", mailbox), ("thread", thread), ("counterparty", counterparty), ("deal", deal)):
        if value is not None:
            qs = qs.filter(**{name: value})
    return qs.order_by("-sent_at", "-id")


def message_get(*, user, pk) -> MailMessage:
    obj = message_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Message not found.")
    return obj
