"""Printed documents: who may make a document from a deal or an invoice, who uploads templates, and where a
generated document may be e-mailed."""

from __future__ import annotations

from django.utils.translation import gettext as _

from raccordo.activities.models import Interaction
from raccordo.documents.models import GeneratedDocument

from .people import may_configure
from .rows import allows, can
from .sharing import strangers_refused


def may_generate_document(user, source) -> bool:
    """May `user` make a document (offer, contract, act...) from `source`, a deal or an invoice?

    Making one changes the sale's paperwork, so it needs `change` on the source, and the stored document is
    governed by the invoices permission (rules.py), so it needs `add` on generated documents too.
    """
    return can(user, "change", source) and allows(user, "add", GeneratedDocument)


def may_manage_templates(user) -> bool:
    """Uploading, replacing and removing document templates is an administrator's setting."""
    return may_configure(user)


def document_send_refused(user, document, recipients) -> list[str]:
    """Why `user` may not e-mail `document` to `recipients`, as messages (empty: allowed).

    The same rule as an invoice's (`invoice_send_refused`): the right to change the document and to log a
    contact, and only addresses on the client's card, so the mail server is nobody's relay.
    """
    if not can(user, "change", document) or not allows(user, "add", Interaction):
        return [_("You may not send this document: it needs the right to change it and to log contacts.")]
    return strangers_refused(document.counterparty_id, recipients)
