"""The telephony settings form: secrets are never shown back, an empty one keeps what is stored."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from raccordo.web.forms import ServiceModelForm

from .models import TelephonySettings
from .services import SECRET_FIELDS


class TelephonySettingsForm(ServiceModelForm):
    class Meta:
        model = TelephonySettings
        fields = ("ami_enabled", "ami_host", "ami_port", "ami_username", "ami_secret", "ami_context", "ami_channel",
                  "ami_recording_url", "webhook_secret", "mango_secret_key", "mango_secret_salt")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            stored = bool(getattr(self.instance, name, ""))
            self.fields[name] = forms.CharField(
                label=self.fields[name].label, required=False, strip=True,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                help_text=_("set: leave empty to keep it") if stored else _("not set"))

    def service_data(self, exclude: tuple[str, ...] = ()) -> dict:
        data = super().service_data(exclude)
        return {k: v for k, v in data.items() if not (k in SECRET_FIELDS and not v)}


class ExtensionForm(forms.Form):
    number = forms.CharField(label=_("extension"), max_length=20, required=False)
