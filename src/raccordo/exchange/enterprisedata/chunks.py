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
