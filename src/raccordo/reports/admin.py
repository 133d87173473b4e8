"""Reports in the admin: snapshots (read-only, for looking at what the cache holds), sales plans, scheduled
reports with their log of sendings."""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin

from .models import ReportSnapshot, SalesPlan, ScheduledReport, ScheduledReportSend


@admin.register(ReportSnapshot)
class ReportSnapshotAdmin(admin.ModelAdmin):
    list_display = ("kind", "year", "params", "scope_key", "user", "computed_at", "seconds", "requested_at")
    list_filter = ("kind", "year")
    readonly_fields = [f.name for f in ReportSnapshot._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SalesPlan)
class SalesPlanAdmin(JournaledModelAdmin):
    list_display = ("manager", "period_kind", "period_start", "amount", "currency", "deals")
    list_filter = ("period_kind",)
    list_select_related = ("manager",)
    raw_id_fields = ("manager",)
    search_fields = ("manager__username", "manager__last_name")


class ScheduledReportSendInline(admin.TabularInline):
    """The log of sendings: written by the sending code only."""

    model = ScheduledReportSend
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "slot", "by_hand", "status", "recipients", "error")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ScheduledReport)
class ScheduledReportAdmin(JournaledModelAdmin):
    list_display = ("name", "run_as", "frequency", "time_of_day", "period", "is_active")
    list_filter = ("frequency", "is_active")
    list_select_related = ("run_as",)
    raw_id_fields = ("run_as", "owner")
    search_fields = ("name",)
    inlines = [ScheduledReportSendInline]
