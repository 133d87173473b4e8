"""Mailboxes connected over IMAP and SMTP, their folders, and the messages imported from them.

A message is stored once per mailbox (deduplicated by its Message-ID) and sits in one or more folders
(`MailLocation`: a UID is a folder's own number for it). Who reads what is decided by `access.policy.mail`:
a mailbox's messages are its owner's, or, for a company mailbox shared with a department, that department's
(and the departments below it), linked messages only for those who may also see the client.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from raccordo.core.models import BaseModel
from raccordo.core.secrets import EncryptedTextField


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("No encryption (local servers only)")


class Mailbox(BaseModel):
    """One e-mail account Raccordo reads over IMAP and sends from over SMTP.

    owner: the user whose personal mailbox this is; empty for a company mailbox (info@, sales@).
    shared_with: a company mailbox's department: its members and those of the departments below it read it.
    imap_* / smtp_*: the servers; the passwords (or app passwords) are encrypted at rest and never shown back.
    sync_since: the date of the oldest message the first import takes (the whole folder when empty).
    import_all: import every message (a company mailbox); otherwise only those whose sender or recipients
        match an address of a CRM contact or client (a personal mailbox keeps private mail out of the CRM).
    is_active: synced by the worker; an inactive mailbox keeps its messages but is not read any more.
    is_connected, last_sync_at, last_error, last_error_at: the state shown to its user and to administrators.
    sync_lock_until: a lease, so that one sync at a time runs per mailbox (worker, button, another worker).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="mailboxes", verbose_name=_("owner"))
    shared_with = models.ForeignKey("access.Department", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="mailboxes", verbose_name=_("shared with department"))
    name = models.CharField(_("name"), max_length=128)
    address = models.EmailField(_("e-mail address"))
    imap_host = models.CharField(_("IMAP server"), max_length=255)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=10, choices=Security.choices,
                                     default=Security.SSL)
    imap_login = models.CharField(_("IMAP login"), max_length=255)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    smtp_host = models.CharField(_("SMTP server"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=465)
    smtp_security = models.CharField(_("SMTP security"), max_length=10, choices=Security.choices,
                                     default=Security.SSL)
    smtp_login = models.CharField(_("SMTP login"), max_length=255, blank=True,
                                  help_text=_("Empty: the IMAP login."))
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True,
                                       help_text=_("Empty: the IMAP password."))
    sync_since = models.DateField(_("import messages since"), null=True, blank=True)
    import_all = models.BooleanField(_("import every message"), default=False,
                                     help_text=_("Off: only messages to or from CRM contacts are imported."))
    is_active = models.BooleanField(_("active"), default=True)
    is_connected = models.BooleanField(_("connected"), default=False)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    sync_lock_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["address", "imap_host", "imap_login"],
                                               name="mail_mailbox_unique_account")]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def is_company(self) -> bool:
        return self.owner_id is None


class FolderRole(models.TextChoices):
    INBOX = "inbox", pgettext_lazy("mail folder", "Inbox")
    SENT = "sent", pgettext_lazy("mail folder", "Sent")
    ARCHIVE = "archive", pgettext_lazy("mail folder", "Archive")
    OTHER = "other", pgettext_lazy("mail folder", "Other")


class MailFolder(BaseModel):
    """An IMAP folder of a mailbox and how far its sync has got.

    name: the folder's IMAP name (as the server spells it); role: what it is for, from SPECIAL-USE.
    uidvalidity / last_uid: the server's UIDVALIDITY and the highest UID imported; a changed UIDVALIDITY
        means the old UIDs are void, so the folder is read again (messages already stored are matched by
        Message-ID, not duplicated).
    highestmodseq: the folder's HIGHESTMODSEQ at the last sync (CONDSTORE); empty when the server has none.
    is_selected: synced at all (a user may leave Spam or Trash out).
    total / synced: progress of the current (first) import; last_error / last_error_at: the folder's own error.
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders",
                                verbose_name=_("mailbox"))
    name = models.CharField(_("name"), max_length=512)
    role = models.CharField(_("role"), max_length=10, choices=FolderRole.choices, default=FolderRole.OTHER)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID"), default=0)
    highestmodseq = models.BigIntegerField(_("HIGHESTMODSEQ"), null=True, blank=True)
    is_selected = models.BooleanField(_("synced"), default=True)
    total = models.PositiveIntegerField(_("messages on the server"), default=0)
    synced = models.PositiveIntegerField(_("messages synced"), default=0)
    last_sync_at = models.DateTimeField(_("last sync"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail folder")
        verbose_name_plural = _("mail folders")
        ordering = ["mailbox", "name"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "name"], name="mail_folder_unique_name")]

    def __str__(self) -> str:
        return self.name


class MailThread(BaseModel):
    """A conversation: the messages of a mailbox joined by References/In-Reply-To, else by subject.

    subject: the first message's subject; subject_key: the subject without Re:/Fwd: prefixes, lower-cased,
    for the subject fallback. counterparty / deal: what the thread's messages are linked to (the latest link).
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="threads",
                                verbose_name=_("mailbox"))
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    subject_key = models.CharField(max_length=255, blank=True, editable=False)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="mail_threads", verbose_name=_("counterparty"))
    deal = models.ForeignKey("sales.Deal", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="mail_threads", verbose_name=_("deal"))
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    message_count = models.PositiveIntegerField(_("messages"), default=0)

    class Meta:
        verbose_name = _("mail thread")
        verbose_name_plural = _("mail threads")
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["mailbox", "-last_message_at"], name="mail_thread_recent"),
                   models.Index(fields=["mailbox", "subject_key"], name="mail_thread_subject")]

    def __str__(self) -> str:
        return self.subject or "—"


class MailDirection(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class MailMessage(BaseModel):
    """One e-mail message of a mailbox, stored once whatever the folders it sits in.

    message_id: the Message-ID header (without <>), the key that deduplicates within a mailbox (one made up
        from the content when a message has none). in_reply_to / references: the threading headers.
    to_addresses / cc_addresses: lists of {"address", "name"}. direction: out when sent from the mailbox's own
        address. snippet: the start of the text for lists. body_html: the HTML part as received: hostile,
        shown only sanitized. seen / flagged / answered: the IMAP flags, kept in step with the server.
    counterparty / contact / deal: what the message is linked to (by address, domain, or a reference in the
        subject). sent_by: the user who wrote it from Raccordo (empty for imported mail).
    deleted_on_server: gone from every folder on the server; kept in the CRM, marked.
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages",
                                verbose_name=_("mailbox"))
    thread = models.ForeignKey(MailThread, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="messages", verbose_name=_("thread"))
    message_id = models.CharField(_("Message-ID"), max_length=998)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=998, blank=True)
    references = models.TextField(_("References"), blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    from_address = models.CharField(_("from"), max_length=320, blank=True, db_index=True)
    from_name = models.CharField(_("sender name"), max_length=255, blank=True)
    to_addresses = models.JSONField(_("to"), default=list, blank=True)
    cc_addresses = models.JSONField(_("cc"), default=list, blank=True)
    sent_at = models.DateTimeField(_("date"), db_index=True)
    direction = models.CharField(_("direction"), max_length=3, choices=MailDirection.choices,
                                 default=MailDirection.INBOUND)
    snippet = models.CharField(_("snippet"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    size = models.PositiveIntegerField(_("size, bytes"), default=0)
    seen = models.BooleanField(_("read"), default=False)
    flagged = models.BooleanField(_("flagged"), default=False)
    answered = models.BooleanField(_("answered"), default=False)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="mail_messages", verbose_name=_("counterparty"))
    contact = models.ForeignKey("parties.ContactPerson", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="mail_messages", verbose_name=_("contact person"))
    deal = models.ForeignKey("sales.Deal", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="mail_messages", verbose_name=_("deal"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("sent by"))
    deleted_on_server = models.BooleanField(_("deleted on the server"), default=False)

    class Meta:
        verbose_name = _("e-mail message")
        verbose_name_plural = _("e-mail messages")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "message_id"], name="mail_message_unique_id")]
        indexes = [models.Index(fields=["counterparty", "-sent_at"], name="mail_message_card"),
                   models.Index(fields=["thread", "sent_at"], name="mail_message_thread"),
                   models.Index(fields=["mailbox", "-sent_at"], name="mail_message_recent"),
                   # Threading a message that arrives before the one it answers looks for its replies.
                   models.Index(fields=["mailbox", "in_reply_to"], name="mail_message_reply")]

    def __str__(self) -> str:
        return self.subject or "—"


class MailLocation(models.Model):
    """Where a message sits on the server: a folder and the message's UID in it (and its MODSEQ)."""

    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="locations",
                                verbose_name=_("message"))
    folder = models.ForeignKey(MailFolder, on_delete=models.CASCADE, related_name="locations",
                               verbose_name=_("folder"))
    uid = models.BigIntegerField(_("UID"))
    modseq = models.BigIntegerField(_("MODSEQ"), null=True, blank=True)

    class Meta:
        verbose_name = _("message location")
        verbose_name_plural = _("message locations")
        constraints = [models.UniqueConstraint(fields=["folder", "uid"], name="mail_location_unique_uid")]
        indexes = [models.Index(fields=["message"], name="mail_location_message")]

    def __str__(self) -> str:
        return f"{self.folder_id}:{self.uid}"


# Attachments above this size are listed (name, type, size) but not stored: the server keeps them.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class MailAttachment(BaseModel):
    """A file attached to a message; `file` is empty when the attachment was over ATTACHMENT_MAX_BYTES."""

    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("message"))
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size, bytes"), default=0)
    file = models.FileField(_("file"), upload_to="mail/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["filename"]

    def __str__(self) -> str:
        return self.filename
