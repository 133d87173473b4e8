"""Forms of the documents pages: what to make from a deal or an invoice, a template upload, company pictures."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import (
    DEAL_KINDS,
    INVOICE_KINDS,
    DocumentFormat,
    DocumentKind,
    DocumentLanguage,
    DocumentTemplate,
)


class GenerateForm(forms.Form):
    """Make a document: its kind (what the source allows), format, and optionally a template or a language."""

    kind = forms.ChoiceField(label=_("Document"))
    format = forms.ChoiceField(label=_("Format"), choices=DocumentFormat.choices, initial=DocumentFormat.PDF)
    template = forms.ModelChoiceField(label=_("Template"), queryset=DocumentTemplate.objects.none(),
                                      required=False, empty_label=_("Standard"))
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("Client's language")), *DocumentLanguage.choices])

    def __init__(self, *args, source_is_invoice: bool, templates, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = INVOICE_KINDS if source_is_invoice else DEAL_KINDS
        self.fields["kind"].choices = [(k.value, DocumentKind(k).label) for k in kinds]
        self.fields["template"].queryset = templates.filter(kind__in=[k.value for k in kinds], is_active=True)


class TemplateUploadForm(forms.ModelForm):
    """An administrator's template: name, kind, language and the DOCX file (checked by the service)."""

    upload = forms.FileField(label=_("DOCX file"), required=False)

    class Meta:
        model = DocumentTemplate
        fields = ["name", "kind", "language", "is_active"]


class CompanyPicturesForm(forms.Form):
    stamp = forms.FileField(label=_("Stamp (PNG or JPEG)"), required=False)
    signature = forms.FileField(label=_("Signature (PNG or JPEG)"), required=False)
