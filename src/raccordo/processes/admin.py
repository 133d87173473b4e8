"""Business processes and automation rules in the admin (the pages under Settings are the everyday editors)."""

from django.contrib import admin

from raccordo.core.admin import JournaledModelAdmin, ReadOnlyInline

from .models import AutomationRule, Holiday, ProcessInstance, ProcessTemplate, RuleFiring, StepRun


@admin.register(ProcessTemplate)
class ProcessTemplateAdmin(JournaledModelAdmin):
    list_display = ("name", "code", "subject", "is_active")
    list_filter = ("subject", "is_active")
    search_fields = ("name", "code")


class StepRunInline(ReadOnlyInline):
    model = StepRun
    fields = ("order", "title", "status", "assignee", "due_at", "done_at", "escalated_to")
    readonly_fields = fields


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(JournaledModelAdmin):
    list_display = ("template", "counterparty", "deal", "status", "started_at", "finished_at")
    list_filter = ("status", "template")
    search_fields = ("counterparty__name", "deal__title")
    list_select_related = ("template", "counterparty", "deal")
    raw_id_fields = ("counterparty", "deal", "invoice", "complaint", "started_by")
    inlines = [StepRunInline]


@admin.register(AutomationRule)
class AutomationRuleAdmin(JournaledModelAdmin):
    list_display = ("name", "trigger", "is_active")
    list_filter = ("trigger", "is_active")
    search_fields = ("name", "code")


@admin.register(RuleFiring)
class RuleFiringAdmin(JournaledModelAdmin):
    list_display = ("created_at", "rule_name", "object_type", "object_repr", "failed")
    list_filter = ("failed", "object_type")
    search_fields = ("rule_name", "object_repr")
    raw_id_fields = ("rule",)


@admin.register(Holiday)
class HolidayAdmin(JournaledModelAdmin):
    list_display = ("date", "name")
