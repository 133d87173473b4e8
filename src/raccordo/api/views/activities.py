"""API of interactions, tasks, reminders and complaints."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from raccordo.activities import selectors, services
from raccordo.activities.filters import ComplaintFilter, InteractionFilter, ReminderFilter, TaskFilter
from raccordo.activities.models import Reminder
from raccordo.api.serializers.activities import (
    ComplaintSerializer,
    InteractionSerializer,
    ReminderSerializer,
    TaskSerializer,
)

from .base import CreateReadUpdateViewSet


class InteractionViewSet(CreateReadUpdateViewSet):
    """Calls, e-mails, meetings and notes about the counterparties the caller may see, or logged by them."""

    serializer_class = InteractionSerializer
    filterset_class = InteractionFilter
    ordering_fields = ["occurred_at", "created_at"]
    search_fields = ["subject", "body", "outcome"]

    def get_base_queryset(self):
        return selectors.interaction_list(user=self.request.user).select_related("deal")

    def service_create(self, data):
        return services.interaction_log(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.interaction_update(user=self.request.user, interaction=instance, data=data)


class TaskViewSet(CreateReadUpdateViewSet):
    """Tasks about the caller's counterparties, or assigned to or set by the caller."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["priority", "created_at", "updated_at"]
    search_fields = ["title", "description"]

    def get_base_queryset(self):
        return selectors.task_list(user=self.request.user)

    def service_create(self, data):
        return services.task_create(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.task_update(user=self.request.user, task=instance, data=data)


class ReminderViewSet(CreateReadUpdateViewSet):
    """The caller's reminders and those about their counterparties. POST .../done/ marks one done."""

    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    ordering_fields = ["start_at", "created_at"]
    search_fields = ["subject"]

    def get_base_queryset(self):
        return Reminder.objects.select_related("target_type", "counterparty")

    def service_create(self, data):
        return services.reminder_create(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.reminder_update(user=self.request.user, reminder=instance, data=data)

    @extend_schema(request=None, responses=ReminderSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """Mark the reminder done."""
        with transaction.atomic():
            reminder = services.reminder_done(user=request.user, reminder=self.get_object())
        return Response(self.get_serializer(self.reload(reminder)).data)


class ComplaintViewSet(CreateReadUpdateViewSet):
    """Complaints of the counterparties the caller may see."""

    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    ordering_fields = ["received_at", "created_at", "updated_at"]
    search_fields = ["subject", "description"]

    def get_base_queryset(self):
        return selectors.complaint_list(user=self.request.user)

    def service_create(self, data):
        return services.complaint_register(user=self.request.user, data=data)

    def service_update(self, instance, data):
        return services.complaint_update(user=self.request.user, complaint=instance, data=data)
