"""Read queries for counterparties and contact persons, always through the access policy."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound
from raccordo.core.phones import phone_search_key

from .models import ContactPerson, Counterparty


def counterparty_search_q(term: str) -> Q:
    """Match a counterparty by name, INN, VAT number, phone (any format) or e-mail."""
    term = term.strip()
    q = Q(name__icontains=term) | Q(full_name__icontains=term)
    digits = "".join(ch for ch in term if ch.isdigit())
    if digits and len(digits) >= 3:
        q |= Q(inn__startswith=digits) | Q(vat_number__icontains=digits)
    phone = phone_search_key(term)
    if phone:
        q |= Q(phones__number=phone)
    if "@" in term:
        q |= Q(emails__address__iexact=term.lower())
    return q


def counterparty_list(*, user, search: str = "", filters: dict | None = None) -> QuerySet[Counterparty]:
    """Counterparties `user` may see, optionally searched and filtered."""
    qs = visible(Counterparty.objects.select_related("responsible"), user)
    if search:
        # Phone/e-mail lookups join to-many tables: filter the ids to keep one row per counterparty.
        qs = qs.filter(pk__in=Counterparty.objects.filter(counterparty_search_q(search)).values("pk"))
    for key, value in (filters or {}).items():
        if value not in (None, ""):
            qs = qs.filter(**{key: value})
    return qs


def counterparty_export(*, user, search: str = "", filters: dict | None = None) -> QuerySet[Counterparty]:
    """Counterparties `user` may export (a role may see a list without being allowed to take it away)."""
    return visible(counterparty_list(user=user, search=search, filters=filters), user, "export")


def counterparty_get(*, user, pk) -> Counterparty:
    """One counterparty, or NotFound when it does not exist or is not visible to `user`."""
    obj = counterparty_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Counterparty not found.")
    return obj


def contact_list(*, user, search: str = "", counterparty: Counterparty | None = None) -> QuerySet[ContactPerson]:
    """Contact persons `user` may see."""
    qs = visible(ContactPerson.objects.select_related("counterparty"), user)
    if counterparty is not None:
        qs = qs.filter(counterparty=counterparty)
    if search:
        term = search.strip()
        q = (Q(last_name__icontains=term) | Q(first_name__icontains=term) | Q(position__icontains=term)
             | Q(counterparty__name__icontains=term))
        phone = phone_search_key(term)
        if phone:
            q |= Q(phones__number=phone)
        if "@" in term:
            q |= Q(emails__address__iexact=term.lower())
        qs = qs.filter(pk__in=ContactPerson.objects.filter(q).values("pk"))
    return qs


def contact_get(*, user, pk) -> ContactPerson:
    """One contact person visible to `user`, or NotFound."""
    obj = contact_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Contact person not found.")
    return obj
