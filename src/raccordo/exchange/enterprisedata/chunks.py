"""Records fetched a chunk at a time for our outgoing message, with what their elements need."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import Prefetch

from raccordo.parties.models import Address, Email, Phone

CHUNK = 500    # records fetched (with what their elements need), looked up and bound at a time


def contact_prefetches(through: str = "") -> list[Prefetch]:
    """What `_counterparty_rec` reads of a counterparty (``through`` the lookup that leads to it, with its
    ``__``), to prefetch a chunk of them at once instead of three queries each."""
    return [Prefetch(f"{through}phones", queryset=Phone.objects.filter(contact__isnull=True).order_by("created_at", "id"),
                     to_attr="ed_phones"),
            Prefetch(f"{through}emails", queryset=Email.objects.filter(contact__isnull=True).order_by("created_at", "id"),
                     to_attr="ed_emails"),
            Prefetch(f"{through}addresses", queryset=Address.objects.order_by("created_at", "id"),
                     to_attr="ed_addresses")]


def chunked(iterable: Iterable, size: int) -> Iterator[list]:
    """Lists of ``size`` items of ``iterable`` (the last may be shorter)."""
    it = iter(iterable)
    while chunk := list(islice(it, size)):
        yield chunk


PREFETCHED = ("ed_phones", "ed_emails", "ed_addresses", "ed_accounts", "ed_lines")


def release(records: Iterable) -> None:
    """Drop what was prefetched onto a chunk's records and the counterparties they name, once written.

    A prefetched row points back at its owner (Django sets ``phone.counterparty`` to the counterparty whose
    ``ed_phones`` holds it), so each chunk left cycles that only Python's full collection frees, and those
    run rarely: the write grew by ~0.5 MB per 100 invoices. Without the lists the rows are freed at once.
    """
    for record in records:
        owners = [record]
        if getattr(record, "counterparty_id", None) is not None:
            owners.append(record.counterparty)
        contract = getattr(record, "contract", None) if getattr(record, "contract_id", None) else None
        if contract is not None:
            owners.append(contract.counterparty)
        for owner in owners:
            for name in PREFETCHED:
                owner.__dict__.pop(name, None)
