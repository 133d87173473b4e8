"""Duplicates of a batch of rows among the records the person sees: INN+KPP, e-mail, phone, article."""

from __future__ import annotations

from typing import Any

from raccordo.access import policy
from raccordo.catalog.models import Product
from raccordo.parties.models import Counterparty, Email, Phone

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

    Only among the records `user` sees (user=None: the system, all of them). A match the importer may not
    see is no match: the row reads exactly as a new record would (created, or "would be created" in a dry
    run), so an import never tells whether an INN, phone or e-mail belongs to someone else's or a VIP
    client (report L1). The price is a second record for that client, made by the importer and theirs,
    which is what typing it in by hand would give too; reporting "exists, not visible to you" was not
    chosen, as it is the very answer the probe is after.
    """
    def scoped(qs):
        return qs if user is None else policy.visible(qs, user)

    found: dict[tuple[str, str], Any] = {}
    inns = {p.data["inn"] for p in batch if kind == COUNTERPARTIES and p.data.get("inn")}
    if inns:
        for obj in scoped(Counterparty.objects.filter(inn__in=inns)):
            found.setdefault(("inn", f"{obj.inn}/{obj.kpp}"), obj)
            found.setdefault(("inn", f"{obj.inn}/"), obj)   # a row without KPP is the same INN
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

