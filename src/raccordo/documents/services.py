"""Making documents from templates, uploading templates, and e-mailing a document to its client.

Every write goes through `access.records` (validated, checked, journaled). A document takes the next number of
its kind's yearly series inside the same transaction that stores it, so a failed rendering uses no number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date as Date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from raccordo.access import policy
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.activities.services import interaction_log
from raccordo.core.errors import ApplicationError, PermissionDenied
from raccordo.core.outgoing_mail import mail_failure_line, mail_failure_text
from raccordo.sales.models import Deal, Invoice

from .checking import MAX_SIZE, TemplateRefused, check_template
from .context import build_context
from .fatturapa import fatturapa_filename, fatturapa_xml
from .models import (
    DEAL_KINDS,
    INVOICE_KINDS,
    DocumentFormat,
    DocumentKind,
    DocumentNumberSeries,
    DocumentTemplate,
    GeneratedDocument,
)
from .rendering import docx_to_pdf, render_docx
from .selectors import ShippedTemplate
from .sources import deal_source, invoice_source, sample_source, source_language

log = logging.getLogger(__name__)

NUMBER_PREFIX = {DocumentKind.OFFER: "OF", DocumentKind.CONTRACT: "CT", DocumentKind.ACT: "AC",
                 DocumentKind.SHIPPING_NOTE: "DN", DocumentKind.INVOICE: "IN"}
# An upload is read at most one byte past the limit, so an oversized file is refused without reading all of it.
MAX_TEMPLATE_READ = MAX_SIZE + 1
DOCUMENT_FIELDS = ("kind", "number", "date", "language", "format", "counterparty", "deal", "invoice", "template",
                   "template_name", "file", "total", "currency", "author")
TEMPLATE_FIELDS = ("name", "kind", "language", "is_active")


@dataclass(frozen=True)
class DocumentRequest:
    """What a manager asks for: a kind of document from a deal or an invoice, in a format and language."""

    kind: str
    deal: Deal | None = None
    invoice: Invoice | None = None
    format: str = DocumentFormat.DOCX
    language: str = ""                          # empty: the client's language (sources.source_language)
    template: DocumentTemplate | None = None    # None: an active uploaded template of the kind, else the shipped one
    company: Any = None                         # a deal's own company; None: sources.deal_company


def _next_number(kind: str, year: int) -> str:
    series, _created = DocumentNumberSeries.objects.get_or_create(kind=kind, year=year)
    # Lock the series row so two people making documents at once never get the same number.
    DocumentNumberSeries.objects.filter(pk=series.pk).update(last_number=F("last_number") + 1)
    number = DocumentNumberSeries.objects.select_for_update().get(pk=series.pk).last_number
    return f"{NUMBER_PREFIX[DocumentKind(kind)]}-{year}-{number:05d}"


def _check_request(request: DocumentRequest) -> Deal | Invoice:
    if request.kind not in DocumentKind.values or request.format not in DocumentFormat.values:
        raise ValidationError({"kind": [_("Choose a kind of document and a format.")]})
    source = request.invoice if request.kind in INVOICE_KINDS else request.deal
    if source is None:
        where = _("an invoice") if request.kind in INVOICE_KINDS else _("a deal")
        raise ValidationError({"kind": [_("A %(kind)s is made from %(where)s.")
                                        % {"kind": DocumentKind(request.kind).label, "where": where}]})
    if request.template is not None and request.template.kind != request.kind:
        raise ValidationError({"template": [_("This template is for another kind of document.")]})
    return source


def _template_bytes(request: DocumentRequest, language: str) -> tuple[bytes, DocumentTemplate | None, str]:
    """The template to fill: the one asked for, else an active uploaded one of the kind and language, else shipped."""
    template = request.template or (DocumentTemplate.objects.filter(kind=request.kind, language=language,
                                                                    is_active=True).order_by("name").first())
    if template is not None:
        with template.file.open("rb") as fh:
            return fh.read(), template, template.name
    shipped = ShippedTemplate(request.kind, language)
    return shipped.path.read_bytes(), None, shipped.name


def _company_images(company) -> dict[str, bytes]:
    images = {}
    for name in ("stamp", "signature"):
        field = getattr(company, name, None)
        if field:
            with field.open("rb") as fh:
                images[name] = fh.read()
    return images


@transaction.atomic
def document_generate(*, user, request: DocumentRequest, day: Date | None = None) -> GeneratedDocument:
    """Make a numbered document from a deal or an invoice, store it and attach it to its source (journaled)."""
    source_record = _check_request(request)
    if not policy.may_generate_document(user, source_record):
        raise PermissionDenied(_("You may not make documents for this record."))
    source = invoice_source(source_record) if isinstance(source_record, Invoice) else deal_source(
        source_record, user=user, company=request.company)
    if source.company is None:
        raise ApplicationError(_("Add your own company in Settings first: documents print its requisites."),
                               code="documents.no_company")
    language = request.language or (request.template.language if request.template else source_language(source))
    data, template, template_name = _template_bytes(request, language)
    day = day or timezone.localdate()
    number = _next_number(request.kind, day.year)
    context = build_context(source, number=number, day=day, language=language)
    content = render_docx(data, context, images=_company_images(source.company))
    if request.format == DocumentFormat.PDF:
        content = docx_to_pdf(content)
    return record_create(GeneratedDocument, user=user, fields=DOCUMENT_FIELDS, data={
        "kind": request.kind, "number": number, "date": day, "language": language,
        "format": request.format, "counterparty": source.client, "deal": source.deal, "invoice": source.invoice,
        "template": template, "template_name": template_name, "total": source.total, "currency": source.currency,
        "author": user, "file": ContentFile(content, name=f"{number}.{request.format}")})


def document_send(*, user, document: GeneratedDocument, to: list[str], subject: str = "",
                  body: str = "") -> Any:
    """E-mail a generated document to addresses on its client's card, and log it on the client's timeline.

    As with an invoice (`sales.services.invoice_send`), the message goes out first and is logged once the SMTP
    server took it, so a failed send logs nothing and the person clicking "Send" learns it at once.
    """
    policy.require(user, "view", document)
    recipients = [a.strip() for a in to if a and a.strip()]
    if not recipients:
        raise ValidationError({"to": [_("Give at least one e-mail address.")]})
    for address in recipients:
        validate_email(address)
    refused = policy.document_send_refused(user, document, recipients)
    if refused:
        raise ValidationError({"to": refused})
    subject = subject or f"{document.get_kind_display()} {document.number}"
    message = EmailMessage(subject=subject, body=body, to=recipients,
                           reply_to=[user.email] if getattr(user, "email", "") else None)
    with document.file.open("rb") as fh:
        mime = "application/pdf" if document.format == DocumentFormat.PDF else (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        message.attach(document.filename, fh.read(), mime)
    try:
        message.send(fail_silently=False)
    except OSError as exc:  # SMTP errors are OSError subclasses, as are refused connections
        log.warning("document %s not sent: %s", document.pk, mail_failure_line(exc))
        raise ApplicationError(mail_failure_text(exc), code="documents.mail_failed",
                               extra={"error": type(exc).__name__}) from exc
    return interaction_log(user=user, data={
        "kind": "email", "direction": "out", "counterparty": document.counterparty, "deal": document.deal,
        "subject": subject, "outcome": ", ".join(recipients),
        "body": _("%(document)s sent to %(to)s.") % {"document": document, "to": ", ".join(recipients)}})


def _require_templates(user) -> None:
    if not policy.may_manage_templates(user):
        raise PermissionDenied(_("Only administrators manage document templates."))


@transaction.atomic
def template_upload(*, user, data: dict[str, Any], content: bytes) -> DocumentTemplate:
    """Store an administrator's template after it passed the check (`checking.check_template`).

    A template that fails is refused with the failing tag named, and nothing is stored.
    """
    _require_templates(user)
    language = data.get("language") or "ru"
    check_template(content, build_context(sample_source(), number="XX-2026-00001", day=timezone.localdate(),
                                          language=language if language in ("ru", "it") else "ru"))
    return record_create(DocumentTemplate, user=user, fields=(*TEMPLATE_FIELDS, "file"),
                         data={**data, "file": ContentFile(content, name="template.docx")})


@transaction.atomic
def template_update(*, user, template: DocumentTemplate, data: dict[str, Any],
                    content: bytes | None = None) -> DocumentTemplate:
    """Rename, switch on or off, or replace the file of an uploaded template (a new file is checked first)."""
    _require_templates(user)
    if content is not None:
        check_template(content, build_context(sample_source(), number="XX-2026-00001", day=timezone.localdate(),
                                              language=data.get("language") or template.language))
        data = {**data, "file": ContentFile(content, name="template.docx")}
    return record_update(template, user=user, data=data, fields=(*TEMPLATE_FIELDS, "file"))


@transaction.atomic
def template_delete(*, user, template: DocumentTemplate) -> None:
    """Remove an uploaded template; documents made with it keep their files and the template's name."""
    _require_templates(user)
    record_delete(template, user=user)


def invoice_fatturapa(*, user, invoice: Invoice) -> tuple[str, bytes]:
    """The invoice as a FatturaPA file (name, bytes) for download; never transmitted. Reading needs `view`."""
    policy.require(user, "view", invoice)
    return fatturapa_filename(invoice), fatturapa_xml(invoice)


__all__ = ["DEAL_KINDS", "INVOICE_KINDS", "DocumentRequest", "TemplateRefused", "document_generate",
           "document_send", "invoice_fatturapa", "template_delete", "template_update", "template_upload"]
