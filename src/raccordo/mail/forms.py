"""The mailbox form: what a user fills in to connect their mailbox (administrators: a company mailbox).

Passwords are never shown back: the field stays empty, says whether one is stored, and an empty input keeps it.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from raccordo.access.models import Department
from raccordo.web.forms import ServiceModelForm

from .models import Mailbox


class MailboxForm(ServiceModelForm):
    """IMAP and SMTP settings of a mailbox, the first import's date and what is imported."""

    imap_password = forms.CharField(label=_("IMAP password"), required=False, strip=False,
                                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                                    help_text=_("The mailbox password or an app password."))
    smtp_password = forms.CharField(label=_("SMTP password"), required=False, strip=False,
                                    widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                                    help_text=_("Empty: the IMAP password."))
    sync_since = forms.DateField(label=_("Import messages since"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                 help_text=_("Older messages stay on the server. Empty: the whole mailbox."))
    extra_model_fields = ("imap_password", "smtp_password", "shared_with")

    class Meta:
        model = Mailbox
        fields = ["name", "address", "imap_host", "imap_port", "imap_security", "imap_login", "smtp_host",
                  "smtp_port", "smtp_security", "smtp_login", "sync_since", "import_all", "is_active"]

    def __init__(self, *args, company: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance if self.is_edit else None
        for name in ("imap_password", "smtp_password"):
            if stored is not None and getattr(stored, name):
                self.fields[name].help_text = _("Set (not shown). Leave empty to keep it.")
        if company:
            self.fields["shared_with"] = forms.ModelChoiceField(
                label=_("Shared with department"), queryset=Department.objects.order_by("name"), required=False,
                initial=stored.shared_with_id if stored is not None else None,
                help_text=_("Its members, and those of the departments below it, read this mailbox."))
            if stored is None:
                self.fields["import_all"].initial = True  # info@, sales@: all of it is the company's business
        else:
            self.fields["import_all"].help_text = _(
                "Off (recommended for a personal mailbox): only messages to or from CRM contacts are imported.")

    def clean_imap_port(self):
        return _port(self.cleaned_data.get("imap_port"))

    def clean_smtp_port(self):
        return _port(self.cleaned_data.get("smtp_port"))


def _port(value):
    if value is not None and not 1 <= value <= 65535:
        raise forms.ValidationError(_("A port is a number from 1 to 65535."))
    return value
