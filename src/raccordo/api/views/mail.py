"""API of e-mail: the caller's mailboxes (connect, change, test, sync), and the folders, conversations and
messages they may read, all through the access policy (access.policy.mail)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from raccordo.api.serializers.mail import (
    MailboxSerializer,
    MailFolderSerializer,
    MailMessageSerializer,
    MailThreadSerializer,
)
from raccordo.mail import selectors, services, tasks
from raccordo.mail.models import Mailbox, MailFolder, MailMessage, MailThread

from .base import CreateReadUpdateViewSet, ReadOnlyViewSet


class MailboxViewSet(CreateReadUpdateViewSet):
    """The caller's own mailboxes and the company mailboxes they read. POST creates the caller's own mailbox;
    POST .../test/ tries the login; POST .../sync/ queues a sync."""

    serializer_class = MailboxSerializer
    # For the schema only (its id type): records always come from get_base_queryset, through the policy.
    queryset = Mailbox.objects.none()
    ordering_fields = ["created_at"]
    search_fields = ["name", "address"]

    def get_base_queryset(self):
        return selectors.mailbox_readable(user=self.request.user)

    def service_create(self, data):
        return services.mailbox_create(user=self.request.user, data=data, owner=self.request.user)

    def service_update(self, instance, data):
        return services.mailbox_update(user=self.request.user, mailbox=instance, data=data)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Log in to the IMAP (and SMTP) server; the folders found, or the server's refusal."""
        try:
            names = services.mailbox_test(user=request.user, mailbox=self.get_object())
        except ValidationError as exc:
            raise ApiValidationError({"detail": exc.messages}) from exc
        return Response({"connected": True, "folders": names})

    @extend_schema(request=None, responses={202: dict})
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        """Queue a sync of the mailbox (one runs at a time; the state fields tell how it went)."""
        tasks.mailbox_sync_task(self.get_object().pk)
        return Response({"queued": True}, status=202)


class MailFolderFilter(django_filters.FilterSet):
    mailbox = django_filters.UUIDFilter()

    class Meta:
        model = MailFolder
        fields = ["mailbox"]


class MailFolderViewSet(ReadOnlyViewSet):
    """Folders of the mailboxes the caller reads, with the sync's progress and last error."""

    serializer_class = MailFolderSerializer
    filterset_class = MailFolderFilter
    queryset = MailFolder.objects.none()  # for the schema only, as above

    def get_base_queryset(self):
        return selectors.folder_list(user=self.request.user).filter(
            mailbox__in=selectors.mailbox_readable(user=self.request.user))


class MailThreadFilter(django_filters.FilterSet):
    mailbox = django_filters.UUIDFilter()
    counterparty = django_filters.UUIDFilter()
    deal = django_filters.UUIDFilter()

    class Meta:
        model = MailThread
        fields = ["mailbox", "counterparty", "deal"]


class MailThreadViewSet(ReadOnlyViewSet):
    """Conversations the caller may read."""

    serializer_class = MailThreadSerializer
    filterset_class = MailThreadFilter
    search_fields = ["subject"]

    def get_base_queryset(self):
        return selectors.thread_list(user=self.request.user)


class MailMessageFilter(MailThreadFilter):
    thread = django_filters.UUIDFilter()

    class Meta:
        model = MailMessage
        fields = ["mailbox", "counterparty", "deal", "thread"]


class MailMessageViewSet(ReadOnlyViewSet):
    """Messages the caller may read: their own mailbox's, and a shared mailbox's where they may see the client."""

    serializer_class = MailMessageSerializer
    filterset_class = MailMessageFilter
    ordering_fields = ["sent_at", "created_at"]
    search_fields = ["subject", "from_address"]

    def get_base_queryset(self):
        return selectors.message_list(user=self.request.user)
