"""Serializers of interactions, tasks, reminders and complaints."""

from __future__ import annotations

from rest_framework import serializers

from raccordo.activities.models import Complaint, Importance, Interaction, Reminder, Task
from raccordo.api.fields import NamedChoiceField, UserField

from .base import BaseModelSerializer
from .sales import _current, check_same_counterparty


def fill_counterparty(serializer, attrs: dict, *names: str) -> dict:
    """A record about a deal or contact is about its counterparty too: take it from there when not given."""
    if _current(serializer, attrs, "counterparty") is None:
        for name in names:
            related = attrs.get(name)
            if related is not None:
                attrs["counterparty"] = related.counterparty
                break
    check_same_counterparty(serializer, attrs, *names)
    return attrs


class InteractionSerializer(BaseModelSerializer):
    author = UserField(read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "kind", "direction", "counterparty", "contact", "deal", "subject", "body", "occurred_at",
                  "duration_seconds", "outcome", "author", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"occurred_at": {"required": False, "help_text": "Defaults to now."}}

    def validate(self, attrs):
        return fill_counterparty(self, attrs, "deal", "contact")


class TaskSerializer(BaseModelSerializer):
    assignee = UserField(required=False, help_text="Defaults to the caller.")
    author = UserField(read_only=True)

    class Meta:
        model = Task
        fields = ["id", "title", "description", "assignee", "author", "counterparty", "deal", "due_at", "priority",
                  "status", "completed_at", "created_at", "updated_at"]
        read_only_fields = ["id", "completed_at", "created_at", "updated_at"]

    def validate(self, attrs):
        return fill_counterparty(self, attrs, "deal")


class ReminderSerializer(BaseModelSerializer):
    user = UserField(required=False, help_text="Who is reminded; only administrators set it for others.")
    importance = NamedChoiceField(enum_name="ImportanceEnum", choices=Importance.choices, required=False)
    target_type = serializers.SerializerMethodField(help_text="Type of the record reminded about, e.g. sales.invoice.")
    # `subject` is stored in the writer's language; an automatic reminder is rendered from its parameters.
    text = serializers.CharField(read_only=True, help_text="The subject in the caller's language (the profile's, "
                                 "else Accept-Language): an automatic reminder's is rendered for the reader, a "
                                 "typed one is as written. `subject` is the stored text.")

    class Meta:
        model = Reminder
        fields = ["id", "user", "subject", "text", "counterparty", "target_type", "target_id", "start_at", "importance",
                  "periodicity", "is_done", "created_at", "updated_at"]
        read_only_fields = ["id", "target_id", "created_at", "updated_at"]
        admin_only_fields = ["user"]

    def get_target_type(self, obj: Reminder) -> str | None:
        if not obj.target_type_id:
            return None
        return f"{obj.target_type.app_label}.{obj.target_type.model}"


class ComplaintSerializer(BaseModelSerializer):
    responsible = UserField(required=False, allow_null=True,
                            help_text="Only administrators set it; others are responsible for what they register.")

    class Meta:
        model = Complaint
        fields = ["id", "counterparty", "received_at", "subject", "description", "status", "responsible",
                  "deadline", "resolution", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"received_at": {"required": False, "help_text": "Defaults to now."}}
        admin_only_fields = ["responsible"]
