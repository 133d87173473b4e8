"""Who reads which mailbox and which messages (the rules of `mail.*` name the scopes registered here).

- A personal mailbox (with an owner) is its owner's alone: not their head's, not an administrator's, and not
  anyone's who merely sees the client a message is linked to. Administrators see that it exists and its state
  (to help with a broken connection), never its messages.
- A company mailbox (no owner) shared with a department is read by the members of that department and of the
  departments below it; a message linked to a client, only by those of them who may also see that client (a
  VIP client's mail stays with those who see the VIP). Administrators read every company mailbox.
- Writing: flags (`change`) go with reading; deleting a message and changing a mailbox's settings are for its
  owner, and for administrators on company mailboxes; sending (`add` on a message) for whoever reads the mailbox.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from raccordo.mail.models import MailMessage
from raccordo.parties.models import Email

from ..models import Department
from ..roles import permission_set
from .rows import _counterparty_q, _counterparty_reachable, can, is_admin, register_scope

# Actions on messages that go with reading a mailbox (flags, sending); deleting is its owner's.
READER_ACTIONS = frozenset({"view", "change", "export", "add"})
# Actions on a mailbox itself (its settings) open to its readers; changing them is its owner's.
MAILBOX_READER_ACTIONS = frozenset({"view", "export"})


def department_chain(user) -> set:
    """The user's department and every department above it: a mailbox shared with any of them reaches them."""
    key = user.department_id
    cached = getattr(user, "_raccordo_mail_chain", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    parents = dict(Department.objects.values_list("pk", "parent_id")) if key is not None else {}
    chain, node = set(), key
    while node is not None and node not in chain:
        chain.add(node)
        node = parents.get(node)
    user._raccordo_mail_chain = (key, chain)
    return chain


def _mailbox_q(user, action: str, prefix: str = "") -> Q:
    """Mailboxes `user` may `action`, as a filter on the path `prefix` (ending in "__") leading to a mailbox."""
    own = Q(**{f"{prefix}owner": user})
    company = Q(**{f"{prefix}owner__isnull": True})
    if is_admin(user):
        return Q()  # every mailbox's settings and state; their messages are decided by _message_q
    if action not in MAILBOX_READER_ACTIONS:
        return own
    return own | (company & Q(**{f"{prefix}shared_with__in": list(department_chain(user))}))


def _message_q(user, action: str, prefix: str = "") -> Q:
    """Messages (or threads: same field names) `user` may `action`; `prefix` leads from the model to them."""
    own = Q(**{f"{prefix}mailbox__owner": user})
    company = Q(**{f"{prefix}mailbox__owner__isnull": True})
    if is_admin(user):
        return own | company
    if action not in READER_ACTIONS:
        return own
    shared = company & Q(**{f"{prefix}mailbox__shared_with__in": list(department_chain(user))})
    client = Q(**{f"{prefix}counterparty__isnull": True}) | \
        _counterparty_q(user, permission_set(user), f"{prefix}counterparty", action)
    return own | (shared & client)


def _mailbox_can(user, action: str, mailbox) -> bool:
    if mailbox is None:
        return False
    if mailbox.owner_id is not None and mailbox.owner_id == user.pk:
        return True
    if is_admin(user):
        # Administrators manage every mailbox's settings (not read its mail: see the message scope).
        return True
    return action in MAILBOX_READER_ACTIONS and _reads_company_mailbox(user, mailbox)


def _reads_company_mailbox(user, mailbox) -> bool:
    return mailbox.owner_id is None and mailbox.shared_with_id is not None \
        and mailbox.shared_with_id in department_chain(user)


def _message_can(user, action: str, message) -> bool:
    """May `user` `action` this message (or thread: it has a mailbox and a counterparty too)?"""
    if message is None:
        return False
    mailbox = message.mailbox
    if mailbox.owner_id is not None:
        return mailbox.owner_id == user.pk
    if is_admin(user):
        return True
    if action not in READER_ACTIONS or not _reads_company_mailbox(user, mailbox):
        return False
    counterparty = message.counterparty
    return counterparty is None or _counterparty_reachable(user, permission_set(user), counterparty, action)


def can_send_from(user, mailbox) -> bool:
    """May `user` send mail from `mailbox` (their own, or a company mailbox they read)?"""
    if mailbox is None or not mailbox.is_active or user is None or not user.is_active:
        return False
    if mailbox.owner_id is not None:
        return mailbox.owner_id == user.pk
    return is_admin(user) or _reads_company_mailbox(user, mailbox)


register_scope("mail.mailbox", visible=lambda qs, user, action: qs.filter(_mailbox_q(user, action)),
               can=lambda user, action, obj: _mailbox_can(user, action, obj))
register_scope("mail.folder", visible=lambda qs, user, action: qs.filter(_mailbox_q(user, action, "mailbox__")),
               can=lambda user, action, obj: _mailbox_can(user, action, obj.mailbox))
register_scope("mail.thread", visible=lambda qs, user, action: qs.filter(_message_q(user, action)),
               can=lambda user, action, obj: _message_can(user, action, obj))
register_scope("mail.message", visible=lambda qs, user, action: qs.filter(_message_q(user, action)),
               can=lambda user, action, obj: _message_can(user, action, obj))
register_scope("mail.location", visible=lambda qs, user, action: qs.filter(_message_q(user, action, "message__")),
               can=lambda user, action, obj: _message_can(user, action, obj.message))
register_scope("mail.attachment",
               visible=lambda qs, user, action: qs.filter(_message_q(user, action, "message__")),
               can=lambda user, action, obj: _message_can(user, action, obj.message))


# ---- Sending from the CRM (mail.sending) ------------------------------------------------------------------------
# Kept apart from the reading rules above: who may put a message in a client's name on the wire, and to whom.


def may_send_from(user, mailbox) -> bool:
    """May `user` send from `mailbox`: their own personal mailbox, or a company mailbox shared with their
    department (or one above it); administrators also from any company mailbox, never from a colleague's
    personal one. The mailbox must be active and have an SMTP server."""
    return can_send_from(user, mailbox) and bool(getattr(mailbox, "smtp_host", ""))


def mail_send_refused(user, *, mailbox, counterparty=None, deal=None, invoice=None, replied=None) -> list[str]:
    """Why `user` may not send this message, as sentences (empty: allowed).

    The records a message is about must be visible to the writer (a hidden client is refused like any other
    record), and the sent message is stored in the mailbox, linked to the client, so `add` on it must be allowed
    (on a shared company mailbox that also needs the client). A reply needs the replied message to be readable.
    """
    if not may_send_from(user, mailbox):
        return [_("You may not send from the mailbox %(mailbox)s.") % {"mailbox": mailbox}]
    for record in (counterparty, deal, invoice, replied):
        if record is not None and not can(user, "view", record):
            return [_("You may not write about this record.")]
    draft = MailMessage(mailbox=mailbox, counterparty=counterparty, deal=deal)
    if not can(user, "add", draft):
        return [_("You may not log mail for this client.")]
    return []


def mail_unknown_recipients(counterparty, recipients, known=()) -> list[str]:
    """The addresses among `recipients` that are neither on the client's card (its and its contacts' e-mails)
    nor in `known` (the people of the thread being answered). Sending to them needs an explicit confirmation:
    the CRM writes to its clients, it is no relay for free text to strangers."""
    allowed = {a.strip().lower() for a in known if a}
    if counterparty is not None:
        allowed |= {a.lower() for a in Email.objects.filter(counterparty_id=counterparty.pk)
                    .values_list("address", flat=True)}
    return [a for a in dict.fromkeys(r.strip() for r in recipients if r and r.strip()) if a.lower() not in allowed]
