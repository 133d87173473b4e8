"""The e-mail composer's form: from which mailbox, to whom (the card's addresses, others typed), the text, files."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from raccordo.mail.compose import email_templates

# Files a manager attaches in one go (the service caps their total size).
MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented way); the list may be empty."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ComposeForm(forms.Form):
    """A message to a client, or a reply; `card` are the (address, label) choices of the client's card."""

    mailbox = forms.ChoiceField(label=_("From mailbox"))
    to_card = forms.MultipleChoiceField(label=_("To"), required=False,
                                        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    to = forms.CharField(label=_("Other addresses"), required=False, max_length=2000,
                         help_text=_("Separate several addresses with commas."))
    cc = forms.CharField(label=_("Cc"), required=False, max_length=2000)
    template = forms.ChoiceField(label=_("Template"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 12}))
    attach_invoice = forms.BooleanField(label=_("Attach the invoice as PDF"), required=False)
    files = MultipleFileField(label=_("Attach files"), required=False)
    confirm_unknown = forms.BooleanField(label=_("Yes, send to these addresses"), required=False)

    def __init__(self, *args, mailboxes, card=(), reply: bool = False, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mailboxes = {str(box.pk): box for box in mailboxes}
        self.fields["mailbox"].choices = [(pk, str(box)) for pk, box in self.mailboxes.items()]
        self.fields["to_card"].choices = [(a.address, f"{a.owner} <{a.address}>") for a in card]
        self.fields["template"].choices = [("", _("— none —"))] + [
            (str(t.pk), f"{t.name} ({t.language})" if t.language else t.name) for t in email_templates()]
        if reply:
            self.fields["to"].label = _("To")
            del self.fields["to_card"], self.fields["template"]
        if invoice is None:
            del self.fields["attach_invoice"]
        if not card and not reply:
            del self.fields["to_card"]
            self.fields["to"].label = _("To")

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(count)s files per message.") % {"count": MAX_FILES})
        return files

    def recipients(self) -> list[str]:
        """Everyone in To: the ticked card addresses, then the typed ones."""
        typed = (self.cleaned_data.get("to") or "").replace(";", ",").split(",")
        return list(self.cleaned_data.get("to_card") or []) + [a.strip() for a in typed if a.strip()]

    def attachments(self) -> list[tuple[str, bytes, str]]:
        return [(f.name, f.read(), f.content_type or "application/octet-stream")
                for f in self.cleaned_data.get("files") or []]
