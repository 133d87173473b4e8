"""Reads of segments and mailings, each through the access policy of the user asking."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from raccordo.access.policy import visible
from raccordo.core.errors import NotFound
from raccordo.parties.models import ContactPerson, Counterparty

from . import filters as segment_filters
from .models import Mailing, MailingRecipient, RecipientStatus, Segment, SegmentKind, SegmentTarget


def segment_list(*, user) -> QuerySet[Segment]:
    """The segments `user` may see (their own; their team's for heads; all for administrators)."""
    return visible(Segment.objects.select_related("owner"), user).order_by("name", "id")


def segment_get(*, user, pk) -> Segment:
    """One segment, or NotFound."""
    found = segment_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("Segment not found.")
    return found


def counterparties_matching(*, user, filters: dict) -> QuerySet[Counterparty]:
    """The counterparties `user` sees that match dynamic `filters`."""
    return segment_filters.apply(visible(Counterparty.objects.all(), user), filters, user=user)


def contacts_matching(*, user, filters: dict) -> QuerySet[ContactPerson]:
    """The active contact persons `user` sees whose counterparty (and own consent) match `filters`."""
    contacts, rest = segment_filters.contacts_apply(
        visible(ContactPerson.objects.filter(is_active=True), user), filters)
    return contacts.filter(counterparty__in=counterparties_matching(user=user, filters=rest).values("pk"))


def segment_members(*, user, segment: Segment, filters: dict | None = None) -> QuerySet:
    """The segment's members as `user` sees them: counterparties or contact persons, by name.

    `filters` replaces the stored ones (the editor counts what is being typed before it is saved)."""
    contacts = segment.target == SegmentTarget.CONTACTS
    if segment.kind == SegmentKind.STATIC:
        if contacts:
            qs = visible(ContactPerson.objects.filter(pk__in=segment.contacts.values("pk")), user)
        else:
            qs = visible(Counterparty.objects.filter(pk__in=segment.counterparties.values("pk")), user)
    else:
        chosen = segment.filters if filters is None else filters
        qs = (contacts_matching if contacts else counterparties_matching)(user=user, filters=chosen)
    if contacts:
        return qs.select_related("counterparty").order_by("last_name", "first_name", "id")
    return qs.select_related("responsible").order_by("name", "id")


def mailing_list(*, user, segment: Segment | None = None) -> QuerySet[Mailing]:
    """The mass e-mails `user` may see, newest first."""
    qs = visible(Mailing.objects.select_related("segment", "campaign", "template", "created_by"), user)
    if segment is not None:
        qs = qs.filter(segment=segment)
    return qs.order_by("-created_at", "-id")


def mailing_get(*, user, pk) -> Mailing:
    """One mass e-mail, or NotFound."""
    found = mailing_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("Mass e-mail not found.")
    return found


def mailing_recipients(*, user, mailing: Mailing) -> QuerySet[MailingRecipient]:
    """The recipients of a mailing `user` may see (their clients only), in sending order."""
    return (visible(MailingRecipient.objects.filter(mailing=mailing), user)
            .select_related("counterparty", "contact").order_by("created_at", "id"))


def mailing_progress(mailing: Mailing) -> dict[str, int]:
    """How many of the mailing's recipients are in each status, and how many are done (not queued)."""
    counts = {status: 0 for status in RecipientStatus.values}
    for row in mailing.recipients.values("status").order_by().annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    counts["done"] = sum(n for s, n in counts.items() if s != RecipientStatus.QUEUED)
    counts["percent"] = round(100 * counts["done"] / mailing.total) if mailing.total else 100
    return counts
