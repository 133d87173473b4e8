"""Serializers of e-mail: mailboxes (passwords write-only, never read back), folders, threads, messages."""

from __future__ import annotations

from rest_framework import serializers

from raccordo.mail.models import Mailbox, MailFolder, MailMessage, MailThread

from .base import BaseModelSerializer


class MailboxSerializer(BaseModelSerializer):
    """A mailbox's settings and state; the passwords may be written, never read (only whether one is set)."""

    imap_password = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                          style={"input_type": "password"})
    smtp_password = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                          style={"input_type": "password"})
    has_imap_password = serializers.SerializerMethodField()
    has_smtp_password = serializers.SerializerMethodField()

    class Meta:
        model = Mailbox
        fields = ["id", "owner", "shared_with", "name", "address", "imap_host", "imap_port", "imap_security",
                  "imap_login", "imap_password", "has_imap_password", "smtp_host", "smtp_port", "smtp_security",
                  "smtp_login", "smtp_password", "has_smtp_password", "sync_since", "import_all", "is_active",
                  "is_connected", "last_sync_at", "last_error", "last_error_at", "created_at", "updated_at"]
        read_only_fields = ["id", "owner", "shared_with", "is_connected", "last_sync_at", "last_error",
                            "last_error_at", "created_at", "updated_at"]

    def get_has_imap_password(self, obj) -> bool:
        return bool(obj.imap_password)

    def get_has_smtp_password(self, obj) -> bool:
        return bool(obj.smtp_password)


class MailFolderSerializer(BaseModelSerializer):
    class Meta:
        model = MailFolder
        fields = ["id", "mailbox", "name", "role", "is_selected", "uidvalidity", "last_uid", "highestmodseq",
                  "total", "synced", "last_sync_at", "last_error", "last_error_at"]
        read_only_fields = fields


class MailThreadSerializer(BaseModelSerializer):
    class Meta:
        model = MailThread
        fields = ["id", "mailbox", "subject", "counterparty", "deal", "last_message_at", "message_count"]
        read_only_fields = fields


class MailMessageSerializer(BaseModelSerializer):
    """A message as text; `body_html` is the HTML part as received (hostile: sanitize before showing it)."""

    class Meta:
        model = MailMessage
        fields = ["id", "mailbox", "thread", "message_id", "in_reply_to", "subject", "from_address", "from_name",
                  "to_addresses", "cc_addresses", "sent_at", "direction", "snippet", "body_text", "body_html",
                  "seen", "flagged", "answered", "counterparty", "contact", "deal", "deleted_on_server"]
        read_only_fields = fields
