"""Calls and extensions in the admin: calls are read only (the PBX writes them); the settings with their secrets
are kept in Settings → Telephony only, never in the admin's forms."""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin

from .models import Call, Extension


@admin.register(Call)
class CallAdmin(JournaledModelAdmin):
    list_display = ("started_at", "direction", "status", "number", "counterparty", "user", "extension",
                    "duration_seconds")
    list_filter = ("status", "direction", "provider")
    search_fields = ("number", "from_number", "to_number", "call_id", "counterparty__name")
    list_select_related = ("counterparty", "user")
    raw_id_fields = ("counterparty", "contact", "user", "task")
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Extension)
class ExtensionAdmin(JournaledModelAdmin):
    list_display = ("number", "user")
    search_fields = ("number", "user__username", "user__last_name")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
