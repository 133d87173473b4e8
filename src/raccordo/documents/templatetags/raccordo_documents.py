"""The documents panel on a deal's and an invoice's page: make a document, and the documents made so far."""

from __future__ import annotations

from django import template

from raccordo.access.policy import may_generate_document
from raccordo.parties.selectors import counterparty_email_addresses

from ..forms import GenerateForm
from ..selectors import document_list, template_list

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def documents_panel(context, source):
    """The panel for `source`, a deal or an invoice, as the reader may see and use it."""
    request = context["request"]
    user = request.user
    is_invoice = source._meta.model_name == "invoice"
    docs = document_list(user=user, invoice=source) if is_invoice else document_list(user=user, deal=source)
    may = may_generate_document(user, source)
    return {
        "source": source, "is_invoice": is_invoice, "documents": list(docs[:20]), "may_generate": may,
        "form": GenerateForm(source_is_invoice=is_invoice, templates=template_list(user=user)) if may else None,
        "to": ", ".join(counterparty_email_addresses(user=user, counterparty=source.counterparty)),
        "fatturapa": is_invoice and (source.own_company.country or "").upper() == "IT",
        "request": request, "csrf_token": context.get("csrf_token")}
