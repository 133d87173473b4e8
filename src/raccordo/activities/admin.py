"""Interactions, tasks, reminders and complaints in the admin."""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin

from .models import Complaint, Interaction, Reminder, Task


@admin.register(Interaction)
class InteractionAdmin(JournaledModelAdmin):
    list_display = ("occurred_at", "kind", "direction", "subject", "counterparty", "author", "outcome")
    list_filter = ("kind", "direction", "author")
    search_fields = ("subject", "body", "counterparty__name")
    list_select_related = ("counterparty", "author")
    raw_id_fields = ("counterparty", "contact", "deal", "author")
    date_hierarchy = "occurred_at"


@admin.register(Task)
class TaskAdmin(JournaledModelAdmin):
    list_display = ("title", "assignee", "due_at", "status", "priority", "counterparty")
    list_filter = ("status", "priority", "assignee")
    search_fields = ("title", "description", "counterparty__name")
    list_select_related = ("assignee", "counterparty")
    raw_id_fields = ("assignee", "author", "counterparty", "deal")
    date_hierarchy = "due_at"


@admin.register(Reminder)
class ReminderAdmin(JournaledModelAdmin):
    list_display = ("subject", "user", "start_at", "importance", "periodicity", "is_done", "counterparty")
    list_filter = ("is_done", "importance", "periodicity")
    search_fields = ("subject", "counterparty__name")
    list_select_related = ("user", "counterparty")
    raw_id_fields = ("user", "counterparty")


@admin.register(Complaint)
class ComplaintAdmin(JournaledModelAdmin):
    list_display = ("subject", "counterparty", "status", "responsible", "received_at", "deadline")
    list_filter = ("status",)
    search_fields = ("subject", "description", "counterparty__name")
    list_select_related = ("counterparty", "responsible")
    raw_id_fields = ("counterparty", "responsible")
