"""Forms of the campaign pages: labels and widgets only; the services validate and decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from raccordo.segments.models import Segment
from raccordo.segments.selectors import segment_list
from raccordo.web.forms import ServiceModelForm

from .models import FORM_FIELDS, Campaign, CampaignEvent, WebForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignForm(ServiceModelForm):
    """A campaign's fields."""

    class Meta:
        model = Campaign
        fields = ["name", "channel", "budget", "actual_cost", "starts_on", "ends_on", "owner", "segment",
                  "description"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The segments the planner sees, and the one already linked even when it is a colleague's.
        segments = segment_list(user=user)
        if self.instance.segment_id:
            segments = segments | Segment.objects.filter(pk=self.instance.segment_id)
        self.fields["segment"].queryset = segments.order_by("name", "id")


class EventForm(ServiceModelForm):
    """An event of the campaign and the events it waits for (finish-to-start)."""

    depends_on = forms.ModelMultipleChoiceField(label=_("Starts after"), required=False,
                                                queryset=CampaignEvent.objects.none())

    class Meta:
        model = CampaignEvent
        fields = ["name", "kind", "starts_on", "ends_on", "owner"]
        widgets = {"starts_on": DATE, "ends_on": DATE}

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        others = CampaignEvent.objects.filter(campaign=campaign)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["depends_on"].queryset = others.order_by("starts_on", "name")


class RescheduleForm(forms.Form):
    """The Gantt chart's "move": a new start date, the length kept."""

    starts_on = forms.DateField(label=_("New start"), widget=DATE)


class WebFormForm(ServiceModelForm):
    """A web form's set-up."""

    fields_asked = forms.MultipleChoiceField(
        label=_("Fields"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[("name", _("Name")), ("company", _("Company")), ("email", _("E-mail")), ("phone", _("Phone")),
                 ("message", _("Message"))])

    class Meta:
        model = WebForm
        fields = ["name", "consent_text", "campaign", "assignee", "department", "allowed_origins", "success_url",
                  "is_active"]
        widgets = {"consent_text": forms.Textarea(attrs={"rows": 3}), "allowed_origins": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields_asked"].initial = self.instance.fields or list(FORM_FIELDS)

    def service_data(self, exclude=()):
        data = super().service_data(exclude)
        data["fields"] = list(self.cleaned_data.get("fields_asked") or [])
        return data
