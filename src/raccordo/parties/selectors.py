"""Read queries for counterparties and contact persons, always through the access policy."""

from __future__ import annotations

from django.db.models import QuerySet

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound

from .filters import CounterpartyFilter
from .models import ContactPerson, Counterparty, Email, OwnCompany, Tag
from .search import contacts_matching, counterparties_matching


def counterparty_list(*, user, search: str = "", filters=None) -> QuerySet[Counterparty]:
    """Counterparties `user` may see, searched and narrowed by `filters` (parties.filters.CounterpartyFilter)."""
    qs = visible(Counterparty.objects.select_related("responsible"), user)
    if search:
        # Name, INN, phone in any format, e-mail: see parties.search.
        qs = counterparties_matching(qs, search)
    if filters is not None:
        qs = CounterpartyFilter(filters, qs, user=user).qs
    return qs


def counterparty_export(*, user, search: str = "", filters=None) -> QuerySet[Counterparty]:
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
        qs = contacts_matching(qs, search)
    return qs


def contact_get(*, user, pk) -> ContactPerson:
    """One contact person visible to `user`, or NotFound."""
    obj = contact_list(user=user).filter(pk=pk).first()
    if obj is None:
        raise NotFound("Contact person not found.")
    return obj


def own_company_list(*, user) -> QuerySet[OwnCompany]:
    """The own companies `user` may see, the default one first, then by name."""
    return visible(OwnCompany.objects.all(), user).order_by("-is_default", "name")


def default_own_company(*, user=None) -> OwnCompany | None:
    """The company documents are issued from unless one is chosen: the one marked default, else the first by name.

    With `user`, only among the companies they may see; without (an import, the API's fallback), among all.
    """
    qs = OwnCompany.objects.order_by("-is_default", "name") if user is None else own_company_list(user=user)
    return qs.first()


def tag_list(*, user) -> QuerySet[Tag]:
    """The counterparty tags `user` may see."""
    return visible(Tag.objects.all(), user)


def counterparty_email_addresses(*, user, counterparty: Counterparty, limit: int = 3) -> list[str]:
    """The counterparty's e-mail addresses `user` may see, the primary one first, at most `limit`, no repeats."""
    addresses = (visible(Email.objects.filter(counterparty=counterparty), user)
                 .order_by("-is_primary", "address").values_list("address", flat=True)[:limit])
    return list(dict.fromkeys(addresses))


# What removing a record takes with it, counted for the confirmation that asks first. Counted on the
# records themselves, not narrowed by the reader's access: only someone who may delete the counterparty asks,
# every row counted hangs off that counterparty (the policy gives them all with it), and the confirmation must
# say the truth about what goes, not the part of it the reader happens to see.
COUNTERPARTY_DOCUMENTS = ("deals", "contracts", "invoices", "payments", "accounting_shipments")
COUNTERPARTY_DEPENDANTS = ("contacts", "phones", "emails", "addresses", "bank_accounts", "interactions", "tasks",
                           "reminders", "complaints")


def counterparty_removal(*, counterparty: Counterparty) -> dict:
    """What deleting `counterparty` means: `archive` (it has deals, contracts, invoices, payments or shipments,
    which keep it: it is archived instead), the counts of those `documents`, and the `dependants` deleted
    with it (contacts, phones, e-mails, addresses, bank accounts, calls and notes, tasks, reminders, complaints).
    Only non-zero counts are listed."""
    documents = {name: getattr(counterparty, name).count() for name in COUNTERPARTY_DOCUMENTS}
    dependants = {name: getattr(counterparty, name).count() for name in COUNTERPARTY_DEPENDANTS}
    return {"archive": any(documents.values()), "documents": {k: v for k, v in documents.items() if v},
            "dependants": {k: v for k, v in dependants.items() if v}}


def contact_removal(*, contact: ContactPerson) -> dict:
    """What deleting a contact person means: their phones and e-mails go with them; the deals and the calls and
    notes that name them stay, without the name."""
    counts = {"phones": contact.phones.count(), "emails": contact.emails.count(),
              "deals": contact.deals.count(), "interactions": contact.interactions.count()}
    return {k: v for k, v in counts.items() if v}
