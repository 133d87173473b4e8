"""What outgoing e-mail is set up to do, and a failed send explained in words instead of an errno.

Raccordo sends invoices, reminder digests and password resets through Django's e-mail backend, configured
from the environment (settings.py, README's settings table). Nothing here sends mail: it describes the
configuration (the password is never part of it) and turns a refused connection into a sentence.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

# Backends by what they do with a message, so a page can say "printed to the terminal" instead of a dotted path.
_BACKEND_KINDS = {
    "django.core.mail.backends.smtp.EmailBackend": "smtp",
    "django.core.mail.backends.console.EmailBackend": "console",
    "django.core.mail.backends.filebased.EmailBackend": "file",
    "django.core.mail.backends.locmem.EmailBackend": "memory",
    "django.core.mail.backends.dummy.EmailBackend": "dummy",
}


@dataclass(frozen=True)
class MailState:
    """The outgoing e-mail configuration as a settings page shows it (never the password)."""

    backend: str
    kind: str            # smtp, console, file, memory, dummy, other
    host: str
    port: int
    login: str
    has_password: bool
    security: str        # "STARTTLS", "SSL/TLS" or ""
    from_address: str
    configured: bool     # someone set EMAIL_HOST or EMAIL_BACKEND

    @property
    def delivers(self) -> bool:
        """Whether mail leaves this machine for real recipients (an SMTP server someone configured)."""
        return self.kind in ("smtp", "other") and self.configured


def mail_state() -> MailState:
    """The outgoing e-mail configuration of this process."""
    backend = settings.EMAIL_BACKEND
    security = "SSL/TLS" if settings.EMAIL_USE_SSL else "STARTTLS" if settings.EMAIL_USE_TLS else ""
    return MailState(backend=backend, kind=_BACKEND_KINDS.get(backend, "other"), host=settings.EMAIL_HOST,
                     port=settings.EMAIL_PORT, login=settings.EMAIL_HOST_USER,
                     has_password=bool(settings.EMAIL_HOST_PASSWORD), security=security,
                     from_address=settings.DEFAULT_FROM_EMAIL, configured=settings.EMAIL_CONFIGURED)


def mail_failure_text(exc: BaseException) -> str:
    """Why a message did not leave, for the person who clicked "Send" (translated, no errno)."""
    state = mail_state()
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _("The mail server refused Raccordo's login. Ask your administrator to check the e-mail settings.")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("The mail server refused the recipient addresses: %(addresses)s.") % {
            "addresses": ", ".join(exc.recipients)}
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _("The mail server refused the sender address %(address)s. Ask your administrator to check "
                 "the e-mail settings.") % {"address": state.from_address}
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return _("The mail server %(host)s did not answer in time. Try again later or ask your administrator.") % {
            "host": state.host}
    if not state.configured:
        return _("E-mail is not set up on this server, so nothing was sent. Ask your administrator to set it "
                 "up (Settings → E-mail).")
    if isinstance(exc, (ConnectionError, socket.gaierror)):
        return _("The mail server %(host)s:%(port)s cannot be reached, so nothing was sent. Ask your "
                 "administrator to check the e-mail settings.") % {"host": state.host, "port": state.port}
    return _("The mail server did not accept the message, so nothing was sent. Ask your administrator to "
             "check the e-mail settings.")


def mail_failure_line(exc: BaseException) -> str:
    """The same failure as one line for the log, in English, with the server's own words at the end."""
    state = mail_state()
    hint = "" if state.configured else "; e-mail is not configured (set EMAIL_HOST, see the README)"
    return f"mail server {state.host}:{state.port} ({state.kind}): {type(exc).__name__}: {exc}{hint}"
