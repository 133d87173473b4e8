"""Forms of the administrators' pages: a process template with its steps, a rule with its actions, holidays."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from raccordo.access.models import Role
from raccordo.access.roles import role_names
from raccordo.comms.models import MessageTemplate
from raccordo.sales.models import Stage

from .models import ActionKind, AssigneeKind, ClosesOn, ProcessTemplate, Subject, Trigger


def _people():
    return get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")


def _roles():
    # Built-in roles by their label in the reader's language, custom roles by their own name.
    return [("", "—"), *[(name, Role(name).label if name in Role.values else name) for name in role_names()]]


def _stages():
    return Stage.objects.select_related("funnel").order_by("funnel__name", "order")


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    code = forms.SlugField(label=_("Code"), max_length=50,
                           help_text=_("A short identifier that stays when the name is translated or changed."))
    subject = forms.ChoiceField(label=_("Runs on"), choices=Subject.choices)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class StepForm(forms.Form):
    """One row of the steps table."""

    id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Step"), max_length=255)
    # Initial values as the selects show them first, so an untouched empty row counts as unchanged.
    assignee_kind = forms.ChoiceField(label=_("Who"), choices=AssigneeKind.choices, initial=AssigneeKind.RESPONSIBLE)
    assignee_role = forms.ChoiceField(label=_("Role"), required=False, choices=_roles)
    assignee_user = forms.ModelChoiceField(label=_("Person"), required=False, queryset=_people())
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=365, initial=1)
    closes_on = forms.ChoiceField(label=_("Closed when"), choices=ClosesOn.choices, initial=ClosesOn.TASK_DONE)
    close_stage = forms.ModelChoiceField(label=_("Stage"), required=False, queryset=_stages())
    delete = forms.BooleanField(label=_("Remove"), required=False)


StepFormSet = forms.formset_factory(StepForm, extra=2)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    trigger = forms.ChoiceField(label=_("When"), choices=Trigger.choices)
    trigger_stage = forms.ModelChoiceField(label=_("Stage"), required=False, queryset=_stages(),
                                           help_text=_("For “a deal enters a stage”: which stage (empty: any)."))
    conditions = forms.CharField(
        label=_("If"), required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        help_text=_("One condition a line: field, operator, value. Operators: = != > < >= <= contains, "
                    "is set, is empty, changed. E.g. “amount > 100000”, “counterparty.is_vip = true”, "
                    "“shipped_on changed”."))


class ActionForm(forms.Form):
    """One row of a rule's "then" table."""

    id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Action"), choices=ActionKind.choices, initial=ActionKind.CREATE_TASK)
    text = forms.CharField(label=_("Text"), max_length=255, required=False)
    assignee_kind = forms.ChoiceField(label=_("For"), choices=AssigneeKind.choices, initial=AssigneeKind.RESPONSIBLE)
    assignee_role = forms.ChoiceField(label=_("Role"), required=False, choices=_roles)
    assignee_user = forms.ModelChoiceField(label=_("Person"), required=False, queryset=_people())
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=365, initial=1)
    process_template = forms.ModelChoiceField(label=_("Process"), required=False,
                                              queryset=ProcessTemplate.objects.order_by("name"))
    message_template = forms.ModelChoiceField(label=_("Message"), required=False,
                                              queryset=MessageTemplate.objects.filter(is_active=True))
    field = forms.CharField(label=_("Field"), max_length=64, required=False)
    value = forms.CharField(label=_("Value"), max_length=255, required=False)
    delete = forms.BooleanField(label=_("Remove"), required=False)


ActionFormSet = forms.formset_factory(ActionForm, extra=1)


class HolidaysForm(forms.Form):
    text = forms.CharField(label=_("Holidays"), required=False,
                           widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
                           help_text=_("One a line: the date as YYYY-MM-DD, then its name. Weekends are "
                                       "always off."))


def rows_of(formset) -> list[dict]:
    """The filled rows of a steps or actions formset, in order, as the setup services take them."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        if not data or (not data.get("id") and not form.has_changed()):
            continue
        rows.append({k: v for k, v in data.items() if not (k == "id" and v is None)})
    return rows
