"""Writing e-mail through the API: what a send or a reply takes, and what it answers (mail.sending)."""

from __future__ import annotations

import base64
import binascii

from rest_framework import serializers

MAX_API_ATTACHMENTS = 10


class AttachmentSerializer(serializers.Serializer):
    """A file sent with the message, its content in base64."""

    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=255, required=False, default="application/octet-stream")
    content = serializers.CharField(help_text="The file's bytes in base64.")

    def validate_content(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise serializers.ValidationError("Not valid base64.") from exc


class _MessageFields(serializers.Serializer):
    cc = serializers.ListField(child=serializers.EmailField(), required=False, default=list, max_length=50)
    body = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    attachments = AttachmentSerializer(many=True, required=False, default=list, max_length=MAX_API_ATTACHMENTS)
    confirm_unknown = serializers.BooleanField(
        default=False, help_text="Send also to addresses that are not on the client's card (refused otherwise "
                                 "with code mail.send.unknown_recipients listing them).")


class MailSendSerializer(_MessageFields):
    """A new message from one of your mailboxes, about a client (and its contact, deal or invoice)."""

    mailbox = serializers.UUIDField(help_text="A mailbox you may send from: your own, or a company mailbox shared "
                                              "with your department.")
    to = serializers.ListField(child=serializers.EmailField(), min_length=1, max_length=50)
    subject = serializers.CharField(max_length=255)
    counterparty = serializers.UUIDField(required=False, allow_null=True, default=None)
    contact = serializers.UUIDField(required=False, allow_null=True, default=None)
    deal = serializers.UUIDField(required=False, allow_null=True, default=None)
    invoice = serializers.UUIDField(required=False, allow_null=True, default=None)
    attach_invoice = serializers.BooleanField(default=False, help_text="Attach the invoice's PDF (an issued one).")


class MailReplySerializer(_MessageFields):
    """A reply in the message's thread, from the message's mailbox."""

    to = serializers.ListField(child=serializers.EmailField(), required=False, max_length=50,
                               help_text="Default: the sender (with reply_all, everyone on the message).")
    reply_all = serializers.BooleanField(default=False)
    subject = serializers.CharField(max_length=255, required=False,
                                    help_text='Default: the original\'s with "Re: ".')
    quote = serializers.BooleanField(default=True, help_text="Quote the original under the text.")


class MailSentSerializer(serializers.Serializer):
    """The sent message as stored in the mailbox; `warning` when its copy could not be saved in Sent."""

    id = serializers.UUIDField(source="message.pk")
    message_id = serializers.CharField(source="message.message_id")
    thread = serializers.UUIDField(source="message.thread_id")
    subject = serializers.CharField(source="message.subject")
    to = serializers.ListField(source="message.to_addresses", child=serializers.DictField())
    cc = serializers.ListField(source="message.cc_addresses", child=serializers.DictField())
    sent_at = serializers.DateTimeField(source="message.sent_at")
    counterparty = serializers.UUIDField(source="message.counterparty_id", allow_null=True)
    deal = serializers.UUIDField(source="message.deal_id", allow_null=True)
    sent_folder = serializers.CharField()
    warning = serializers.CharField()
