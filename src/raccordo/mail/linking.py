"""Linking mail to the CRM: addresses to contact persons and counterparties, subjects to deals.

An address matches a contact person or counterparty through `parties.Email`, exactly (lower-cased). An
address with no exact match links to a company through its domain (someone new at a client's firm), except
for the public mail domains below, where a domain says nothing about the company. A deal is found by an
invoice number named in the subject (invoices carry the number the client sees), or by the
X-Raccordo-Deal header mail sent from Raccordo carries.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from raccordo.core.ids import parse_uuid
from raccordo.parties.models import Email
from raccordo.sales.models import Deal, Invoice

# Domains of public mail services: mail from them links by the exact address only, never by domain.
# The one list of them: add a domain here.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.it", "yahoo.co.uk", "ymail.com", "outlook.com",
    "hotmail.com", "hotmail.it", "live.com", "live.it", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com",
    "gmx.com", "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com", "zoho.com", "mail.com",
    "mail.ru", "inbox.ru", "list.ru", "bk.ru", "internet.ru", "yandex.ru", "yandex.com", "ya.ru", "rambler.ru",
    "libero.it", "virgilio.it", "tiscali.it", "alice.it", "tin.it", "email.it", "fastwebnet.it", "pec.it",
    "qq.com", "163.com",
})

# How many addresses and domains one sync remembers: enough for a mailbox's regular correspondents, and a
# bound on memory however many different senders a 100,000-message import meets.
CACHE_SIZE = 4096

# Candidate document numbers in a subject: "№ 2024-17", "#17", "invoice INV-0042", "счёт 12/3".
NUMBER_TOKEN = re.compile(r"[0-9A-Za-zА-Яа-я][0-9A-Za-zА-Яа-я/\-.]*[0-9]")


@dataclass(frozen=True)
class Match:
    """What an address links to (either may be None)."""

    counterparty_id: object = None
    contact_id: object = None


NO_MATCH = Match()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def is_public_domain(domain: str) -> bool:
    return domain.lower() in PUBLIC_MAIL_DOMAINS


class Linker:
    """Matches addresses to the CRM for one sync, remembering recent answers (a bounded cache)."""

    def __init__(self, own_addresses: set[str] = frozenset()):  # type: ignore[assignment]
        self.own = {a.lower() for a in own_addresses}
        self._addresses: OrderedDict[str, Match] = OrderedDict()
        self._domains: OrderedDict[str, Match] = OrderedDict()

    @staticmethod
    def _remember(cache: OrderedDict, key: str, value: Match) -> None:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)

    def _load(self, addresses: set[str]) -> None:
        missing = {a for a in addresses if a not in self._addresses}
        if not missing:
            return
        found: dict[str, Match] = {}
        # A contact's own address beats the company's general one: rows with a contact are read last.
        rows = Email.objects.filter(address__in=missing).order_by("contact_id").values_list(
            "address", "counterparty_id", "contact_id")
        for address, counterparty_id, contact_id in rows:
            if address not in found or contact_id:
                found[address] = Match(counterparty_id, contact_id)
        for address in missing:
            self._remember(self._addresses, address, found.get(address, NO_MATCH))

    def _domain(self, domain: str) -> Match:
        if domain in self._domains:
            return self._domains[domain]
        row = (Email.objects.filter(address__endswith="@" + domain).order_by("created_at")
               .values_list("counterparty_id", flat=True).first())
        match = Match(row, None) if row else NO_MATCH
        self._remember(self._domains, domain, match)
        return match

    def match(self, address: str) -> Match:
        """The contact/counterparty `address` belongs to: exact address first, then its company's domain."""
        address = address.lower()
        if not address or address in self.own:
            return NO_MATCH
        self._load({address})
        exact = self._addresses.get(address, NO_MATCH)
        if exact.counterparty_id:
            return exact
        domain = domain_of(address)
        if not domain or is_public_domain(domain) or domain in {domain_of(a) for a in self.own}:
            return NO_MATCH
        return self._domain(domain)

    def first_match(self, addresses: list[str]) -> Match:
        """The first of `addresses` (in the order given: the other party first) that links to the CRM."""
        self._load({a.lower() for a in addresses if a and a.lower() not in self.own})
        for address in addresses:
            found = self.match(address)
            if found.counterparty_id:
                return found
        return NO_MATCH


def deal_for(*, subject: str, counterparty_id, deal_header: str = "") -> object | None:
    """The deal a message is about: the X-Raccordo-Deal header, else an invoice number in the subject (the
    invoice's deal), only among the matched client's records, so a number never links another client's deal."""
    if counterparty_id is None:
        return None
    deal_pk = parse_uuid(deal_header.strip()) if deal_header else None
    if deal_pk is not None:
        found = Deal.objects.filter(pk=deal_pk, counterparty_id=counterparty_id).values_list("pk", flat=True).first()
        if found:
            return found
    tokens = {t.strip(".-/") for t in NUMBER_TOKEN.findall(subject or "")}
    tokens.discard("")
    if not tokens:
        return None
    return (Invoice.objects.filter(counterparty_id=counterparty_id, number__in=list(tokens)[:20],
                                   deal__isnull=False)
            .order_by("-date").values_list("deal_id", flat=True).first())
