"""Report snapshots in the admin: read-only, for looking at what the cache holds."""

from django.contrib import admin

from .models import ReportSnapshot


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(admin.ModelAdmin):
    list_display = ("kind", "year", "scope_key", "user", "computed_at", "seconds", "requested_at")
    list_filter = ("kind", "year")
    readonly_fields = [f.name for f in ReportSnapshot._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
