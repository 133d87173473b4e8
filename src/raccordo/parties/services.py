"""Write services for counterparties, contact persons, their phones, e-mails, addresses and bank accounts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from raccordo.access import policy
from raccordo.access.policy import allows, can, can_request_access
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.activities.models import Task, TaskStatus
from raccordo.activities.services import task_create
from raccordo.core.errors import Conflict
from raccordo.core.journal import journal_record, snapshot
from raccordo.core.models import Operation

from . import search
from .duplicates import duplicate_check, tax_id_changes, tax_id_matches
from .models import Address, BankAccount, ContactPerson, Counterparty, Email, OwnCompany, Phone, Tag
from .selectors import COUNTERPARTY_DEPENDANTS, counterparty_removal

# The fields each service lets its callers set; anything else is refused by record_create/record_update.
COUNTERPARTY_FIELDS = ("inn", "kpp", "ogrn", "vat_number", "tax_code", "kind", "name", "full_name", "country",
                       "responsible", "is_vip", "is_active", "segment", "price_type", "website", "notes",
                       "sdi_code", "pec")
CONTACT_FIELDS = ("counterparty", "last_name", "first_name", "middle_name", "position", "role", "birthday",
                  "is_active", "notes")
PHONE_FIELDS = ("counterparty", "contact", "number", "kind", "extension", "is_primary")
EMAIL_FIELDS = ("counterparty", "contact", "address", "is_primary")
ADDRESS_FIELDS = ("counterparty", "kind", "text", "postcode", "city", "country")
BANK_ACCOUNT_FIELDS = ("counterparty", "own_company", "bank_name", "bic", "account_number", "correspondent_account",
                       "iban", "currency", "is_primary")
OWN_COMPANY_FIELDS = ("inn", "kpp", "ogrn", "vat_number", "tax_code", "name", "full_name", "country", "address",
                      "director", "chief_accountant", "invoice_prefix", "currency", "is_default",
                      "vat_rate", "stamp", "signature")


@transaction.atomic
def counterparty_create(*, user, data: dict[str, Any], tags: list[Tag] | None = None,
                        phones: list[str] | None = None, emails: list[str] | None = None,
                        duplicate_confirmed: bool = False) -> Counterparty:
    """Create a counterparty; a manager becomes its responsible unless one is given.

    Another counterparty with the same INN (+KPP) refuses it (parties.duplicates.DuplicateCounterparty, with
    what the user may be told of the match) unless settings.DUPLICATE_CHECK is "warn" and the user saw the
    match and confirmed (`duplicate_confirmed`).
    """
    data = dict(data)
    _check_duplicate(user, None, data, duplicate_confirmed)
    if user is not None and not data.get("responsible") and not data.get("responsible_id"):
        data["responsible"] = user
    # The search documents are written once, with the phones and e-mails, not once per row.
    with search.deferred():
        counterparty = record_create(Counterparty, user=user, data=data, fields=COUNTERPARTY_FIELDS)
        if tags:
            counterparty.tags.set(tags)
        for number in phones or []:
            phone_add(user=user, counterparty=counterparty, number=number)
        for address in emails or []:
            email_add(user=user, counterparty=counterparty, address=address)
    return counterparty


def _check_duplicate(user, counterparty: Counterparty | None, data: dict[str, Any], confirmed: bool) -> None:
    # Someone who may not write this at all is refused by record_create/update, not told about a duplicate.
    if user is not None and not (can(user, "change", counterparty) if counterparty is not None
                                 else allows(user, "add", Counterparty)):
        return
    keys = tax_id_changes(counterparty, data)
    if keys is not None:
        duplicate_check(user=user, inn=keys[0], kpp=keys[1], counterparty=counterparty, confirmed=confirmed)


def counterparty_update(*, user, counterparty: Counterparty, data: dict[str, Any],
                        tags: list[Tag] | None = None, duplicate_confirmed: bool = False) -> Counterparty:
    """Change a counterparty's fields (and tags, when given); a new INN or KPP is checked for duplicates as
    `counterparty_create` checks it (the record itself is not its own duplicate)."""
    _check_duplicate(user, counterparty, data, duplicate_confirmed)
    with transaction.atomic():
        counterparty = record_update(counterparty, user=user, data=data, fields=COUNTERPARTY_FIELDS)
        if tags is not None:
            counterparty.tags.set(tags)
    return counterparty


@transaction.atomic
def counterparty_delete(*, user, counterparty: Counterparty) -> str:
    """Delete a counterparty, or archive it when it has sales documents; returns "deleted" or "archived".

    Deals, contracts, invoices, payments and shipments are the record of business done and protect their
    client: such a counterparty is archived (`is_active=False`: out of the lists, still behind its documents).
    One without them is deleted with its contacts, phones, e-mails, addresses, bank accounts, calls, tasks,
    reminders and complaints, each journaled with its last state. Either way the policy's "delete" on the
    counterparty decides who may (its responsible manager, their heads, administrators; never a colleague it
    is shared with).
    """
    policy.require(user, "delete", counterparty)
    removal = counterparty_removal(counterparty=counterparty)
    if removal["archive"]:
        if not counterparty.is_active:
            raise Conflict(str(_("This counterparty is already archived.")), code="parties.counterparty.archived")
        record_update(counterparty, user=user, data={"is_active": False}, fields=("is_active",))
        return "archived"
    for name in COUNTERPARTY_DEPENDANTS:
        _journal_deleted(getattr(counterparty, name).all(), user=user)
    record_delete(counterparty, user=user)
    return "deleted"


def _journal_deleted(rows, *, user) -> None:
    """Journal rows that a delete cascades to, with their last state, before the database removes them."""
    for row in rows:
        journal_record(obj=row, operation=Operation.DELETE, changes={k: [v, None] for k, v in snapshot(row).items()},
                       user=user)


def contact_create(*, user, counterparty: Counterparty, data: dict[str, Any],
                   phones: list[str] | None = None, emails: list[str] | None = None) -> ContactPerson:
    """Add a contact person to a counterparty, with their phones and e-mails."""
    with transaction.atomic(), search.deferred():
        contact = record_create(ContactPerson, user=user, data={**data, "counterparty": counterparty},
                                fields=CONTACT_FIELDS)
        for number in phones or []:
            phone_add(user=user, counterparty=counterparty, contact=contact, number=number)
        for address in emails or []:
            email_add(user=user, counterparty=counterparty, contact=contact, address=address)
    return contact


def contact_update(*, user, contact: ContactPerson, data: dict[str, Any]) -> ContactPerson:
    """Change a contact person's fields."""
    return record_update(contact, user=user, data=data, fields=CONTACT_FIELDS)


@transaction.atomic
def contact_delete(*, user, contact: ContactPerson) -> None:
    """Remove a contact person with their phones and e-mails (each journaled); deals and calls that name them
    stay, without the name (see `selectors.contact_removal`)."""
    policy.require(user, "delete", contact)
    _journal_deleted(contact.phones.all(), user=user)
    _journal_deleted(contact.emails.all(), user=user)
    record_delete(contact, user=user)


def phone_add(*, user, counterparty: Counterparty, number: str, contact: ContactPerson | None = None,
              kind: str = "work", extension: str = "", is_primary: bool = False) -> Phone:
    """Add a phone; the number is normalised to E.164 or refused with the reason."""
    return record_create(Phone, user=user, data={
        "counterparty": counterparty, "contact": contact, "number": number, "kind": kind,
        "extension": extension, "is_primary": is_primary}, fields=PHONE_FIELDS)


def email_add(*, user, counterparty: Counterparty, address: str, contact: ContactPerson | None = None,
              is_primary: bool = False) -> Email:
    """Add an e-mail address."""
    return record_create(Email, user=user, data={
        "counterparty": counterparty, "contact": contact, "address": address, "is_primary": is_primary},
        fields=EMAIL_FIELDS)


def contact_point_delete(*, user, point: Phone | Email) -> None:
    """Remove a phone or e-mail."""
    record_delete(point, user=user)


def address_add(*, user, counterparty: Counterparty, data: dict[str, Any]) -> Address:
    """Add a postal address to a counterparty."""
    return record_create(Address, user=user, data={**data, "counterparty": counterparty}, fields=ADDRESS_FIELDS)


def address_update(*, user, address: Address, data: dict[str, Any]) -> Address:
    """Correct a counterparty's address (it stays with its counterparty)."""
    return record_update(address, user=user, data=data, fields=ADDRESS_FIELDS[1:])


def address_delete(*, user, address: Address) -> None:
    """Remove an address from a counterparty's card (whoever may change the counterparty)."""
    record_delete(address, user=user)


def bank_account_delete(*, user, account: BankAccount) -> None:
    """Remove a bank account of a counterparty or an own company."""
    record_delete(account, user=user)


def bank_account_add(*, user, data: dict[str, Any]) -> BankAccount:
    """Add a bank account to a counterparty or an own company."""
    return record_create(BankAccount, user=user, data=data, fields=BANK_ACCOUNT_FIELDS)


def bank_account_update(*, user, account: BankAccount, data: dict[str, Any]) -> BankAccount:
    """Change a bank account's details (an unchanged account writes nothing)."""
    return record_update(account, user=user, data=data, fields=BANK_ACCOUNT_FIELDS)


def own_company_create(*, user, data: dict[str, Any]) -> OwnCompany:
    """Register one of our own legal entities (administrators only)."""
    return record_create(OwnCompany, user=user, data=data, fields=OWN_COMPANY_FIELDS)


def own_company_update(*, user, company: OwnCompany, data: dict[str, Any]) -> OwnCompany:
    """Change one of our own legal entities' requisites (administrators only)."""
    return record_update(company, user=user, data=data, fields=OWN_COMPANY_FIELDS)


def tag_get_or_create(*, user, name: str) -> Tag:
    """The tag with this name, created if new. Tags are shared reference data: creating one is the policy's
    "add" on "reference" (record_create checks it), and the journal names who created it."""
    name = name.strip()
    longest: int = Tag._meta.get_field("name").max_length  # type: ignore[union-attr,assignment]  # a CharField
    if len(name) > longest:
        # Refused before the lookup: a 70,000-character name in `iexact` is more than SQLite's LIKE accepts.
        raise ValidationError({"tags": _("A tag has at most %(max)s characters.") % {"max": longest}})
    existing = Tag.objects.filter(name__iexact=name).first()
    return existing or record_create(Tag, user=user, data={"name": name}, fields=("name",))


@transaction.atomic
def counterparty_save(*, user, data: dict[str, Any], tag_names: list[str], phones: list[str] | None = None,
                      emails: list[str] | None = None, counterparty: Counterparty | None = None,
                      duplicate_confirmed: bool = False) -> Counterparty:
    """Create (`counterparty` None) or change a counterparty with its tags by name and new phones and
    e-mails, all or nothing: what the counterparty form saves. A tag not known yet is created."""
    tags = [tag_get_or_create(user=user, name=name) for name in tag_names]
    if counterparty is None:
        return counterparty_create(user=user, data=data, tags=tags, phones=phones, emails=emails,
                                   duplicate_confirmed=duplicate_confirmed)
    counterparty = counterparty_update(user=user, counterparty=counterparty, data=data, tags=tags,
                                       duplicate_confirmed=duplicate_confirmed)
    for number in phones or []:
        phone_add(user=user, counterparty=counterparty, number=number)
    for address in emails or []:
        email_add(user=user, counterparty=counterparty, address=address)
    return counterparty


@transaction.atomic
def access_request(*, user, inn: str, kpp: str = "") -> list[Task]:
    """Ask the responsible managers of the counterparties with this INN (+KPP) that `user` cannot see to share
    them: a task for each, assigned to that manager (or left as it is when one is already open).

    The requester names the client by its tax id only: they were never told its name or id. The task is
    written by the system, since the requester may neither reach the client nor give work to its manager; it
    names the requester as its author, and only the manager (and whoever sees the client) sees it.
    """
    tasks = []
    for match in tax_id_matches(user=user, inn=inn, kpp=kpp):
        cp = match.counterparty
        if match.visible or cp.responsible is None or not can_request_access(user, cp):
            continue
        # One open request per requester and client: asking twice does not fill the manager's list.
        open_task = Task.objects.filter(counterparty=cp, author=user, assignee=cp.responsible,
                                        status=TaskStatus.OPEN).first()
        if open_task is not None:
            tasks.append(open_task)
            continue
        with translation.override(cp.responsible.language or None):
            title = gettext("%(user)s asks for access to “%(name)s”") % {"user": user, "name": cp.name}
            text = gettext("%(user)s tried to add a counterparty with INN %(inn)s, which is yours. Share it with "
                           "them from its card if they should work with it.") % {"user": user, "inn": cp.inn}
        tasks.append(task_create(user=None, data={"title": title[:255], "description": text, "author": user,
                                                  "assignee": cp.responsible, "counterparty": cp}))
    return tasks
