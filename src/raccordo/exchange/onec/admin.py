from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin

from .models import OneCSettings


@admin.register(OneCSettings)
class OneCSettingsAdmin(JournaledModelAdmin):
    list_display = ("node", "zip_allowed", "file_limit", "max_upload", "time_budget", "keep_days")
    autocomplete_fields = ()
