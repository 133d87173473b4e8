"""Printed documents: the templates they are filled from and the documents generated for clients.

A shipped template is a .docx file inside the package (documents/shipped/); an administrator's own template is
a `DocumentTemplate` row with its uploaded file. Every generated document is a `GeneratedDocument` with its own
number in the yearly series of its kind (`DocumentNumberSeries`), its file under MEDIA_ROOT and the deal or
invoice it was made from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel


class DocumentKind(models.TextChoices):
    OFFER = "offer", _("Commercial offer")
    CONTRACT = "contract", _("Supply contract")
    ACT = "act", _("Act of completed work")
    SHIPPING_NOTE = "shipping_note", _("Shipping note")
    INVOICE = "invoice", _("Invoice")


# Where each kind is made from: an offer and a contract come before any invoice, so from the deal; the others
# describe what was invoiced, so from the invoice.
DEAL_KINDS = (DocumentKind.OFFER, DocumentKind.CONTRACT)
INVOICE_KINDS = (DocumentKind.INVOICE, DocumentKind.ACT, DocumentKind.SHIPPING_NOTE)


class DocumentLanguage(models.TextChoices):
    RU = "ru", _("Russian")
    IT = "it", _("Italian")


class DocumentFormat(models.TextChoices):
    DOCX = "docx", "DOCX"
    PDF = "pdf", "PDF"


def _template_path(instance: DocumentTemplate, filename: str) -> str:
    # The stored name never comes from the uploader (it could hold a path): the record's id names the file.
    return f"documents/templates/{instance.pk}.docx"


def _document_path(instance: GeneratedDocument, filename: str) -> str:
    return f"documents/generated/{instance.date.year}/{instance.pk}.{instance.format}"


class DocumentTemplate(BaseModel):
    """An administrator's own DOCX template for one kind of document and language, checked when uploaded."""

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=DocumentLanguage.choices)
    file = models.FileField(_("file"), upload_to=_template_path, max_length=255)
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("Active templates are offered first when a document is made."))

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "language", "name"]

    def __str__(self) -> str:
        return self.name


class DocumentNumberSeries(models.Model):
    """The last number used per kind of document and year; locked while a number is taken."""

    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="documents_series_unique_per_year")]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"


class GeneratedDocument(BaseModel):
    """A document made for a client from a template: numbered, stored, attached to its deal or invoice."""

    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=50, db_index=True)
    date = models.DateField(_("date"))
    language = models.CharField(_("language"), max_length=2, choices=DocumentLanguage.choices)
    format = models.CharField(_("format"), max_length=4, choices=DocumentFormat.choices)
    counterparty = models.ForeignKey("parties.Counterparty", on_delete=models.PROTECT,
                                     related_name="generated_documents", verbose_name=_("counterparty"))
    deal = models.ForeignKey("sales.Deal", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="generated_documents", verbose_name=_("deal"))
    invoice = models.ForeignKey("sales.Invoice", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="generated_documents", verbose_name=_("invoice"))
    template = models.ForeignKey(DocumentTemplate, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="documents", verbose_name=_("template"))
    # The shipped template's name when no uploaded one was used ("offer.ru"), so the record says what made it.
    template_name = models.CharField(_("template"), max_length=150)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=255)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["deal", "created_at"], name="documents_gd_deal_created"),
                   models.Index(fields=["invoice", "created_at"], name="documents_gd_invoice_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def filename(self) -> str:
        """The name the file is downloaded and e-mailed under: plain ASCII, so every mail client keeps it."""
        return f"{self.kind}-{self.number}.{self.format}".replace("/", "-").replace(" ", "_")
