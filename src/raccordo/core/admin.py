"""Admin for the change journal (read-only) and the base admin class every domain admin uses.

The admin is a back office for administrators, not a way around the rules: `JournaledModelAdmin`
runs `full_clean()` (through the ModelForm), writes the change journal for every save and delete,
and marks the origin as the web UI, so history, webhooks and outbound exchange see admin edits too.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .context import change_context
from .journal import diff, journal_record, snapshot
from .models import ChangeJournal, Operation, Origin


class JournaledModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes are recorded in the change journal like a service's."""

    list_per_page = 50
    show_full_result_count = False  # counting millions of rows on every page is slow

    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        changes = diff(before, snapshot(obj))
        if changes or not change:
            with change_context(origin=Origin.UI):
                journal_record(obj=obj, operation=Operation.UPDATE if change else Operation.CREATE,
                               changes=changes, user=request.user)

    def delete_model(self, request, obj):
        with change_context(origin=Origin.UI):
            journal_record(obj=obj, operation=Operation.DELETE,
                           changes={k: [v, None] for k, v in snapshot(obj).items()}, user=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        with change_context(origin=Origin.UI):
            for obj in formset.deleted_objects:
                journal_record(obj=obj, operation=Operation.DELETE,
                               changes={k: [v, None] for k, v in snapshot(obj).items()}, user=request.user)
                obj.delete()
            for obj in instances:
                adding = obj._state.adding
                before = {} if adding else snapshot(type(obj).objects.get(pk=obj.pk))
                obj.save()
                changes = diff(before, snapshot(obj))
                if changes or adding:
                    journal_record(obj=obj, operation=Operation.CREATE if adding else Operation.UPDATE,
                                   changes=changes, user=request.user)
        formset.save_m2m()


class ReadOnlyInline(admin.TabularInline):
    """Lines whose totals a service keeps in step (invoice and deal lines): shown, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Rows that only the application writes (the journal, stage visits): browsed in the admin, never changed."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeJournal)
class ChangeJournalAdmin(ReadOnlyModelAdmin):
    """The journal is append-only: browse and search it, never change it."""

    list_display = ("seq", "at", "operation", "content_type", "object_repr", "user", "origin", "node")
    list_filter = ("operation", "origin", "content_type")
    search_fields = ("object_repr", "object_id", "request_id", "node")
    date_hierarchy = "at"
    list_select_related = ("content_type", "user")
    show_full_result_count = False
    readonly_fields = [f.name for f in ChangeJournal._meta.fields]


admin.site.site_header = _("Raccordo administration")
admin.site.site_title = _("Raccordo")
