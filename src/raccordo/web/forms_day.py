"""Forms of the sales day: reminders and complaints (they parse input; the activities services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from raccordo.activities.models import Complaint, Reminder
from raccordo.parties.selectors import counterparty_list

from . import reference
from .forms import DATE, DATETIME, ServiceModelForm


class ReminderForm(ServiceModelForm):
    class Meta:
        model = Reminder
        fields = ["subject", "start_at", "importance", "periodicity"]
        widgets = {"start_at": DATETIME}


class ComplaintForm(ServiceModelForm):
    class Meta:
        model = Complaint
        fields = ["counterparty", "subject", "description", "responsible", "deadline"]
        widgets = {"deadline": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counterparty"].queryset = counterparty_list(user=user)
        self.fields["responsible"].queryset = reference.assignable_users(user)
        self.fields["responsible"].required = False
        self.fields["responsible"].help_text = _("Empty: you.")


class ComplaintStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Complaint._meta.get_field("status").choices)
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
