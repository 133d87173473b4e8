"""POST /api/v1/mail/send/ and /api/v1/mail-messages/{id}/reply/: writing e-mail through the same service as the
composer (mail.sending.send_mail_message): the same access rules, the same confirmation for strangers' addresses,
the thread kept, the copy in Sent. A record or mailbox the caller does not see answers 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound
from raccordo.mail import compose
from raccordo.mail.models import Mailbox, MailMessage
from raccordo.mail.sending import send_mail_message
from raccordo.parties.selectors import contact_get, counterparty_get
from raccordo.sales.selectors import deal_get, invoice_get

from ..serializers.mail_send import MailReplySerializer, MailSendSerializer, MailSentSerializer

SELECTORS = {"counterparty": counterparty_get, "contact": contact_get, "deal": deal_get, "invoice": invoice_get}


def _attachments(data) -> list[tuple[str, bytes, str]]:
    return [(a["filename"], a["content"], a["content_type"]) for a in data.get("attachments") or []]


def _visible_one(queryset, user, pk):
    found = visible(queryset, user).filter(pk=pk).first()
    if found is None:
        raise NotFound("Not found.")
    return found


class MailSendView(APIView):
    """Send a new message from one of your mailboxes (its copy goes to the mailbox's Sent folder)."""

    @extend_schema(request=MailSendSerializer, responses={201: MailSentSerializer})
    def post(self, request):
        payload = MailSendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        records = {name: selector(user=request.user, pk=data[name]) if data.get(name) else None
                   for name, selector in SELECTORS.items()}
        mailbox = _visible_one(Mailbox.objects.all(), request.user, data["mailbox"])
        sent = send_mail_message(user=request.user, mailbox=mailbox, to=data["to"], cc=data["cc"],
                                 subject=data["subject"], body=data["body"], attachments=_attachments(data),
                                 attach_invoice=data["attach_invoice"], confirm_unknown=data["confirm_unknown"],
                                 **records)
        return Response(MailSentSerializer(sent).data, status=status.HTTP_201_CREATED)


class MailReplyView(APIView):
    """Reply to a message in its thread (In-Reply-To and References set), from the message's mailbox."""

    @extend_schema(request=MailReplySerializer, responses={201: MailSentSerializer})
    def post(self, request, pk):
        payload = MailReplySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        replied = _visible_one(MailMessage.objects.select_related("mailbox", "counterparty"), request.user, pk)
        draft = compose.reply_draft(replied, mailbox=replied.mailbox, reply_all=data["reply_all"])
        body = data["body"] + (draft.body if data["quote"] else "")
        sent = send_mail_message(user=request.user, mailbox=replied.mailbox, to=data.get("to") or draft.to,
                                 cc=data["cc"] if "to" in data else (data["cc"] or draft.cc),
                                 subject=data.get("subject") or draft.subject, body=body,
                                 attachments=_attachments(data), in_reply_to=replied,
                                 confirm_unknown=data["confirm_unknown"])
        return Response(MailSentSerializer(sent).data, status=status.HTTP_201_CREATED)
