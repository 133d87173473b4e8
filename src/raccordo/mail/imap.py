"""Talking to a mailbox's IMAP server through imapclient: connecting, listing folders with their roles.

No IMAP is written by hand here: imapclient speaks the protocol; this module only chooses what to ask.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from .models import FolderRole, Mailbox, Security

TIMEOUT = 60
# SPECIAL-USE flags (RFC 6154) and the roles they give a folder.
SPECIAL_USE = {b"\\Sent": FolderRole.SENT, b"\\Archive": FolderRole.ARCHIVE}
# Folders not synced unless a user selects them: mail nobody wants in the CRM, or copies of all the rest.
SKIPPED_BY_DEFAULT = {b"\\Junk", b"\\Trash", b"\\Drafts", b"\\All", b"\\Flagged", b"\\Noselect"}
# Servers without SPECIAL-USE: the usual names of the Sent folder.
SENT_NAMES = {"sent", "sent items", "sent messages", "sent mail", "posta inviata", "inviata", "отправленные"}
# Errors of the network or the server: reported on the mailbox and retried on the next run.
CONNECTION_ERRORS = (OSError, IMAPClientError, ssl.SSLError, socket.timeout, smtplib.SMTPException)


class MailConnectionError(Exception):
    """The server could not be reached or refused us; the message is for the mailbox's user."""


@dataclass(frozen=True)
class RemoteFolder:
    name: str
    role: str
    selected_by_default: bool


@contextmanager
def connect(mailbox: Mailbox):
    """A logged-in IMAPClient for `mailbox`, logged out afterwards; MailConnectionError when that fails."""
    try:
        client = IMAPClient(mailbox.imap_host, port=mailbox.imap_port, use_uid=True,
                            ssl=mailbox.imap_security == Security.SSL, timeout=TIMEOUT)
    except CONNECTION_ERRORS as exc:
        raise MailConnectionError(_("Cannot reach the IMAP server %(host)s:%(port)s: %(error)s") % {
            "host": mailbox.imap_host, "port": mailbox.imap_port, "error": exc}) from exc
    try:
        if mailbox.imap_security == Security.STARTTLS:
            client.starttls(ssl.create_default_context())
        client.login(mailbox.imap_login, mailbox.imap_password)
    except LoginError as exc:
        _close(client)
        raise MailConnectionError(_("The IMAP server refused the login or password.")) from exc
    except CONNECTION_ERRORS as exc:
        _close(client)
        raise MailConnectionError(_("The IMAP server refused the connection: %(error)s") % {"error": exc}) from exc
    try:
        yield client
    finally:
        _close(client)


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection is already gone: nothing left to close politely
        try:
            client.shutdown()
        except Exception:
            pass


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def remote_folders(client: IMAPClient) -> list[RemoteFolder]:
    """The server's folders with their roles (SPECIAL-USE when offered, names otherwise)."""
    out = []
    for flags, _delimiter, name in client.list_folders():
        name = _text(name)
        flags = set(flags)
        if name.upper() == "INBOX":
            role = FolderRole.INBOX
        else:
            role = next((r for f, r in SPECIAL_USE.items() if f in flags), None) or (
                FolderRole.SENT if name.lower() in SENT_NAMES else FolderRole.OTHER)
        out.append(RemoteFolder(name=name, role=role, selected_by_default=not (flags & SKIPPED_BY_DEFAULT)))
    return out


def test_smtp(mailbox: Mailbox) -> None:
    """Connect and log in to the mailbox's SMTP server (nothing is sent); MailConnectionError when refused."""
    login = mailbox.smtp_login or mailbox.imap_login
    password = mailbox.smtp_password or mailbox.imap_password
    try:
        if mailbox.smtp_security == Security.SSL:
            server: smtplib.SMTP = smtplib.SMTP_SSL(mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT,
                                                     context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT)
        with server:
            server.ehlo()
            if mailbox.smtp_security == Security.STARTTLS:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if login and server.has_extn("auth"):
                server.login(login, password)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailConnectionError(_("The SMTP server refused the login or password.")) from exc
    except CONNECTION_ERRORS as exc:
        raise MailConnectionError(_("Cannot reach the SMTP server %(host)s:%(port)s: %(error)s") % {
            "host": mailbox.smtp_host, "port": mailbox.smtp_port, "error": exc}) from exc
