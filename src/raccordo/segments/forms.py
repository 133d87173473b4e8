"""Forms of the segment and mailing pages: labels and widgets; segments.filters and the services validate."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from raccordo.campaigns.models import Campaign
from raccordo.campaigns.selectors import campaign_list
from raccordo.catalog.models import ProductGroup
from raccordo.comms.models import Channel, MessageTemplate
from raccordo.parties.models import CounterpartyKind, Tag

from .filters import CLASSES, KEYS, LIST_KEYS
from .models import SegmentKind, SegmentTarget

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CHECKS = forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class SegmentForm(forms.Form):
    """A segment's name, kind and target, and its filters (every one optional)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=SegmentKind.choices)
    target = forms.ChoiceField(label=_("Of"), choices=SegmentTarget.choices)
    tags = forms.MultipleChoiceField(label=_("Tags (any)"), required=False)
    counterparty_kind = forms.ChoiceField(label=_("Counterparty kind"), required=False)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=2, required=False)
    city = forms.CharField(label=_("City (region)"), max_length=100, required=False)
    responsible = forms.MultipleChoiceField(label=_("Responsible manager"), required=False)
    paid_min = forms.DecimalField(label=_("Paid at least"), required=False, min_value=0)
    paid_from = forms.DateField(label=_("Paid from"), required=False, widget=DATE)
    paid_to = forms.DateField(label=_("Paid to"), required=False, widget=DATE)
    bought_after = forms.DateField(label=_("Last purchase on or after"), required=False, widget=DATE)
    bought_before = forms.DateField(label=_("Last purchase on or before"), required=False, widget=DATE)
    product_groups = forms.MultipleChoiceField(label=_("Bought from product groups"), required=False)
    open_deal = forms.ChoiceField(label=_("Open deal"), required=False,
                                  choices=[("", _("Any")), ("yes", _("Has one")), ("no", _("Has none"))])
    consent = forms.ChoiceField(label=_("Can be written to"), required=False,
                                choices=[("", _("Any")), ("email", _("By e-mail")), ("sms", _("By SMS"))])
    abc_class = forms.MultipleChoiceField(
        label=_("ABC class (paid revenue)"), required=False, widget=CHECKS, choices=[(c, c) for c in CLASSES["abc_class"]],
        help_text=_("As on the ABC/XYZ page: the twelve complete months before this one, over the clients you see."))
    xyz_class = forms.MultipleChoiceField(
        label=_("XYZ class (regular purchases)"), required=False, widget=CHECKS, choices=[(c, c) for c in CLASSES["xyz_class"]])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = [(str(t.pk), t.name) for t in Tag.objects.order_by("name")]
        self.fields["counterparty_kind"].choices = [("", _("Any")), *CounterpartyKind.choices]
        users = get_user_model().objects.filter(is_active=True).order_by("last_name", "first_name")
        self.fields["responsible"].choices = [(str(u.pk), u.get_full_name() or u.get_username()) for u in users]
        self.fields["product_groups"].choices = [(str(g.pk), g.name) for g in ProductGroup.objects.order_by("name")]
        for name in ("tags", "responsible", "product_groups"):
            self.fields[name].widget.attrs["size"] = 4

    @staticmethod
    def initial_from(segment) -> dict:
        filters = dict(segment.filters)
        filters["counterparty_kind"] = filters.pop("kind", "")
        return {"name": segment.name, "kind": segment.kind, "target": segment.target, **filters}

    def describe(self, filters: dict) -> list[str]:
        """The filters in words, "Tags (any): Wholesale", names in place of ids (the segment's page)."""
        out = []
        for key, value in filters.items():
            field = self.fields["counterparty_kind" if key == "kind" else key]
            names = dict(getattr(field, "choices", []))
            values = value if isinstance(value, list) else [value]
            out.append(f"{field.label}: {', '.join(str(names.get(v, v)) for v in values)}")
        return out

    def filters(self) -> dict:
        """The filters typed so far (for the live count too, so read from the raw data, not the cleaned)."""
        data = self.data
        out = {}
        for key in KEYS:
            source = "counterparty_kind" if key == "kind" else key
            value = data.getlist(source) if key in LIST_KEYS else data.get(source)
            if value not in (None, "", []):
                out[key] = value
        return out


class MailingForm(forms.Form):
    """A mass e-mail: the template and a name; the segment comes with the page's address."""

    template = forms.ModelChoiceField(label=_("Template"), queryset=MessageTemplate.objects.none())
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False,
                                      help_text=_("Each e-mail sent becomes a touch of this campaign on the client's "
                                                  "card."))
    expected = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = MessageTemplate.objects.filter(channel=Channel.EMAIL, is_active=True)
        self.fields["campaign"].queryset = campaign_list(user=user)
