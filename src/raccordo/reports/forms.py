"""Forms of the head's reports: a scheduled report, and one manager's plan for a period.

They parse and pre-check input; the services (reports.services.scheduled, reports.services.plans) decide and
save, and their ValidationError is put back next to the fields.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from raccordo.access.models import Role
from raccordo.access.policy import assignable_users, report_recipients_reach, role_names
from raccordo.core.money import default_currency, validate_currency
from raccordo.web.forms import ServiceModelForm

from .models import ReportSection, ScheduledReport

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _person(user) -> str:
    return user.get_full_name() or user.username


class _PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{_person(obj)} <{obj.email}>" if obj.email else _person(obj)


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class ScheduledReportForm(ServiceModelForm):
    """A scheduled report: its parts, as whom, when, for which period, to whom."""

    # Not required here: the service says "choose at least one" together with every other mistake of the form.
    sections = forms.MultipleChoiceField(label=_("Parts of the report"), choices=ReportSection.choices,
                                         widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                                         required=False)
    run_as = _PersonChoice(label=_("Computed as"), queryset=get_user_model().objects.none(),
                           help_text=_("The report shows only what this person may see."))
    recipient_users = _PeopleChoice(label=_("People"), queryset=get_user_model().objects.none(), required=False,
                                    help_text=_("Hold Ctrl to choose several."))
    recipient_roles = forms.MultipleChoiceField(label=_("Everyone with the role"), required=False,
                                                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    extra_model_fields = ("sections", "run_as", "recipient_users", "recipient_roles")

    class Meta:
        model = ScheduledReport
        fields = ["name", "frequency", "time_of_day", "weekday", "day_of_month", "cron", "period", "only_if_data",
                  "recipient_addresses", "language", "is_active"]
        widgets = {"time_of_day": TIME, "recipient_addresses": forms.TextInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        people = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name", "username")
        self.fields["run_as"].queryset = people.filter(pk__in=assignable_users(user).values("pk"))
        self.fields["recipient_users"].queryset = people.filter(pk__in=report_recipients_reach(user).values("pk"))
        labels = dict(Role.choices)
        self.fields["recipient_roles"].choices = [(name, labels.get(name, name)) for name in role_names()]
        self.fields["language"].choices = [("", _("Their own language")), *settings.LANGUAGES]
        self.fields["language"].help_text = _("Empty: the language of the person it is computed as.")
        if self.instance and not self.instance._state.adding:
            self.initial.update({"sections": self.instance.sections, "run_as": self.instance.run_as_id,
                                 "recipient_users": self.instance.recipient_users,
                                 "recipient_roles": self.instance.recipient_roles})
        else:
            self.initial.setdefault("run_as", user.pk)
            self.initial.setdefault("sections", [ReportSection.DEALS, ReportSection.OVERDUE_TASKS])

    def service_data(self, exclude: tuple[str, ...] = ()) -> dict:
        data = super().service_data(exclude)
        data["recipient_users"] = [str(u.pk) for u in data.get("recipient_users") or []]
        data["sections"] = [code for code in ReportSection.values if code in data.get("sections", [])]
        return data


class PlanForm(forms.Form):
    """One manager's plan for one period (a row of the plans page)."""

    manager = forms.UUIDField(widget=forms.HiddenInput)
    amount = forms.DecimalField(label=_("Revenue plan"), max_digits=18, decimal_places=2, min_value=0,
                                required=False)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial=default_currency)
    deals = forms.IntegerField(label=_("Deals to win"), min_value=0, max_value=100000, required=False)

    def clean_currency(self) -> str:
        code = (self.cleaned_data.get("currency") or "").strip().upper()
        validate_currency(code)
        return code
