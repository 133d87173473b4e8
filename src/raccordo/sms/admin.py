"""SMS in the admin (the provider's settings are not here: their page never shows the key)."""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin

from .models import SmsCampaign, SmsMessage


@admin.register(SmsMessage)
class SmsMessageAdmin(JournaledModelAdmin):
    list_display = ("created_at", "to", "status", "counterparty", "sent_by", "segments")
    list_filter = ("status",)
    search_fields = ("to", "text", "provider_id", "counterparty__name")
    list_select_related = ("counterparty", "sent_by")
    raw_id_fields = ("counterparty", "contact", "sent_by", "campaign")


@admin.register(SmsCampaign)
class SmsCampaignAdmin(JournaledModelAdmin):
    list_display = ("created_at", "name", "status", "total", "created_by")
    list_filter = ("status",)
    search_fields = ("name", "text")
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)
