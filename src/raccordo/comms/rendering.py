"""Filling a message template: the variables a template may use, and the check made when a template is saved.

A template sees plain values only (strings, dates, formatted amounts), built here from the records a message is
about, never a model instance: `{{ client.responsible.password }}` cannot reach anything because `client` is a
dict of the keys listed in VARIABLES. Unknown variables are an error when a template is saved (the check renders
it with a sample of every variable and reports the first name it did not find), and an empty value when it is
rendered later (a field that was empty on this client).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.template import Context, Engine, TemplateSyntaxError
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from raccordo.core.money import format_money

LANGUAGE_BY_COUNTRY = {"RU": "ru", "IT": "it"}
_MISSING = "\x00missing:%s\x00"
_MISSING_RE = re.compile("\x00missing:(.*?)\x00")

# Every variable a template may use, by group: shown on the template page and checked when a template is saved.
VARIABLES: dict[str, dict[str, object]] = {
    "client": {"name": gettext_lazy("short name"), "full_name": gettext_lazy("legal name"), "inn": "INN",
               "kpp": "KPP"},
    "contact": {"name": gettext_lazy("full name"), "first_name": gettext_lazy("first name"),
                "middle_name": gettext_lazy("middle name"), "last_name": gettext_lazy("last name"),
                "position": gettext_lazy("position")},
    "deal": {"title": gettext_lazy("title"), "amount": gettext_lazy("amount with currency"),
             "stage": gettext_lazy("stage")},
    "invoice": {"number": gettext_lazy("number"), "date": gettext_lazy("date"), "due_date": gettext_lazy("due date"),
                "total": gettext_lazy("total with currency"), "outstanding": gettext_lazy("left to pay"),
                "shipped_on": gettext_lazy("shipped on"), "shipment_number": gettext_lazy("shipping document")},
    "manager": {"name": gettext_lazy("full name"), "email": gettext_lazy("e-mail"), "phone": gettext_lazy("phone")},
    "company": {"name": gettext_lazy("our company's name")},
}


def _engine(escape_html: bool) -> Engine:
    # Only the default filters and tags; no loaders, so `{% include %}` and `{% extends %}` find nothing.
    return Engine(debug=False, autoescape=escape_html, string_if_invalid=_MISSING, libraries={}, loaders=[])


def client_language(counterparty) -> str:
    """The language a client is written to in: its country's (Russian, Italian), English otherwise."""
    return LANGUAGE_BY_COUNTRY.get(((counterparty.country if counterparty else "") or "").upper(), "en")


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _person(user) -> dict:
    if user is None:
        return {"name": "", "email": "", "phone": ""}
    return {"name": user.get_full_name() or user.get_username(), "email": user.email or "",
            "phone": getattr(user, "phone", "") or ""}


def template_context(*, counterparty=None, contact=None, deal=None, invoice=None, user=None, language: str = "en"
                     ) -> dict:
    """The variables of a message about these records, as plain values formatted for `language`."""
    counterparty = counterparty or getattr(deal, "counterparty", None) or getattr(invoice, "counterparty", None)
    deal = deal or getattr(invoice, "deal", None)
    with translation.override(language):
        ctx: dict = {group: {name: "" for name in names} for group, names in VARIABLES.items()}
        if counterparty is not None:
            ctx["client"] = {"name": counterparty.name, "full_name": counterparty.full_name or counterparty.name,
                             "inn": counterparty.inn or "", "kpp": counterparty.kpp or ""}
            ctx["manager"] = _person(counterparty.responsible)
        if contact is not None:
            ctx["contact"] = {"name": str(contact), "first_name": contact.first_name,
                              "middle_name": contact.middle_name, "last_name": contact.last_name,
                              "position": contact.position}
        if deal is not None:
            ctx["deal"] = {"title": deal.title, "amount": format_money(deal.amount, deal.currency, language),
                           "stage": deal.stage.name if deal.stage_id else ""}
        if invoice is not None:
            ctx["invoice"] = {
                "number": invoice.number, "date": _date(invoice.date), "due_date": _date(invoice.due_date),
                "total": format_money(invoice.total, invoice.currency, language),
                "outstanding": format_money(invoice.outstanding, invoice.currency, language),
                "shipped_on": _date(invoice.shipped_on), "shipment_number": invoice.shipment_number}
            ctx["company"] = {"name": invoice.own_company.name}
        if user is not None:
            ctx["manager"] = _person(user)
    return ctx


@dataclass(frozen=True)
class Rendered:
    """A filled template: what goes out."""

    subject: str
    body: str
    language: str


def render(template, context: dict, *, language: str = "en") -> Rendered:
    """Fill `template` (a MessageTemplate) with `context` (template_context); unknown names render empty."""
    with translation.override(language):
        subject = _render_text(template.subject, context, escape_html=False)
        body = _render_text(template.body, context, escape_html=False)
    return Rendered(subject=" ".join(subject.split()), body=body.strip(), language=language)


def _render_text(text: str, context: dict, *, escape_html: bool) -> str:
    if not text:
        return ""
    result = _engine(escape_html).from_string(text).render(Context(context))
    return _MISSING_RE.sub("", result)


def template_errors(subject: str, body: str) -> list[str]:
    """Why a template cannot be saved, in words naming the failing tag or variable (empty: it is fine)."""
    sample = {group: {name: f"[{group}.{name}]" for name in names} for group, names in VARIABLES.items()}
    errors = []
    for label, text in ((_("Subject"), subject), (_("Text"), body)):
        if not text:
            continue
        try:
            result = _engine(False).from_string(text).render(Context(sample))
        except TemplateSyntaxError as exc:
            errors.append(_("%(part)s: %(error)s") % {"part": label, "error": exc})
            continue
        for name in dict.fromkeys(_MISSING_RE.findall(result)):
            errors.append(_("%(part)s: unknown variable “%(name)s”.") % {"part": label, "name": name or "?"})
    if any("“" in e for e in errors):
        errors.append(_("Known variables: %(known)s.") % {
            "known": ", ".join(f"{g}.{n}" for g, names in VARIABLES.items() for n in names)})
    return errors
