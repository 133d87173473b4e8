"""Forms of the SMS pages: labels and widgets only; the services validate and decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from raccordo.web.forms import ServiceModelForm

from .models import SmsSettings
from .services import MAX_TEXT


class SmsSettingsForm(ServiceModelForm):
    """The provider's settings; the key and the secret are never shown back, and empty keeps the stored ones."""

    api_token = forms.CharField(label=_("API key"), required=False, strip=True,
                                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    callback_secret = forms.CharField(label=_("Callback secret"), required=False, strip=True,
                                      widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))

    class Meta:
        model = SmsSettings
        fields = ["provider", "api_token", "sender", "base_url", "callback_secret", "rate_per_minute", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance
        for name in ("api_token", "callback_secret"):
            state = _("set (not shown); leave empty to keep it") if getattr(stored, name, "") else _("not set")
            self.fields[name].help_text = state
        self.fields["callback_secret"].help_text = " ".join([
            str(self.fields["callback_secret"].help_text),
            str(_("Delivery reports are taken only with this secret in their address."))])


class SmsComposeForm(forms.Form):
    """One SMS from the card: the number (one of the card's) and the text, maybe filled from a template."""

    to = forms.ChoiceField(label=_("To"))
    template = forms.ChoiceField(label=_("Template"), required=False)
    text = forms.CharField(label=_("Text"), max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 3, "data-sms-text": "1"}))

    def __init__(self, *args, numbers=(), templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = list(numbers)
        self.fields["template"].choices = [("", _("No template")), *templates]


class SmsTestForm(forms.Form):
    to = forms.CharField(label=_("Test number"), max_length=30)


class CampaignForm(forms.Form):
    """A mass send: a name to find it by and the text; the segment comes with the page's address."""

    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    text = forms.CharField(label=_("Text"), max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 4, "data-sms-text": "1"}))
    expected = forms.IntegerField(widget=forms.HiddenInput, required=False)
