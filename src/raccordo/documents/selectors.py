"""Reading generated documents and templates, always through the access policy."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound
from raccordo.core.ids import parse_uuid

from .models import DocumentKind, DocumentLanguage, DocumentTemplate, GeneratedDocument
from .rendering import SHIPPED_DIR


def document_list(*, user, deal=None, invoice=None) -> QuerySet[GeneratedDocument]:
    """The generated documents `user` may see, newest first; of one deal or invoice when given."""
    qs = visible(GeneratedDocument.objects.select_related("author", "template"), user)
    if deal is not None:
        qs = qs.filter(deal=deal)
    if invoice is not None:
        qs = qs.filter(invoice=invoice)
    return qs.order_by("-created_at")


def document_get(*, user, pk) -> GeneratedDocument:
    """One generated document, or NotFound (also when `user` may not see it)."""
    key = parse_uuid(pk)
    doc = document_list(user=user).filter(pk=key).first() if key else None
    if doc is None:
        raise NotFound("Document not found.")
    return doc


def template_list(*, user, kind: str | None = None, active_only: bool = False) -> QuerySet[DocumentTemplate]:
    """The uploaded templates `user` may see (of one kind when given)."""
    qs = visible(DocumentTemplate.objects.all(), user)
    if kind:
        qs = qs.filter(kind=kind)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("kind", "language", "name")


def template_get(*, user, pk) -> DocumentTemplate:
    key = parse_uuid(pk)
    template = template_list(user=user).filter(pk=key).first() if key else None
    if template is None:
        raise NotFound("Template not found.")
    return template


@dataclass(frozen=True)
class ShippedTemplate:
    """A template that comes with Raccordo (documents/shipped/<kind>.<language>.docx)."""

    kind: str
    language: str

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.language}"

    @property
    def path(self):
        return SHIPPED_DIR / f"{self.name}.docx"

    @property
    def label(self) -> str:
        return f"{DocumentKind(self.kind).label} ({DocumentLanguage(self.language).label})"


def shipped_templates(kind: str | None = None) -> list[ShippedTemplate]:
    """The shipped templates, of one kind when given, in the order of the kinds and languages."""
    return [ShippedTemplate(k, lang) for k in DocumentKind.values for lang in DocumentLanguage.values
            if (kind is None or k == kind) and (SHIPPED_DIR / f"{k}.{lang}.docx").exists()]
