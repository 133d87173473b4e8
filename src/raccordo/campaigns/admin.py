from django.contrib import admin

from .models import Campaign, CampaignEvent, CampaignTouch, LeadConsent, WebForm


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "starts_on", "ends_on", "budget", "actual_cost", "owner")
    list_filter = ("channel",)
    search_fields = ("name",)


@admin.register(CampaignEvent)
class CampaignEventAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "kind", "starts_on", "ends_on", "owner")
    list_filter = ("kind",)


@admin.register(CampaignTouch)
class CampaignTouchAdmin(admin.ModelAdmin):
    list_display = ("campaign", "counterparty", "at", "utm_source", "utm_medium", "utm_campaign")
    raw_id_fields = ("counterparty", "contact")


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin):
    list_display = ("name", "campaign", "assignee", "department", "is_active")


@admin.register(LeadConsent)
class LeadConsentAdmin(admin.ModelAdmin):
    list_display = ("counterparty", "web_form", "given_at", "ip")
    raw_id_fields = ("counterparty",)
