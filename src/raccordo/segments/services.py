"""Writes of segments: create, change, delete, and the members of a static segment. Each checks and journals."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from raccordo.access.policy import require, visible
from raccordo.access.records import record_create, record_delete, record_update
from raccordo.core.journal import journal_bulk
from raccordo.core.models import Operation
from raccordo.parties.models import ContactPerson, Counterparty

from .filters import clean_filters
from .models import Segment, SegmentKind, SegmentTarget
from .selectors import contacts_matching, counterparties_matching

FIELDS = ("name", "kind", "target", "filters", "owner")


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        raise ValidationError({"name": _("Give the segment a name.")})
    data["filters"] = clean_filters(data.get("filters") or {})
    return data


@transaction.atomic
def segment_create(*, user, data: dict[str, Any]) -> Segment:
    """A new segment owned by `user` (filters checked: an unknown or malformed one is refused by name)."""
    data = _clean({"kind": SegmentKind.DYNAMIC, "target": SegmentTarget.COUNTERPARTIES, **data, "owner": user})
    segment = record_create(Segment, user=user, data=data, fields=FIELDS)
    if segment.kind == SegmentKind.STATIC and segment.filters:
        # A static segment starts as a snapshot of its filters; later changes to the clients do not move it.
        segment_set_members(user=user, segment=segment, ids=_matching_ids(user, segment))
    return segment


def _matching_ids(user, segment: Segment) -> list:
    matching = contacts_matching if segment.target == SegmentTarget.CONTACTS else counterparties_matching
    return list(matching(user=user, filters=segment.filters).values_list("pk", flat=True))


@transaction.atomic
def segment_update(*, user, segment: Segment, data: dict[str, Any]) -> Segment:
    """Change a segment's name, kind, target or filters (a static segment keeps its members)."""
    # What is not given stays as it is (a PATCH of the name keeps the filters); the owner never changes here.
    data = _clean({"name": segment.name, "kind": segment.kind, "target": segment.target, "filters": segment.filters,
                   **{k: v for k, v in data.items() if k != "owner"}})
    return record_update(segment, user=user, data=data, fields=("name", "kind", "target", "filters"))


def segment_delete(*, user, segment: Segment) -> None:
    """Delete a segment; one a mailing was sent to is kept (the mailing names it) and the error says so."""
    if segment.mailings.exists():
        raise ValidationError(_("A mass e-mail was sent to this segment; it cannot be deleted."))
    record_delete(segment, user=user)


@transaction.atomic
def segment_set_members(*, user, segment: Segment, ids, add: bool = True) -> int:
    """Add (or remove) members of a static segment by id; only records `user` sees are touched. Returns how many."""
    require(user, "change", segment)
    if segment.kind != SegmentKind.STATIC:
        raise ValidationError(_("Only a static segment has a member list; a dynamic one is its filters."))
    contacts = segment.target == SegmentTarget.CONTACTS
    model = ContactPerson if contacts else Counterparty
    found = list(visible(model.objects.filter(pk__in=list(ids)), user).values_list("pk", flat=True))
    relation = segment.contacts if contacts else segment.counterparties
    (relation.add if add else relation.remove)(*found)
    change = [None, [str(pk) for pk in found]] if add else [[str(pk) for pk in found], None]
    journal_bulk(entries=[(segment, Operation.UPDATE, {"members": change})], user=user)
    return len(found)
