"""Duplicates of a batch of rows among the existing records: INN+KPP (parties.duplicates), e-mail, phone, article."""

from __future__ import annotations

from typing import Any

from raccordo.access import policy
from raccordo.catalog.models import Product
from raccordo.parties.duplicates import Match, tax_id_matches_many
from raccordo.parties.models import Email, Phone

from .columns import (
    CONTACTS,
    COUNTERPARTIES,
    PRODUCTS,
)
from .rows import Parsed

# --- duplicates --------------------------------------------------------------------------------------------------


def duplicate_keys(kind: str, p: Parsed) -> list[tuple[str, str, str]]:
    """(key kind, key, field) a row is recognised by: INN+KPP, e-mail, phone in E.164, article."""
    keys: list[tuple[str, str, str]] = []
    if kind == COUNTERPARTIES and p.data.get("inn"):
        keys.append(("inn", f"{p.data['inn']}/{p.data.get('kpp', '')}", "inn"))
    if kind == PRODUCTS and p.data.get("article"):
        keys.append(("article", p.data["article"].lower(), "article"))
    keys += [("email", e, "email") for e in p.emails]
    keys += [("phone", n, "phone") for n in p.phones]
    return keys


def existing_records(kind: str, batch: list[Parsed], user=None) -> dict[tuple[str, str], Any]:
    """The existing records that rows of a batch duplicate, by key: one query per key kind.

    INN (+KPP) goes through the one duplicate check of counterparties (`parties.duplicates`, as the form and
    the API): a match the importer sees is the record itself; one they do not see is its `Match`, which the
    import names only as "a counterparty you cannot see, responsible: <manager>" and never merges into (the
    form says the same, and offers to ask that manager for it). E-mails, phones and articles are looked for
    among the records `user` sees only (user=None: the system, all of them): a phone or an e-mail is no
    proof of the same client, so a match the importer may not see is no match (report L1).
    """
    def scoped(qs):
        return qs if user is None else policy.visible(qs, user)

    found: dict[tuple[str, str], Any] = {}
    tax_ids = {(p.data["inn"], p.data.get("kpp", "")) for p in batch if kind == COUNTERPARTIES and p.data.get("inn")}
    for (inn, kpp), matches in tax_id_matches_many(user=user, keys=tax_ids).items():
        first = matches[0]   # the ones the user sees come first
        found[("inn", f"{inn}/{kpp}")] = first.counterparty if first.visible else first
    articles = {p.data["article"] for p in batch if kind == PRODUCTS and p.data.get("article")}
    if articles:
        for obj in scoped(Product.objects.filter(article__in=articles)):
            found.setdefault(("article", obj.article.lower()), obj)
    emails = {e for p in batch for e in p.emails}
    phones = {n for p in batch for n in p.phones}
    if kind in (COUNTERPARTIES, CONTACTS):
        with_contact = kind == CONTACTS
        owner = "contact" if with_contact else "counterparty"
        if emails:
            for point in scoped(Email.objects.filter(address__in=emails, contact__isnull=not with_contact)
                                .select_related(owner)):
                found.setdefault(("email", point.address), getattr(point, owner))
        if phones:
            for point in scoped(Phone.objects.filter(number__in=phones, contact__isnull=not with_contact)
                                .select_related(owner)):
                found.setdefault(("phone", point.number), getattr(point, owner))
    return found



def hidden(obj: Any) -> bool:
    """Is this duplicate a counterparty the importer may not see (a `Match`, never the record itself)?"""
    return isinstance(obj, Match)
