"""Putting a written message on the wire: the MIME message, the mailbox's SMTP server, the copy in its Sent folder.

Nothing here decides who may send or stores anything in the database (mail.sending does): this module turns a
message into bytes, hands them to the mailbox's own SMTP server (smtplib, with the mailbox's security setting
and its encrypted password), and APPENDs the same bytes to the mailbox's Sent folder over IMAP (imapclient),
so the message shows in the manager's own mail client as well as in the CRM.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from .imap import SENT_NAMES, MailConnectionError, connect, remote_folders
from .models import FolderRole, Mailbox, Security

log = logging.getLogger(__name__)

TIMEOUT = 60
# A thread's References header keeps its root and the latest ids (RFC 5322 allows trimming the middle).
MAX_REFERENCES = 20


class DeliveryError(Exception):
    """The mailbox's server refused or could not be reached; `text` says so to the person who clicked Send."""

    def __init__(self, text: str, reason: str = ""):
        super().__init__(text)
        self.text = text
        self.reason = reason


@dataclass(frozen=True)
class SentCopy:
    """Where the copy of a sent message went on the IMAP server (uid/uidvalidity when the server says: UIDPLUS)."""

    folder: str
    uidvalidity: int | None = None
    uid: int | None = None


def new_message_id(mailbox: Mailbox) -> str:
    """A fresh Message-ID on the mailbox's own domain, without the angle brackets (as MailMessage keeps it)."""
    domain = mailbox.address.rpartition("@")[2] or "raccordo.invalid"
    return make_msgid(domain=domain).strip("<>")


def references_for(replied) -> tuple[str, str]:
    """(In-Reply-To, References) of a reply to `replied` (a MailMessage), as header values; empty for new mail."""
    if replied is None:
        return "", ""
    chain = [r for r in (replied.references or "").replace(">", "> ").split() if r.startswith("<")]
    chain.append(f"<{replied.message_id}>")
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1):]
    return f"<{replied.message_id}>", " ".join(dict.fromkeys(chain))


def _address(address: str, name: str = "") -> Address | str:
    try:
        return Address(display_name=name, addr_spec=address) if name else address
    except (ValueError, IndexError):  # a name or address the header registry cannot fold: the bare address
        return address


def build_message(*, mailbox: Mailbox, from_name: str, to: list[str], cc: list[str], subject: str, body: str,
                  attachments, message_id: str, sent_at, replied=None, deal_id=None) -> EmailMessage:
    """The message as it goes out: plain text, the attachments, and the headers that keep the thread."""
    message = EmailMessage()
    message["From"] = _address(mailbox.address, from_name)
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<{message_id}>"
    in_reply_to, references = references_for(replied)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references
    if deal_id:
        # Read back by the sync (mail.linking.deal_for): the client's answer links to the same deal.
        message["X-Raccordo-Deal"] = str(deal_id)
    message.set_content(body or "")
    for filename, content, mimetype in attachments:
        maintype, _sep, subtype = (mimetype or "application/octet-stream").partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return message


def _smtp_connection(mailbox: Mailbox) -> smtplib.SMTP:
    if mailbox.smtp_security == Security.SSL:
        return smtplib.SMTP_SSL(mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT,
                                context=ssl.create_default_context())
    server = smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=TIMEOUT)
    if mailbox.smtp_security == Security.STARTTLS:
        server.starttls(context=ssl.create_default_context())
    return server


def smtp_deliver(mailbox: Mailbox, message: EmailMessage, recipients: list[str]) -> None:
    """Hand `message` to the mailbox's SMTP server for `recipients` (To and Cc); DeliveryError when refused."""
    login = mailbox.smtp_login or mailbox.imap_login
    password = mailbox.smtp_password or mailbox.imap_password
    try:
        with _smtp_connection(mailbox) as server:
            server.ehlo_or_helo_if_needed()
            if login and password and server.has_extn("auth"):
                server.login(login, password)
            server.send_message(message, from_addr=mailbox.address, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:  # refused connections, timeouts, TLS and SMTP errors
        log.warning("mailbox %s: SMTP %s:%s refused the message: %s: %s", mailbox.pk, mailbox.smtp_host,
                    mailbox.smtp_port, type(exc).__name__, exc)
        raise DeliveryError(smtp_failure_text(mailbox, exc), type(exc).__name__) from exc


def smtp_failure_text(mailbox: Mailbox, exc: BaseException) -> str:
    """Why the mailbox's server did not take the message, in the sender's words (core.outgoing_mail's way)."""
    where = {"host": mailbox.smtp_host, "port": mailbox.smtp_port, "mailbox": mailbox.address}
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _("The SMTP server of %(mailbox)s refused the login or password. Check the mailbox's settings "
                 "(an app password may be needed).") % where
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("The mail server refused the recipient addresses: %(addresses)s.") % {
            "addresses": ", ".join(exc.recipients)}
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _("The SMTP server refused %(mailbox)s as the sender. Check the mailbox's settings.") % where
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return _("The SMTP server %(host)s:%(port)s did not answer in time; nothing was sent. Try again later.") \
            % where
    if isinstance(exc, ssl.SSLError):
        return _("The secure connection to the SMTP server %(host)s:%(port)s failed; nothing was sent. Check the "
                 "mailbox's security setting.") % where
    if isinstance(exc, (ConnectionError, socket.gaierror, smtplib.SMTPConnectError,
                        smtplib.SMTPServerDisconnected)):
        return _("The SMTP server %(host)s:%(port)s cannot be reached; nothing was sent. Check the mailbox's "
                 "settings.") % where
    return _("The SMTP server %(host)s:%(port)s did not accept the message; nothing was sent.") % where


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def sent_folder(client: IMAPClient) -> str:
    """The name of the Sent folder: the one flagged \\Sent (SPECIAL-USE) or named so (mail.imap), else one named
    so under the inbox ("INBOX.Sent"); created (as "Sent") when the server has none."""
    folders = remote_folders(client)
    for folder in folders:
        if folder.role == FolderRole.SENT:
            return folder.name
    for folder in folders:
        if re.split(r"[./]", folder.name)[-1].lower() in SENT_NAMES:
            return folder.name
    client.create_folder("Sent")
    client.subscribe_folder("Sent")
    return "Sent"


def _appenduid(response) -> tuple[int | None, int | None]:
    """(UIDVALIDITY, UID) from an APPEND answer "[APPENDUID v u] ..." (servers with UIDPLUS), else Nones."""
    text = _text(response or b"")
    if "APPENDUID" not in text:
        return None, None
    try:
        parts = text.split("APPENDUID", 1)[1].strip(" []").split()
        return int(parts[0]), int(parts[1].rstrip("]"))
    except (IndexError, ValueError):
        return None, None


def save_sent_copy(mailbox: Mailbox, raw: bytes, sent_at, answered: list[tuple[str, int]] = ()) -> SentCopy:
    """APPEND `raw` to the mailbox's Sent folder (marked read), and mark the answered message \\Answered where it
    sits (`answered`: its (folder, uid) pairs). DeliveryError when the IMAP server cannot be reached."""
    try:
        with connect(mailbox) as client:
            folder = sent_folder(client)
            response = client.append(folder, raw, flags=(b"\\Seen",), msg_time=sent_at)
            uidvalidity, uid = _appenduid(response)
            _flag_answered(mailbox, client, answered)
            return SentCopy(folder=folder, uidvalidity=uidvalidity, uid=uid)
    except MailConnectionError as exc:
        raise DeliveryError(_("The message was sent, but its copy could not be saved in the Sent folder: "
                              "%(error)s") % {"error": exc}, "connection") from exc
    except (OSError, IMAPClientError) as exc:
        raise DeliveryError(_("The message was sent, but its copy could not be saved in the Sent folder: "
                              "%(error)s") % {"error": exc}, type(exc).__name__) from exc


def _flag_answered(mailbox: Mailbox, client: IMAPClient, answered) -> None:
    for name, uid in answered:
        try:
            client.select_folder(name)
            client.add_flags([uid], [b"\\Answered"])
        except IMAPClientError as exc:  # the answered message moved or went: the reply is sent all the same
            log.info("mailbox %s: could not flag %s:%s answered: %s", mailbox.pk, name, uid, exc)
