"""Counterparties that share a tax id: the one duplicate check that the form, the API and the tabular import use.

    tax_id_matches(user=, inn=, kpp=, exclude=)  -> the counterparties a new or edited one would duplicate
    tax_id_matches_many(user=, keys=)            -> the same for a batch of (INN, KPP) pairs, one query
    duplicate_check(user=, inn=, kpp=, ...)      -> raise DuplicateCounterparty unless the setting lets it pass

Two counterparties are the same one when their INNs are equal and, when both have a KPP, so are the KPPs
(a branch has the company's INN and a KPP of its own; a record without a KPP may be either).

A match is found among all counterparties, not only those the user sees: the point is to stop the second
record of a colleague's client. What the user is told goes through the access policy (`Match.as_dict`): a
record they see is named and linked; one they do not see is only "exists, responsible: <manager>", never its
name or its id, VIP or not, so they can ask that manager for it (`parties.services.access_request`). Only
someone who already knows the INN learns that much, and it is what they would hear on the phone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from raccordo.access.policy import visible
from raccordo.core.errors import Conflict

from .models import Counterparty

# More than a handful of records with one INN is a list for the merge page, not for a warning.
MAX_MATCHES = 10


class DuplicateCounterparty(Conflict):
    """A counterparty with the same INN (+KPP) exists; `extra["matches"]` says what the user may be told."""

    code = "parties.counterparty.duplicate"


@dataclass(frozen=True)
class Match:
    """An existing counterparty a new or edited one would duplicate, and whether the user may see it."""

    counterparty: Counterparty
    visible: bool

    @property
    def responsible_name(self) -> str:
        person = self.counterparty.responsible
        return str(person) if person is not None else ""

    def as_dict(self) -> dict[str, Any]:
        """What the user may be told: all of a record they see; of another, only who is responsible for it."""
        told: dict[str, Any] = {"visible": self.visible, "responsible": self.responsible_name}
        if self.visible:
            cp = self.counterparty
            told.update(id=str(cp.pk), name=cp.name, inn=cp.inn, kpp=cp.kpp)
        return told


def same_tax_id(inn: str, kpp: str, other_inn: str, other_kpp: str) -> bool:
    """The duplicate rule: the same INN, and the same KPP when both have one."""
    return bool(inn) and inn == other_inn and (not kpp or not other_kpp or kpp == other_kpp)


def tax_id_matches_many(*, user, keys: Iterable[tuple[str, str]], exclude: Iterable = ()) -> dict[tuple[str, str],
                                                                                                list[Match]]:
    """For each (INN, KPP) of `keys`, the counterparties (but `exclude`, by id) it duplicates: those `user` sees
    first, at most MAX_MATCHES. One query for the records (the INN index) and one through the access policy."""
    keys = {(inn, kpp or "") for inn, kpp in keys if inn}
    if not keys:
        return {}
    rows = list(Counterparty.objects.filter(inn__in={inn for inn, _kpp in keys}).exclude(pk__in=list(exclude))
                .select_related("responsible").order_by("created_at", "pk"))
    if user is None:
        seen = {cp.pk for cp in rows}
    else:
        seen = set(visible(Counterparty.objects.filter(pk__in=[cp.pk for cp in rows]), user)
                   .values_list("pk", flat=True))
    found: dict[tuple[str, str], list[Match]] = {}
    for inn, kpp in keys:
        matches = [Match(cp, cp.pk in seen) for cp in rows if same_tax_id(inn, kpp, cp.inn, cp.kpp)]
        if matches:
            matches.sort(key=lambda m: not m.visible)
            found[(inn, kpp)] = matches[:MAX_MATCHES]
    return found


def tax_id_matches(*, user, inn: str, kpp: str = "", exclude: Counterparty | None = None) -> list[Match]:
    """The counterparties a counterparty with this INN (+KPP) duplicates; `exclude` is the one being edited."""
    skip = [exclude.pk] if exclude is not None and exclude.pk else []
    return tax_id_matches_many(user=user, keys=[(inn, kpp)], exclude=skip).get((inn, kpp or ""), [])


def duplicates_blocked() -> bool:
    """settings.DUPLICATE_CHECK: "block" refuses a duplicate; "warn" lets the user confirm it."""
    return settings.DUPLICATE_CHECK == "block"


def duplicate_error(matches: list[Match]) -> DuplicateCounterparty:
    """The refusal for these matches, in words the user may read, with what they may be told in `extra`."""
    first = matches[0]
    if first.visible:
        message = _("A counterparty with this INN already exists: “%(name)s” (responsible: %(responsible)s).") % {
            "name": first.counterparty.name, "responsible": first.responsible_name or "—"}
    else:
        message = _("A counterparty with this INN already exists; responsible: %(responsible)s.") % {
            "responsible": first.responsible_name or "—"}
    return DuplicateCounterparty(message, extra={"blocked": duplicates_blocked(),
                                                 "matches": [m.as_dict() for m in matches]})


def duplicate_check(*, user, inn: str, kpp: str = "", counterparty: Counterparty | None = None,
                    confirmed: bool = False) -> list[Match]:
    """Raise DuplicateCounterparty when a counterparty other than `counterparty` has this INN (+KPP), unless
    the setting is "warn" and the user `confirmed` (they saw the match and save anyway); return the matches.

    The system (user=None: 1C and the other exchange peers, which match records by their own keys and
    bindings, and the demo) is not checked.
    """
    if user is None or not inn:
        return []
    matches = tax_id_matches(user=user, inn=inn, kpp=kpp, exclude=counterparty)
    if matches and (duplicates_blocked() or not confirmed):
        raise duplicate_error(matches)
    return matches


def tax_id_changes(counterparty: Counterparty | None, data: dict[str, Any]) -> tuple[str, str] | None:
    """The (INN, KPP) a create or an update gives the counterparty, or None when it leaves them as they are
    (editing a record's other fields never asks about a duplicate it already was)."""
    inn = str(data.get("inn", counterparty.inn if counterparty else "") or "").strip()
    kpp = str(data.get("kpp", counterparty.kpp if counterparty else "") or "").strip()
    if counterparty is not None and (inn, kpp) == (counterparty.inn, counterparty.kpp):
        return None
    return (inn, kpp) if inn else None
